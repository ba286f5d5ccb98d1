// The last line of defence for secrets in URLs: every event passes through here before any
// observer sees it (`--json` prints events, notifiers send them, the history keeps them). A
// password in a URL's user info (`https://user:secret@host`) is masked wherever it appears, in a
// spec, a message or a result. Settings refuse such URLs on the command line; GOVC_URL may still
// hold one (as govc allows), and an error message from a library may quote it.

// The user info ends at the last `@` before the path, query or fragment, as URL parsers read it
// (`new URL('https://u:p@ss@host')` has the password `p%40ss`): the user name runs to the first
// `:`, the password to that last `@` (the greedy match backtracks to it), so a raw `@` in either
// leaves no part of the password in view.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#]*):([^\s/?#]+)@/gi;

/** `text` with the password of every URL in it replaced by `***`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1$2:***@');
}

/**
 * `value` with every string in it redacted, deeply; objects and arrays without anything to
 * redact are returned as they are (observers may keep references).
 */
export function redactCredentialsDeep<T>(value: T): T {
  if (typeof value === 'string') return redactUrlCredentials(value) as T;
  if (Array.isArray(value)) {
    const mapped = value.map((item: unknown) => redactCredentialsDeep(item));
    return (mapped.some((item, index) => item !== value[index]) ? mapped : value) as T;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    let changed = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const redacted = redactCredentialsDeep(item);
      if (redacted !== item) changed = true;
      return [key, redacted] as const;
    });
    return (changed ? Object.fromEntries(entries) : value) as T;
  }
  return value;
}
