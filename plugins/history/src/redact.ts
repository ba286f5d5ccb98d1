// Secrets must never land in the history file: error messages quote URLs and settings, and a
// URL may carry `user:password@`, a setting may be `GOVC_PASSWORD=...`. Everything the history
// stores as free text passes through `redact` first. It errs on the side of hiding too much.

const MASK = '***';

// `scheme://user:password@host` → `scheme://user:***@host`. The user name stays: it helps to
// tell which account failed and is not a secret by itself.
// The password part runs to the last `@` before the path, so an unencoded `@` in it is covered.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/?#]*):[^\s/?#]*@/gi;

// `Authorization: Bearer abc`, `Authorization: Basic abc=` (the scheme word stays).
const AUTHORIZATION = /\b(authorization\s*[:=]\s*["']?(?:(?:Bearer|Basic|Digest|Negotiate|AWS4-HMAC-SHA256)\s+)?)[^\s"',;]+/gi;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/g;

// A key that names a secret, as a whole word: `password`, `GOVC_PASSWORD`, `apiKey`,
// `client_secret`, `sas-token`, `"passphrase"`, a `sig` query parameter. Followed by `=` or `:`.
const SECRET_WORDS = String.raw`password|passwd|passphrase|secret|token|key|credentials?|signature`;
const KEY_VALUE = new RegExp(
  String.raw`(?<![\w.-])(["']?(?:[\w.-]*(?:${SECRET_WORDS})[\w.-]*|pwd|sig|auth)["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s"',;&)}\]]+)`,
  'gi',
);

/** The text with credentials in URLs and the values of secret-looking keys replaced by `***`. */
export function redact(text: string): string {
  return text
    .replace(URL_CREDENTIALS, `$1:${MASK}@`)
    .replace(AUTHORIZATION, `$1${MASK}`)
    .replace(BEARER, `$1${MASK}`)
    .replace(KEY_VALUE, (_match, key: string, value: string) => {
      const quote = value.startsWith('"') || value.startsWith("'") ? value[0]! : '';
      return `${key}${quote}${MASK}${quote}`;
    });
}
