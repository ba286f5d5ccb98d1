// `hyperexport -V` / `--version`: the version, once. `-v` is --verbose, as in restic and rclone
// (clipanion's built-in version command takes `-v`, so it is not registered).
import { Command } from 'clipanion';
import type { HyperExportContext } from './default-plugins.ts';

export class VersionCommand extends Command<HyperExportContext> {
  static override paths = [['-V'], ['--version']];

  static override usage = Command.Usage({ description: 'print the version of hyperexport' });

  async execute(): Promise<number> {
    this.context.stdout.write(`${this.cli.binaryVersion ?? 'unknown'}\n`);
    return 0;
  }
}
