// Helpers that fill in the flag kind and the usual schema, so a declaration says only what is
// particular to the setting: `setting.boolean({ description: '...', profile: true })`.
import * as t from 'typanion';
import type { SettingDeclaration, SettingsDeclarations } from './setting-declaration.ts';

type Details<T> = Omit<SettingDeclaration<T>, 'kind' | 'schema'>;

export const setting = Object.freeze({
  /** A switch: `--snapshot-before`, `--no-snapshot-before`. */
  boolean(details: Details<boolean>): SettingDeclaration<boolean> {
    return Object.freeze({ ...details, kind: 'boolean', schema: t.isBoolean() });
  },
  /** One value; the schema defaults to any string (a number schema takes `--parallel 8` as 8). */
  string<T = string>(details: Details<T> & { schema?: t.StrictValidator<unknown, T> }): SettingDeclaration<T> {
    return Object.freeze({ ...details, kind: 'string', schema: details.schema ?? (t.isString() as unknown as t.StrictValidator<unknown, T>) });
  },
  /** A list, one flag per element: `--recipient A --recipient B`; the schema defaults to strings. */
  list<T = string>(details: Details<T[]> & { schema?: t.StrictValidator<unknown, T[]> }): SettingDeclaration<T[]> {
    return Object.freeze({
      ...details,
      kind: 'list',
      schema: details.schema ?? (t.isArray(t.isString()) as unknown as t.StrictValidator<unknown, T[]>),
    });
  },
});

/** Identity, typed: keeps each declaration's value type for the plugin that reads them. */
export function defineSettings<const S extends SettingsDeclarations>(settings: S): S {
  return Object.freeze(settings);
}

/**
 * A schema that accepts what the plugin's own parser accepts, with the parser's message as the
 * problem: `isParsedBy(parseCompressSpec)` makes `--compress lz4` fail with "bad compression
 * "lz4": unknown algorithm" in every channel, before anything connects.
 */
const PARSER = Symbol('hyperexport.setting-parser');

export function isParsedBy(parse: (value: unknown) => unknown): t.StrictValidator<unknown, string>;
export function isParsedBy<T>(parse: (value: unknown) => unknown, base: t.StrictValidator<unknown, T>): t.StrictValidator<unknown, T>;
export function isParsedBy<T>(
  parse: (value: unknown) => unknown,
  base: t.StrictValidator<unknown, T> = t.isString() as unknown as t.StrictValidator<unknown, T>,
): t.StrictValidator<unknown, T> {
  const validator = t.makeValidator<unknown, T>({
    test: (value, state): value is T => {
      if (!base(value, state)) return false;
      try {
        parse(value);
        return true;
      } catch (error) {
        state?.errors?.push(`${state.p ?? '.'}: ${error instanceof Error ? error.message : String(error)}`);
        return false;
      }
    },
  });
  // The parser's own error (with its hint) is what a message about a bad value should carry.
  return Object.assign(validator, { [PARSER]: parse });
}

/** The error the parser of an isParsedBy schema throws for `value`, or undefined. */
export function parserErrorOf(schema: unknown, value: unknown): Error | undefined {
  const parse = (schema as { [PARSER]?: (value: unknown) => unknown })[PARSER];
  if (!parse) return undefined;
  try {
    parse(value);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : undefined;
  }
}
