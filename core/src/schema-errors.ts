// The one place that turns typanion's validation errors into lines a user can act on, for plugin
// options, config settings and profile fields alike.

export interface SchemaErrorWording {
  /** What a key is called: "option", "setting", "profile field". */
  readonly key: string;
  /** The keys that do exist, listed after an unknown one so a misspelling is easy to fix. */
  readonly knownKeys?: readonly string[] | undefined;
  /** Where the checked value sits (`export` for the config's export section), put before each path. */
  readonly within?: string | undefined;
  /** Said instead of typanion's "Expected an object" when the whole value is not one. */
  readonly notAnObject?: string | undefined;
  /** For a secret: the offending value is not repeated (`(value hidden)` instead of `(got ...)`). */
  readonly hideValue?: boolean | undefined;
}

/**
 * typanion says `.level: Expected a number (got "x")`, `.foo: Extraneous property (got 1)` or
 * `.mode: Expected ... (got undefined)`; these become `"level": Expected a number (got "x")`,
 * `"foo" is not a known option (got 1); remove it or check its spelling` and
 * `"mode" is required: Expected ...`.
 */
export function formatTypanionError(message: string, wording: SchemaErrorWording): string {
  const match = /^\.([^:]*): (.*)$/s.exec(message);
  if (!match) return message;
  const [, rawPath = '', said = ''] = match;
  const detail = wording.hideValue ? said.replace(/\(got .*\)$/s, '(value hidden)') : said;
  if (rawPath === '' && wording.within === undefined) {
    return wording.notAnObject !== undefined ? detail.replace(/^Expected an object/, wording.notAnObject) : detail;
  }
  // A key that is not an identifier is written `["my key"]`: name it plainly.
  const key = rawPath.replace(/^\["(.*)"\]$/, '$1');
  const path = [wording.within, key].filter((part) => part !== undefined && part !== '').join('.');
  if (detail.startsWith('Extraneous property')) {
    const known = wording.knownKeys?.length ? ` (known: ${wording.knownKeys.join(', ')})` : '';
    return `"${path}" is not a known ${wording.key}${detail.slice('Extraneous property'.length)}; remove it or check its spelling${known}`;
  }
  if (detail.endsWith('(got undefined)')) return `"${path}" is required: ${detail.replace(/ \(got undefined\)$/, '')}`;
  return `"${path}": ${detail}`;
}
