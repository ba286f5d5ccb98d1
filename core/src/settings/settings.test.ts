import { describe, expect, it } from 'vitest';
import * as t from 'typanion';
import { ConfigError } from '../errors.ts';
import { definePlugin, flattenPlugins, resolvePlugins } from '../plugin.ts';
import { checkSettingValue } from './check-setting-value.ts';
import { defineSettings, setting } from './define-settings.ts';
import { renameFormerNames } from './former-names.ts';
import { resolveSettingLayers } from './resolve-settings.ts';
import { flagOf } from './setting-flag.ts';
import { createSettingsReader } from './settings-reader.ts';
import { SettingsRegistry } from './settings-registry.ts';

const SETTINGS = defineSettings({
  level: setting.string({ description: 'level', schema: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 9)]), env: 'TEST_LEVEL', default: 3 }),
  snapshotBefore: setting.boolean({ description: 'snapshot first', profile: true, formerNames: ['before'] }),
  targets: setting.list({ description: 'where', flag: '--upload', flagAliases: ['--target'], profile: true }),
  passphraseFile: setting.string({ description: 'secret file', secret: true }),
});
const declarations = new Map(Object.entries(SETTINGS));

const flag = (values: Record<string, unknown>) => ({ origin: { channel: 'flag' as const, where: '--flag' }, values, coerce: true });
const profile = (values: Record<string, unknown>) => ({ origin: { channel: 'profile' as const, where: 'nightly' }, values });
const config = (values: Record<string, unknown>) => ({ origin: { channel: 'config' as const, where: '/x/hyperexport.config.ts' }, values });

describe('setting flags', () => {
  it('are the kebab-case of the name unless declared', () => {
    expect(flagOf('snapshotBefore', SETTINGS.snapshotBefore)).toBe('--snapshot-before');
    expect(flagOf('targets', SETTINGS.targets)).toBe('--upload');
  });
});

