// `hyperexport plugins init NAME`: starts an outside plugin package in ./NAME, ready to build and
// test (see plugin-scaffold.ts for what it holds).
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Command, Option } from 'clipanion';
import { coreVersion } from '../core-version.ts';
import { ConfigError, ExitCode } from '../errors.ts';
import { BaseCommand } from './base-command.ts';
import { packageFolderName, packageNameProblem } from './package-name.ts';
import { pluginScaffold } from './plugin-scaffold.ts';

export class PluginsInitCommand extends BaseCommand {
  static override paths = [['plugins', 'init']];

  static override usage = Command.Usage({
    description: 'start a plugin package of your own',
    details: `
      Writes a new npm package for a HyperExport plugin into ./NAME (for a scoped name
      @scope/NAME, into ./NAME): package.json (depending on @hyperexport/core), tsconfig.json,
      src/index.ts (the plugin, made with definePlugin), src/index.test.ts (a test that runs it
      through an export job with @hyperexport/core/testing) and a README. Then \`npm install\`,
      \`npm run build\` and \`npm test\` in it.

      NAME must be a valid npm package name. An existing folder is used only when it is empty.
    `,
    examples: [
      ['Start the package hyperexport-tape in ./hyperexport-tape', '$0 plugins init hyperexport-tape'],
      ['A scoped package, in ./hyperexport-tape', '$0 plugins init @acme/hyperexport-tape'],
    ],
  });

  name = Option.String({ name: 'NAME', required: true });

  async run(): Promise<number> {
    const problem = packageNameProblem(this.name);
    if (problem !== undefined) {
      throw new ConfigError(`"${this.name}" cannot be a package name: ${problem}`, {
        hint: 'give an npm package name, e.g. hyperexport-tape or @acme/hyperexport-tape',
      });
    }
    const directory = resolve(process.cwd(), packageFolderName(this.name));
    await refuseNonEmpty(directory);
    const files = pluginScaffold({ name: this.name, coreVersion: coreVersion() });
    await mkdir(directory, { recursive: true });
    for (const [path, content] of files) {
      await mkdir(dirname(join(directory, path)), { recursive: true });
      // `wx`: a file that appeared meanwhile is never overwritten.
      await writeFile(join(directory, path), content, { flag: 'wx' });
    }
    if (this.json) {
      this.context.stdout.write(`${JSON.stringify({ type: 'plugins-init', name: this.name, directory, files: [...files.keys()] })}\n`);
      return ExitCode.OK;
    }
    for (const path of files.keys()) this.context.stdout.write(`wrote ${join(directory, path)}\n`);
    this.context.stdout.write(`\nnext:\n  cd ${directory}\n  npm install\n  npm run build\n  npm test\n`);
    return ExitCode.OK;
  }
}

async function refuseNonEmpty(directory: string): Promise<void> {
  const info = await stat(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (info === undefined) return;
  if (!info.isDirectory()) throw new ConfigError(`${directory} exists and is not a folder`, { hint: 'choose another name, or run it from another folder' });
  const entries = await readdir(directory);
  if (entries.length > 0) {
    throw new ConfigError(`${directory} already exists and is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'})`, {
      hint: 'choose another name, remove the folder, or run it from another folder',
    });
  }
}
