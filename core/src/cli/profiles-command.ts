// `hyperexport profiles ...`: list, show, save, delete and init export profiles (see
// profiles/profile-store.ts for where they live and how they are written).
import { resolve } from 'node:path';
import { Command, Option } from 'clipanion';
import { ConfigError, ExitCode } from '../errors.ts';
import { BUILTIN_PROFILE_NAMES, builtinProfile } from '../profiles/builtin-profiles.ts';
import type { ExportProfile } from '../profiles/profile.ts';
import { deleteProfile, listProfiles, profilesDirectory, PROFILES_DIR_ENV, readProfileFile, resolveProfile, saveProfile } from '../profiles/profile-store.ts';
import { BaseCommand } from './base-command.ts';
import { resolveSettingLayers } from '../settings/resolve-settings.ts';
import type { DeclaredSetting, SettingsRegistry } from '../settings/settings-registry.ts';
import { addSettingOptions, flagOrigin, settingFlagValues } from './setting-options.ts';
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
    const entries = await listProfiles({ directory, schema: this.surface?.profileSchema });
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
    const resolved = await resolveProfile(this.name, { schema: this.surface?.profileSchema });
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
  /** The profile settings whose flags this command has; see profilesSaveCommandFor. */
  declaredSettings: readonly DeclaredSetting[] = [];
  force = Option.Boolean('--force,-f', false, { description: 'Replace a saved profile of the same name' });

  async run(): Promise<number> {
    const base: ExportProfile = this.from ? await this.readFrom(this.from) : {};
    const fromFlags: Record<string, unknown> = { description: this.description };
    if (this.declaredSettings.length > 0) {
      // Flag text checked (and coerced: `--parallel 8`) by each setting's schema, like export's.
      const declarations = new Map(this.declaredSettings.map((setting) => [setting.name, setting.declaration]));
      const layer = { origin: { channel: 'flag' as const, where: 'flags' }, originOf: flagOrigin(this.declaredSettings), coerce: true };
      Object.assign(fromFlags, resolveSettingLayers(declarations, [{ ...layer, values: settingFlagValues(this, this.declaredSettings) }]).values);
    }
    const profile: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(fromFlags)) if (value !== undefined) profile[key] = value;
    if (Object.keys(profile).length === 0) {
      throw new ConfigError('nothing to save: give --from FILE or at least one setting', {
        hint: 'e.g. hyperexport profiles save NAME --format ova --compress zstd',
      });
    }
    const saved = await saveProfile(this.name, profile as ExportProfile, { force: this.force, schema: this.surface?.profileSchema });
    if (this.json) this.context.stdout.write(`${JSON.stringify({ type: 'profile-saved', name: saved.name, path: saved.path })}\n`);
    else this.context.stdout.write(`saved profile ${saved.name}: ${saved.path}\n`);
    return ExitCode.OK;
  }

  private async readFrom(file: string): Promise<ExportProfile> {
    const path = resolve(file);
    try {
      return await readProfileFile(path, { schema: this.surface?.profileSchema });
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
      // A built-in's keys of plugins not loaded here are written as they are: the examples are the built-ins.
      results.push(
        await saveProfile(`example-${builtin}`, example, { directory, skipExisting: true, schema: this.surface?.profileSchema, undeclared: 'keep' }),
      );
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

/** `profiles save` with a flag for each setting a profile may carry (the core's and the loaded plugins'). */
export function profilesSaveCommandFor(registry: SettingsRegistry): typeof ProfilesSaveCommand {
  const settings = registry.profileSettings;
  return class extends ProfilesSaveCommand {
    constructor() {
      super();
      this.declaredSettings = settings;
      addSettingOptions(this, settings);
    }
  };
}
