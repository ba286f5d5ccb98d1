// `hyperexport profiles ...`: list, show, save, delete and init export profiles (see
// profiles/profile-store.ts for where they live and how they are written).
import { resolve } from 'node:path';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { ConfigError, ExitCode } from '../errors.ts';
import { BUILTIN_PROFILE_NAMES, builtinProfile } from '../profiles/builtin-profiles.ts';
import type { ExportProfile } from '../profiles/profile.ts';
import { deleteProfile, listProfiles, profilesDirectory, PROFILES_DIR_ENV, readProfileFile, resolveProfile, saveProfile } from '../profiles/profile-store.ts';
import { BaseCommand } from './base-command.ts';
import { parseKeepLocal } from './export-command.ts';
import { withPlaceholder } from './placeholders.ts';

const WHERE = `Saved profiles are JSON files in ~/.hyperexport/profiles (or the folder named by ${PROFILES_DIR_ENV}), one NAME.json per profile.`;

export class ProfilesListCommand extends BaseCommand {
  static override paths = [['profiles', 'list'], ['profiles']];

  static override usage = Command.Usage({
    description: 'list the export profiles',
    details: `
      Lists the built-in profiles (quick-export, production-backup, encrypted-backup, cloud-backup,
      development) and the saved ones. A saved file that cannot be used (bad JSON, an unknown field,
      a reserved name) is listed with its problem.

      ${WHERE}
    `,
    examples: [
      ['List every profile', '$0 profiles list'],
      ["As JSON, with each profile's settings", '$0 profiles list --json'],
    ],
  });

  async run(): Promise<number> {
    const directory = profilesDirectory();
    const entries = await listProfiles({ directory });
    if (this.json) {
      this.context.stdout.write(`${JSON.stringify({ type: 'profiles', directory, profiles: entries })}\n`);
      return ExitCode.OK;
    }
    const rows = entries.map((entry) => [entry.name, entry.source, entry.problem ? `INVALID (${entry.path}): ${entry.problem}` : (entry.description ?? '')]);
    const table = [['NAME', 'SOURCE', 'DESCRIPTION'], ...rows];
    const widths = [0, 1].map((column) => Math.max(...table.map((row) => row[column]?.length ?? 0)));
    for (const row of table) {
      this.context.stdout.write(
        `${row
          .map((cell, column) => (column < 2 ? cell.padEnd(widths[column] ?? 0) : cell))
          .join('  ')
          .trimEnd()}\n`,
      );
    }
    return ExitCode.OK;
  }
}

export class ProfilesShowCommand extends BaseCommand {
  static override paths = [['profiles', 'show']];

  static override usage = Command.Usage({
    description: 'print a profile as JSON',
    details: `
      Prints the settings of a built-in or saved profile as a JSON object on stdout, the same form
      \`profiles save NAME --from FILE\` reads, so a built-in can be copied and edited. With
      \`--json\`, prints one line with the name, the source, the file and the settings.
    `,
    examples: [
      ['Show a built-in profile', '$0 profiles show production-backup'],
      ['Start a saved profile from a built-in one', '$0 profiles show cloud-backup > cloud.json && $0 profiles save my-cloud --from cloud.json'],
    ],
  });

  name = Option.String({ name: 'NAME' });

  async run(): Promise<number> {
    const resolved = await resolveProfile(this.name);
    if (this.json) {
      this.context.stdout.write(
        `${JSON.stringify({ type: 'profile', name: resolved.name, source: resolved.source, path: resolved.path ?? null, profile: resolved.profile })}\n`,
      );
    } else {
      this.context.stdout.write(`${JSON.stringify(resolved.profile, null, 2)}\n`);
    }
    return ExitCode.OK;
  }
}

export class ProfilesSaveCommand extends BaseCommand {
  static override paths = [['profiles', 'save']];

