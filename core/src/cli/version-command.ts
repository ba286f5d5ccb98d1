// `hyperexport -V` / `--version`: the version, once. `-v` is --verbose, as in restic and rclone
// (clipanion's built-in version command takes `-v`, so it is not registered).
import { Command } from 'clipanion';
import type { HyperExportContext } from './default-plugins.ts';

export class VersionCommand extends Command<HyperExportContext> {
  static override paths = [['-V'], ['--version']];

  // No usage, as clipanion's own: a flag of the tool rather than a command, it stays out of the
  // command lists, completion and docs/cli.md (the README names it).
  async execute(): Promise<number> {
    this.context.stdout.write(`${this.cli.binaryVersion ?? 'unknown'}\n`);
    return 0;
  }
}
