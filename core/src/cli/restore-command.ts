// `hyperexport restore` and `hyperexport decrypt`: the way back from what the transforms wrote.
// The reverse stages come from the installed transform packages, so an export can be restored on
// any machine with HyperExport, whatever config wrote it.
import { Command, Option } from 'clipanion';
import { ConfigError, ExitCode } from '../errors.ts';
import type { RestoreKeys, ReverseStage } from '../model.ts';
import type { StageDeclaringPlugin } from '../restore/undone-stages.ts';
import { restoreExport, restoreFile } from '../restore/restore-export.ts';
import { readPassphrase } from '../secrets/passphrase.ts';
import { BaseCommand, JSON_OUTPUT, jsonOption } from './base-command.ts';
import { loadDefaultPlugins } from './builtin-plugins.ts';
import { runCancellable } from './cancellation.ts';
import { formatBytes } from './format.ts';
import { startRestoreProgress } from './restore-progress.ts';
import { withPlaceholder } from './placeholders.ts';

abstract class ReverseCommand extends BaseCommand {
  override json = jsonOption(JSON_OUTPUT.warningsThenResult);
  passphraseFile = withPlaceholder(
    'FILE',
    Option.String('--passphrase-file', {
      description: 'File holding the passphrase (default: HYPEREXPORT_PASSPHRASE_FILE, HYPEREXPORT_PASSPHRASE, else a terminal prompts)',
    }),
  );
  keyFile = withPlaceholder('FILE', Option.String('--key-file', { description: 'Raw 32-byte AES key file the export was encrypted with' }));
  privateKeys = withPlaceholder('FILE', Option.Array('--private-key', { description: 'OpenPGP private key file (armored) to decrypt with (repeatable)' }));
  overwrite = Option.Boolean('--overwrite', false, { description: 'Replace an existing restored export or file' });

  protected restoreKeys(): RestoreKeys {
    const asked = new Map<string, Promise<string>>();
    return {
      // Asked when a stage first needs it, once per purpose (a key's passphrase, a file's), and reused.
      passphrase: (purpose) => {
        let passphrase = asked.get(purpose);
        if (!passphrase) asked.set(purpose, (passphrase = readPassphrase(purpose, { file: this.passphraseFile })));
        return passphrase;
      },
      keyFile: this.keyFile,
      privateKeyFiles: this.privateKeys ?? [],
    };
  }

  /**
   * The loaded plugins, from their definitions: the config's (outside plugins among them), then
   * every default plugin the config does not configure. The defaults count even with
   * `builtins: false`, so an export restores whatever config wrote it.
   */
  protected async reversePlugins(): Promise<{ stages: ReverseStage[]; plugins: StageDeclaringPlugin[] }> {
    const loaded = await this.loadConfigFile(this.operation);
    const defaults = await loadDefaultPlugins(this.context.defaultPlugins, loaded.plugins);
    const plugins: StageDeclaringPlugin[] = [
      ...loaded.plugins.map(({ definition }) => ({ name: definition.name, reverseStages: definition.reverseStages ?? [] })),
      ...defaults.map(({ instance: { definition }, package: packageName }) => ({
        name: definition.name,
        package: packageName,
        reverseStages: definition.reverseStages ?? [],
      })),
    ];
    const stages = plugins.flatMap((plugin) => plugin.reverseStages);
    if (stages.length === 0)
      throw new ConfigError('no loaded plugin declares a reverse stage, so nothing can be undone', {
        hint: 'list the plugin that wrote the export (e.g. @hyperexport/compress, @hyperexport/encrypt-aes, @hyperexport/encrypt-pgp) in the plugins of your hyperexport.config.ts',
      });
    return { stages, plugins };
  }

  /** Ctrl-C cancels; the error then says what was cancelled and why, and that nothing was left. */
  protected withSignal<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return runCancellable(this.operation, 'nothing partial was left in the output', body, this.context.stderr);
  }

  /** The word for what the command does, in messages: `restore`, `decrypt`. */
  protected abstract readonly operation: string;

  protected warn(message: string): void {
    if (this.json) this.context.stdout.write(`${JSON.stringify({ type: 'warning', time: new Date().toISOString(), message })}\n`);
    else this.context.stderr.write(`\nwarning: ${message}\n`);
  }
}