describe('resolveSettingLayers: flag > profile > config', () => {
  it('takes each setting from the highest layer that sets it, and says where from', () => {
    const resolved = resolveSettingLayers(declarations, [
      flag({ level: '7' }),
      profile({ level: 5, snapshotBefore: true }),
      config({ snapshotBefore: false, targets: ['s3://b/p'] }),
    ]);
    expect(resolved.values).toEqual({ level: 7, snapshotBefore: true, targets: ['s3://b/p'] });
    expect(resolved.origins.level).toEqual({ channel: 'flag', where: '--flag' });
    expect(resolved.origins.snapshotBefore).toEqual({ channel: 'profile', where: 'nightly' });
    expect(resolved.origins.targets?.channel).toBe('config');
  });

  it('coerces flag text, never a profile value', () => {
    expect(resolveSettingLayers(declarations, [flag({ level: '4' })]).values.level).toBe(4);
    expect(() => resolveSettingLayers(declarations, [profile({ level: '4' })])).toThrow(
      /setting "level" from --profile nightly: Expected a number \(got "4"\)/,
    );
  });

  it('reports every bad value, naming the setting and its channel, also one a higher layer overrides', () => {
    let caught: unknown;
    try {
      resolveSettingLayers(declarations, [flag({ level: '12' }), profile({ snapshotBefore: 'yes' }), config({ level: 2.5 })]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toBe('3 settings have bad values');
    expect((caught as ConfigError).problems).toEqual([
      'setting "level" from --flag on the command line: Expected to be in the [1; 9] range (got 12)',
      'setting "snapshotBefore" from --profile nightly: Expected a boolean (got "yes")',
      'setting "level" from the export section of /x/hyperexport.config.ts: Expected to be an integer (got 2.5)',
    ]);
  });

  it('returns the keys no declaration knows, with where they came from', () => {
    const resolved = resolveSettingLayers(declarations, [profile({ compress: 'zstd', level: 2 })]);
    expect(resolved.undeclared).toEqual([{ name: 'compress', origin: { channel: 'profile', where: 'nightly' } }]);
  });

  it('never echoes a secret value', () => {
    expect(() => checkSettingValue('passphraseFile', SETTINGS.passphraseFile, 42, { channel: 'profile', where: 'p' })).toThrow(
      'setting "passphraseFile" from --profile p: Expected a string (value hidden)',
    );
  });
});

describe('a plugin reads its settings: job (flag, profile, config) > plugin option > env > default', () => {
  const plugin = definePlugin({ name: 'reader', version: '1', settings: SETTINGS, setup() {} });
  const readerOf = (options: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
    const { plugins, problems } = resolvePlugins(flattenPlugins([plugin(options as never)]));
    expect(problems).toEqual([]);
    const [resolved] = plugins;
    // The reader made by resolvePlugins reads process.env; rebuild it with this env, keeping the option values.
    return { reader: resolved!.settings, envReader: createSettingsReader('reader', SETTINGS, { snapshotBefore: options.snapshotBefore }, env) };
  };

  it('the job value wins over the plugin option, which wins over env and the default', () => {
    const { reader } = readerOf({ level: 6, snapshotBefore: true });
    expect(reader.of({ extra: { level: 8 } }).level).toBe(8);
    expect(reader.of({ extra: {} }).level).toBe(6);
    expect(reader.of({ extra: {} }).snapshotBefore).toBe(true);
    expect(reader.configured.targets).toBeUndefined();
  });

  it('env under the option, the default under env', () => {
    const { envReader } = readerOf({});
    expect(envReader.of({ extra: {} }).level).toBe(3);
    const withEnv = createSettingsReader('reader', SETTINGS, {}, { TEST_LEVEL: '5' });
    expect(withEnv.of({ extra: {} }).level).toBe(5);
    expect(createSettingsReader('reader', SETTINGS, { level: 2 }, { TEST_LEVEL: '5' }).of({ extra: {} }).level).toBe(2);
    expect(() => createSettingsReader('reader', SETTINGS, {}, { TEST_LEVEL: 'x' }).of({ extra: {} })).toThrow(
      /setting "level" from the environment variable TEST_LEVEL: Expected a number/,
    );
  });

  it('a former option name is taken as the setting, and both names at once are refused', () => {
    const { reader } = readerOf({ before: true });
    expect(reader.configured.snapshotBefore).toBe(true);
    const { problems } = resolvePlugins(flattenPlugins([plugin({ before: true, snapshotBefore: false } as never)]));
    expect(problems).toEqual(['plugin "reader" option "before" is the former name of "snapshotBefore", and both are set; keep only "snapshotBefore"']);
  });

  it('a bad setting among the options is reported with the plugin named', () => {
    const { problems } = resolvePlugins(flattenPlugins([plugin({ level: 0 } as never)]));
    expect(problems).toEqual(['setting "level" from the options of plugin "reader": Expected to be in the [1; 9] range (got 0)']);
  });

  it('a bad job value is a usage error naming spec.extra', () => {
    const { reader } = readerOf({});
    expect(() => reader.of({ extra: { snapshotBefore: 'yes' } })).toThrow(
      /setting "snapshotBefore" from the job's settings \(spec.extra.snapshotBefore\): Expected a boolean/,
    );
  });
});

describe('former names (profile and option migration)', () => {
  it('moves a value to the current name and says so', () => {
    expect(renameFormerNames({ before: true, level: 2 }, SETTINGS)).toEqual({
      values: { snapshotBefore: true, level: 2 },
      problems: [],
      mapped: [['before', 'snapshotBefore']],
    });
  });
});

describe('SettingsRegistry', () => {
  it('merges one setting declared by two plugins, and refuses a kind or a flag in conflict', () => {
    const registry = SettingsRegistry.from(
      { format: setting.string({ description: 'f', profile: true }) },
      [
        { name: 'a', settings: { passphraseFile: setting.string({ description: 'p' }) } },
        { name: 'b', settings: { passphraseFile: setting.string({ description: 'p too' }), keep: setting.boolean({ description: 'k', flag: '--format' }) } },
        { name: 'c', settings: { passphraseFile: setting.boolean({ description: 'p' }) } },
      ],
      ['--source'],
    );
    expect(registry.get('passphraseFile')?.declaredBy).toEqual(['a', 'b']);
    expect(registry.problems).toEqual([
      'plugin "b" declares the setting "keep" with the flag --format, which is already the flag of "format" (core)',
      'plugin "c" declares the setting "passphraseFile" as a boolean, but a, b declared it as a string',
    ]);
    expect(registry.profileSettings.map((s) => s.name)).toEqual(['format']);
  });
});