  static override usage = Command.Usage({
    description: 'save export settings as a named profile',
    details: `
      Saves a profile from a JSON file (\`--from\`), from flags, or both: a flag given next to
      \`--from\` overrides the file's value. The file is written atomically, and an existing profile
      is replaced only with \`--force\`. Built-in names are reserved; save a changed copy of a
      built-in under another name.

      Use a profile with \`hyperexport export --profile NAME\`: flags given to \`export\` override the
      profile, which overrides the config file's \`export\` section.

      ${WHERE}
    `,
    examples: [
      ['Nightly compressed OVAs to a backup folder', '$0 profiles save nightly --format ova --compress zstd --output /backups --description "nightly backups"'],
      ['Upload to two buckets', '$0 profiles save offsite --compress zstd --target s3://backups/vms --target gs://dr-backups/vms'],
      ['From a JSON file, replacing the saved one', '$0 profiles save nightly --from nightly.json --force'],
    ],
  });

  name = Option.String({ name: 'NAME' });
  from = withPlaceholder('FILE', Option.String('--from', { description: "A JSON file with the profile's settings" }));
  description = withPlaceholder('TEXT', Option.String('--description', { description: 'What the profile is for' }));
  format = withPlaceholder(
    'ova|ovf',
    Option.String('--format', { description: 'ova (one file) or ovf (a folder)', validator: t.isEnum(['ova', 'ovf'] as const) }),
  );
  parallel = withPlaceholder(
    'N',
    Option.String('--parallel', {
      description: 'Disks read at once (1-64)',
      validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 64)]),
    }),
  );
  overwrite = Option.Boolean('--overwrite', { description: 'Replace an existing export of the same name' });
  output = withPlaceholder('DIR', Option.String('--output,-o', { description: 'Directory to write exports to' }));
  snapshotBefore = Option.Boolean('--snapshot-before', { description: 'Snapshot the VM before exporting' });
  keepSnapshot = Option.Boolean('--keep-snapshot', { description: 'Keep that snapshot after the export' });
  compress = withPlaceholder('ALGO[:LEVEL]', Option.String('--compress', { description: 'Compression, e.g. zstd or gzip:6' }));
  encrypt = withPlaceholder('aes|pgp', Option.String('--encrypt', { description: 'Encryption: aes or pgp', validator: t.isEnum(['aes', 'pgp'] as const) }));
  targets = withPlaceholder('URL', Option.Array('--upload,--target', { description: 'A storage URL to store exports at (repeatable)' }));
  exportName = withPlaceholder('TEMPLATE', Option.String('--name', { description: 'Base name template of the exports, e.g. {vm}-{timestamp}' }));
  streamUpload = Option.Boolean('--stream-upload', { description: 'Stream to the targets with no local copy' });
  keepLocal = withPlaceholder(
    'BOOL',
    Option.String('--keep-local', {
      tolerateBoolean: true,
      description: 'With uploads: keep the local copy (default), or with --keep-local=false delete it once every upload is verified',
    }),
  );
  convert = withPlaceholder(
    'FORMAT',
    Option.String('--convert', {
      description: 'Convert the disks: qcow2, vhd, vhdx, vdi or raw',
      validator: t.isEnum(['qcow2', 'vhd', 'vhdx', 'vdi', 'raw'] as const),
    }),
  );
  bwlimit = withPlaceholder('RATE', Option.String('--bwlimit', { description: 'Bandwidth cap (rclone syntax)' }));
  passphraseFile = withPlaceholder('FILE', Option.String('--passphrase-file', { description: 'File holding the encryption passphrase' }));
  keyFile = withPlaceholder('FILE', Option.String('--key-file', { description: 'Raw 32-byte AES key file' }));
  recipients = withPlaceholder('FILE', Option.Array('--recipient', { description: 'OpenPGP public key file (repeatable)' }));
  notify = withPlaceholder('URL', Option.Array('--notify', { description: 'Notification URL (repeatable)' }));
  tags = withPlaceholder('TAG', Option.Array('--tag', { description: "Label kept in each export's record (repeatable)" }));
  force = Option.Boolean('--force,-f', false, { description: 'Replace a saved profile of the same name' });

  async run(): Promise<number> {
    const base: ExportProfile = this.from ? await this.readFrom(this.from) : {};
    const fromFlags: ExportProfile = {
      description: this.description,
      format: this.format,
      parallel: this.parallel,
      overwrite: this.overwrite,
      output: this.output,
      snapshotBefore: this.snapshotBefore,
      keepSnapshot: this.keepSnapshot,
      compress: this.compress,
      encrypt: this.encrypt,
      targets: this.targets,
      name: this.exportName,
      streamUpload: this.streamUpload,
      keepLocal: parseKeepLocal(this.keepLocal),
      convert: this.convert,
      bwlimit: this.bwlimit,
      passphraseFile: this.passphraseFile,
      keyFile: this.keyFile,
      recipients: this.recipients,
      notify: this.notify,
      tags: this.tags,
    };
    const profile: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(fromFlags)) if (value !== undefined) profile[key] = value;
    if (Object.keys(profile).length === 0) {
      throw new ConfigError('nothing to save: give --from FILE or at least one setting', {
        hint: 'e.g. hyperexport profiles save NAME --format ova --compress zstd',
      });
    }
    const saved = await saveProfile(this.name, profile as ExportProfile, { force: this.force });
    if (this.json) this.context.stdout.write(`${JSON.stringify({ type: 'profile-saved', name: saved.name, path: saved.path })}\n`);
    else this.context.stdout.write(`saved profile ${saved.name}: ${saved.path}\n`);
    return ExitCode.OK;
  }

  private async readFrom(file: string): Promise<ExportProfile> {
    const path = resolve(file);
    try {
      return await readProfileFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigError(`--from: no such file: ${path}`, { cause: error });
      throw error;
    }
  }
}