export class RestoreCommand extends ReverseCommand {
  static override paths = [['restore']];
  protected readonly operation = 'restore';

  static override usage = Command.Usage({
    description: 'turn a compressed and/or encrypted export back into a plain OVF folder or OVA',
    details: `
      Decrypts and decompresses every file of the export, checks each against the export's
      manifest while reading it, writes the result under a hidden name in the output directory,
      verifies it against its own manifest, and only then renames it into place.

      INPUT is an OVF folder, an OVA as stored (web01.ova.zst.hxe), or the export's record
      (web01.ova.hyperexport.json).
    `,
    examples: [
      [
        'Restore an encrypted OVA (passphrase from a file)',
        '$0 restore ./exports/web01.ova.zst.hxe --output ./restored --passphrase-file ~/.hyperexport/passphrase',
      ],
      ['Restore an OVF folder encrypted with OpenPGP', '$0 restore ./exports/web01 --output ./restored --private-key ~/keys/backup.asc'],
    ],
  });

  input = Option.String({ required: true, name: 'PATH' });
  output = withPlaceholder('DIR', Option.String('--output,-o', { required: true, description: 'Directory to write the plain export to' }));

  async run(): Promise<number> {
    const { stages, plugins } = await this.reversePlugins();
    const progress = await startRestoreProgress(this.context, this.json, this.input);
    const restored = await this.withSignal((signal) =>
      restoreExport(this.input, this.output, {
        stages,
        plugins,
        keys: this.restoreKeys(),
        signal,
        overwrite: this.overwrite,
        onProgress: progress.onProgress,
      }),
    ).finally(progress.stop);
    if (this.json) this.context.stdout.write(`${JSON.stringify({ type: 'result', status: 'succeeded', ...restored })}\n`);
    else {
      // -v: every restored file with the digest the manifest confirmed.
      if (this.verbose)
        for (const file of restored.files) this.context.stderr.write(`restored ${file.name}: ${formatBytes(file.size)} sha256 ${file.sha256}\n`);
      this.context.stdout.write(
        `restored ${restored.format === 'ova' ? 'OVA' : 'OVF folder'} ${restored.path} (${restored.files.length} files, manifest verified)\n`,
      );
    }
    return ExitCode.OK;
  }
}

export class DecryptCommand extends ReverseCommand {
  static override paths = [['decrypt']];
  protected readonly operation = 'decrypt';

  static override usage = Command.Usage({
    description: 'undo the transforms of one stored file (decrypt, decompress)',
    details: `
      Reads one file as an export stored it (disk1.vmdk.zst.hxe) and writes it back as it was
      (disk1.vmdk). For a whole export, with its manifest checked, use \`hyperexport restore\`.
    `,
    examples: [['Decrypt and decompress one disk', '$0 decrypt ./exports/web01/web01-disk1.vmdk.zst.hxe --passphrase-file ~/.hyperexport/passphrase']],
  });

  input = Option.String({ required: true, name: 'FILE' });
  output = withPlaceholder(
    'FILE',
    Option.String('--output,-o', { description: 'File to write (default: the input without its transform suffixes, beside it)' }),
  );

  async run(): Promise<number> {
    const { stages } = await this.reversePlugins();
    const progress = await startRestoreProgress(this.context, this.json, this.input);
    const { path, digest } = await this.withSignal((signal) =>
      restoreFile(this.input, this.output, {
        stages,
        keys: this.restoreKeys(),
        signal,
        overwrite: this.overwrite,
        onProgress: progress.onProgress,
        onWarning: (message) => progress.stop.print(() => this.warn(message)),
      }),
    ).finally(progress.stop);
    if (this.json) this.context.stdout.write(`${JSON.stringify({ type: 'result', status: 'succeeded', path, size: digest.size, sha256: digest.sha256 })}\n`);
    else this.context.stdout.write(`wrote ${path} (${formatBytes(digest.size)}, SHA-256 ${digest.sha256})\n`);
    return ExitCode.OK;
  }
}
