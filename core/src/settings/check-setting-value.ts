// Checks one value of a setting against its declared schema. Every channel goes through here, so
// `--parallel x`, `"parallel": "x"` in a profile and `parallel: 'x'` in a config fail alike, as a
// usage error that names the setting and where the value came from.
import type * as t from 'typanion';
import { ConfigError } from '../errors.ts';
import { formatTypanionError } from '../schema-errors.ts';
import { parserErrorOf } from './define-settings.ts';
import type { SettingDeclaration } from './setting-declaration.ts';
import { describeOrigin } from './setting-origin.ts';
import type { SettingOrigin } from './setting-origin.ts';

export interface CheckOptions {
  /**
   * Text from a flag or a variable may be coerced (`"8"` to 8, `"true"` to true); a config or a
   * profile is typed already, and `parallel: "8"` there is a mistake to report.
   */
  readonly coerce?: boolean | undefined;
}

/** The checked (and, with `coerce`, converted) value; throws a ConfigError otherwise. */
export function checkSettingValue<T>(name: string, declaration: SettingDeclaration<T>, value: unknown, origin: SettingOrigin, options: CheckOptions = {}): T {
  const problem = settingValueProblem(name, declaration, value, origin, options);
  if (problem.ok) return problem.value;
  // A program's own value (runJob): the plugin's parser's error, as the plugin would have thrown it.
  if (origin.channel === 'job' && problem.cause instanceof ConfigError) throw problem.cause;
  throw new ConfigError(problem.message, { hint: problem.hint });
}

export type SettingValueCheck<T> = { ok: true; value: T } | { ok: false; message: string; hint: string; cause?: Error | undefined };

/** Like checkSettingValue, returning the problem instead of throwing, to list every problem at once. */
export function settingValueProblem<T>(
  name: string,
  declaration: SettingDeclaration<T>,
  value: unknown,
  origin: SettingOrigin,
  options: CheckOptions = {},
): SettingValueCheck<T> {
  const checked = checkAgainstSchema(declaration, value, options);
  if (checked.ok) return checked;
  const cause = parserErrorOf(declaration.schema, value);
  const hint = (cause as { hint?: string } | undefined)?.hint ?? `see \`hyperexport export --help\` for what ${name} takes`;
  return { ok: false, message: `setting "${name}" from ${describeOrigin(origin)}: ${checked.details.join('; ')}`, hint, cause };
}

/**
 * The schema's verdict, its messages made readable: `Expected a number (got "x")`, or
 * `"[1]": Expected a string (got 2)` for an element of a list.
 */
export function checkAgainstSchema<T>(
  declaration: SettingDeclaration<T>,
  value: unknown,
  options: CheckOptions = {},
): { ok: true; value: T } | { ok: false; details: string[] } {
  const errors: string[] = [];
  let current = value;
  const coercions: t.Coercion[] = [];
  // As clipanion applies a validator: typanion records each coercion, applied once all passed.
  const coercion = (next: unknown) => {
    current = next;
  };
  const ok = options.coerce ? declaration.schema(value, { errors, coercions, coercion: coercion as never }) : declaration.schema(value, { errors });
  if (ok) {
    for (const [, apply] of coercions) apply();
    return { ok: true, value: current as T };
  }
  return { ok: false, details: errors.map((error) => formatTypanionError(error, { key: 'setting', hideValue: declaration.secret === true })) };
}
