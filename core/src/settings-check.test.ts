// The usage check: each plugin's parser of its settings runs before anything connects, and
// every problem is one ConfigError (exit code 2 in the CLI).
import { describe, expect, it } from 'vitest';
import { ConfigError, PluginError } from './errors.ts';
import { Exporter } from './exporter.ts';
import type { JobSpec } from './model.ts';
import { definePlugin } from './plugin.ts';
import { checkSettings } from './settings-check.ts';

const spec = (extra: Record<string, unknown>, name?: string): JobSpec => ({
  format: 'ova',
  parallel: 1,
  overwrite: false,
  extra,
  ...(name === undefined ? {} : { name }),
});

const parser = (name: string, key: string) =>
  definePlugin({
    name,
    version: '1.0.0',
    setup(exporter) {
      exporter.hooks.checkSettings.tap(name, (checked) => {
        const value = checked.extra[key];
        if (value !== undefined && value !== 'good') throw new ConfigError(`bad --${key} "${String(value)}"`, { hint: `e.g. --${key} good` });
      });
    },
  });

describe('checkSettings', () => {
  it('passes good settings', async () => {
    const exporter = await Exporter.create([parser('a', 'alpha')()]);
    await expect(checkSettings(exporter, spec({ alpha: 'good' }))).resolves.toBeUndefined();
  });

  it('throws the one ConfigError a plugin raised, with its hint', async () => {
    const exporter = await Exporter.create([parser('a', 'alpha')()]);
    await expect(checkSettings(exporter, spec({ alpha: 'lz4' }))).rejects.toMatchObject({
      name: 'ConfigError',
      message: 'bad --alpha "lz4"',
      hint: 'e.g. --alpha good',
    });
  });

  it("lists every problem of every plugin at once, the core's own (name, tags) included", async () => {
    const exporter = await Exporter.create([parser('a', 'alpha')(), parser('b', 'beta')()]);
    const error = await checkSettings(exporter, spec({ alpha: 'x', beta: 'y', tags: [''] }, '../x')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'the export name "../x" has a path separator in it (give a plain file name with --name; the folder is --output DIR)',
      'an empty --tag was given (give each tag a name, e.g. --tag weekly, or leave --tag out)',
      'bad --alpha "x" (e.g. --alpha good)',
      'bad --beta "y" (e.g. --beta good)',
    ]);
  });

  it('refuses names that are no file name', async () => {
    const exporter = await Exporter.create([]);
    const refusals: Array<[string, string]> = [
      ['', 'is not a file name'],
      [' ', 'is not a file name'],
      ['.', 'is not a file name'],
      ['..', 'is not a file name'],
      ['a/b', 'has a path separator in it'],
      ['a\\b', 'has a path separator in it'],
      ['x\ny', 'has control characters in it'],
    ];
    for (const [name, why] of refusals) {
      const error = await checkSettings(exporter, spec({}, name)).catch((caught: unknown) => caught);
      expect(error, JSON.stringify(name)).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message, JSON.stringify(name)).toContain(why);
    }
    await expect(checkSettings(exporter, spec({}, '{vm}-{date}'))).resolves.toBeUndefined();
  });

  it('a setting one plugin ignores is an error unless another uses it', async () => {
    const ignoring = definePlugin({
      name: 'ignoring',
      version: '1.0.0',
      setup: (exporter) =>
        exporter.hooks.checkSettings.tap('ignoring', (_, check) => check.ignores('secretFile', '--secret-file is not used', 'add --encrypt')),
    });
    const using = definePlugin({
      name: 'using',
      version: '1.0.0',
      setup: (exporter) => exporter.hooks.checkSettings.tap('using', (_, check) => check.uses('secretFile')),
    });
    await expect(checkSettings(await Exporter.create([ignoring()]), spec({ secretFile: 'f' }))).rejects.toMatchObject({
      message: '--secret-file is not used',
      hint: 'add --encrypt',
    });
    await expect(checkSettings(await Exporter.create([ignoring(), using()]), spec({ secretFile: 'f' }))).resolves.toBeUndefined();
  });

  it('an error that is not a ConfigError is a bug of the plugin, tagged with its name', async () => {
    const broken = definePlugin({
      name: 'broken',
      version: '1.0.0',
      setup: (exporter) =>
        exporter.hooks.checkSettings.tap('broken', () => {
          throw new TypeError('oops');
        }),
    });
    const error = await checkSettings(await Exporter.create([broken()]), spec({})).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PluginError);
    expect(error).toMatchObject({ plugin: 'broken', hook: 'checkSettings', message: '[broken] checkSettings: oops' });
    expect(error).not.toBeInstanceOf(ConfigError);
  });
});
