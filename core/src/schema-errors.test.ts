import * as t from 'typanion';
import { describe, expect, it } from 'vitest';
import { formatTypanionError } from './schema-errors.ts';

// One formatter for plugin options, config settings and profile fields (each had its own copy).
const schema = t.isObject({ mode: t.isEnum(['fast', 'slow']), level: t.isOptional(t.isNumber()) });

function errorsOf(value: unknown): string[] {
  const errors: string[] = [];
  expect(schema(value, { errors })).toBe(false);
  return errors;
}

describe('formatTypanionError', () => {
  it('names a missing key as required, a wrong value with what was expected, and an unknown key as such', () => {
    const lines = errorsOf({ level: 'x', colour: 'red' }).map((message) => formatTypanionError(message, { key: 'option' }));
    expect(lines).toEqual([
      '"mode" is required: Expected one of "fast" or "slow"',
      '"level": Expected a number (got "x")',
      '"colour" is not a known option (got "red"); remove it or check its spelling',
    ]);
  });

  it('lists the known keys after an unknown one, and names a key that is not an identifier plainly', () => {
    const [line] = errorsOf({ mode: 'fast', 'my key': 1 }).map((message) =>
      formatTypanionError(message, { key: 'profile field', knownKeys: ['mode', 'level'] }),
    );
    expect(line).toBe('"my key" is not a known profile field (got 1); remove it or check its spelling (known: mode, level)');
  });

  it('puts the section before each path, and says what the whole value must be', () => {
    expect(errorsOf({ mode: 'slow', level: true }).map((message) => formatTypanionError(message, { key: 'setting', within: 'export' }))).toEqual([
      '"export.level": Expected a number (got true)',
    ]);
    expect(errorsOf('x').map((message) => formatTypanionError(message, { key: 'profile field', notAnObject: 'a profile is a JSON object' }))).toEqual([
      'a profile is a JSON object (got "x")',
    ]);
  });

  it('does not repeat the value of a secret', () => {
    expect(formatTypanionError('.: Expected a string (got 42)', { key: 'setting', hideValue: true })).toBe('Expected a string (value hidden)');
    expect(formatTypanionError('.token: Expected a string (got 42)', { key: 'setting', hideValue: true })).toBe('"token": Expected a string (value hidden)');
  });
});
