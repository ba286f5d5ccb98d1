import { describe, expect, it } from 'vitest';
import * as t from 'typanion';
import { ConfigError } from './errors.ts';
import { Exporter } from './exporter.ts';
import { definePlugin, flattenPlugins } from './plugin.ts';

const withOptions = definePlugin({
  name: 'with-options',
  version: '1.0.0',
  options: t.isObject({ level: t.isNumber(), mode: t.isEnum(['fast', 'slow'] as const), label: t.isOptional(t.isString()) }),
  setup() {},
});

async function problemsOf(promise: Promise<unknown>): Promise<readonly string[]> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).problems;
}

describe('Exporter.create', () => {
  it('lists every option problem at once: unknown key, wrong type, missing required', async () => {
    const problems = await problemsOf(Exporter.create([withOptions({ level: 'high', colour: 'red' } as never)]));
    expect(problems).toEqual([
      'plugin "with-options" option "level": Expected a number (got "high")',
      'plugin "with-options" option "mode" is required: Expected one of "fast" or "slow"',
      'plugin "with-options" option "colour" is not a known option (got "red"); remove it or check its spelling',
    ]);
  });

  it('rejects two plugins with one name and unmet requirements', async () => {
    const needy = definePlugin({ name: 'needy', version: '1.0.0', requires: ['storage:s3'], setup() {} });
    const problems = await problemsOf(Exporter.create([withOptions({ level: 1, mode: 'fast' }), withOptions({ level: 2, mode: 'slow' }), needy()]));
    expect(problems).toContain('plugin "with-options" is listed twice; list each plugin once (merge the options)');
    expect(problems).toContain('plugin "needy" requires "storage:s3", which no configured plugin provides; add a plugin that provides it');
  });

  it('names the plugin whose setup throws', async () => {
    const broken = definePlugin({ name: 'broken', version: '1.0.0', setup() { throw new Error('missing API key'); } });
    await expect(Exporter.create([broken()])).rejects.toThrow('plugin "broken" failed to set up: missing API key');
  });

  it('seals the hooks after setup', async () => {
    const exporter = await Exporter.create([]);
    expect(() => exporter.hooks.notify.tap('late', () => {})).toThrow('"late" tapped notify after setup');
  });

  it('sets up pre plugins first and post plugins last', async () => {
    const order: string[] = [];
    const make = (name: string, enforce?: 'pre' | 'post') => definePlugin({ name, version: '1', ...(enforce ? { enforce } : {}), setup() { order.push(name); } });
    await Exporter.create([make('post', 'post')(), make('normal')(), make('pre', 'pre')()]);
    expect(order).toEqual(['pre', 'normal', 'post']);
  });

  it('flattens presets and skips falsy entries', () => {
    const a = definePlugin({ name: 'a', version: '1', setup() {} });
    const b = definePlugin({ name: 'b', version: '1', setup() {} });
    const flat = flattenPlugins([a(), [false, [b()]], null, undefined]);
    expect(flat.map((p) => p.definition.name)).toEqual(['a', 'b']);
    expect(() => flattenPlugins([{ name: 'not a plugin' } as never])).toThrow('plugins[0] is not a plugin (got an object)');
  });
});