export class ProfilesDeleteCommand extends BaseCommand {
  static override paths = [['profiles', 'delete']];

  static override usage = Command.Usage({
    description: 'delete a saved profile',
    details: `
      Removes a saved profile's file. Built-in profiles cannot be deleted.

      ${WHERE}
    `,
    examples: [['Delete a saved profile', '$0 profiles delete nightly']],
  });

  name = Option.String({ name: 'NAME' });

  async run(): Promise<number> {
    const path = await deleteProfile(this.name);
    if (this.json) this.context.stdout.write(`${JSON.stringify({ type: 'profile-deleted', name: this.name, path })}\n`);
    else this.context.stdout.write(`deleted profile ${this.name}: ${path}\n`);
    return ExitCode.OK;
  }
}

export class ProfilesInitCommand extends BaseCommand {
  static override paths = [['profiles', 'init']];

  static override usage = Command.Usage({
    description: 'write the built-in profiles as editable examples',
    details: `
      Writes each built-in profile into the profiles folder as \`example-NAME.json\` (for instance
      example-cloud-backup.json), to copy or edit. Files that already exist are left as they are.
      Each example is a saved profile: \`--profile example-cloud-backup\` uses it.

      ${WHERE}
    `,
    examples: [['Write the examples', '$0 profiles init']],
  });

  async run(): Promise<number> {
    const directory = profilesDirectory();
    const results = [];
    for (const builtin of BUILTIN_PROFILE_NAMES) {
      const profile = builtinProfile(builtin) as ExportProfile;
      const example: ExportProfile = { ...profile, description: `Example from the built-in "${builtin}" profile: ${profile.description ?? ''}`.trimEnd() };
      results.push(await saveProfile(`example-${builtin}`, example, { directory, skipExisting: true }));
    }
    if (this.json) {
      this.context.stdout.write(`${JSON.stringify({ type: 'profiles-init', directory, files: results.map(({ path, written }) => ({ path, written })) })}\n`);
      return ExitCode.OK;
    }
    for (const result of results) this.context.stdout.write(`${result.written ? 'wrote  ' : 'exists '} ${result.path}\n`);
    const written = results.filter((result) => result.written).length;
    this.context.stdout.write(
      `${written} example profile${written === 1 ? '' : 's'} written to ${directory}${written < results.length ? ` (${results.length - written} already there, left as they are)` : ''}\n`,
    );
    return ExitCode.OK;
  }
}
