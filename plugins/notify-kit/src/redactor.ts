// Secrets must never reach a warning, a log line or an error message. Every notifier registers
// the secrets it resolved (webhook URLs, keys, passwords) with its Redactor, and everything it
// reports passes through `redact`. An endpoint URL is shown as its origin with the rest masked,
// because the path of a Slack, Discord or Teams webhook URL is the credential.

export const MASK = '***';

// Parts of a URL shorter than this are words like "services" or "api", not tokens; masking them
// everywhere would garble messages without protecting anything.
const MIN_TOKEN_LENGTH = 16;

export class Redactor {
  readonly #secrets = new Set<string>();

  /** Registers a secret value; a URL also registers its path, query and long path segments. */
  add(secret: string | undefined): this {
    if (secret === undefined || secret.length < 4) return this;
    this.#secrets.add(secret);
    const url = tryUrl(secret);
    if (url) {
      const tail = `${url.pathname}${url.search}`;
      if (tail.length > 1) this.#secrets.add(tail);
      if (url.search.length > 1) this.#secrets.add(url.search.slice(1));
      if (url.password) this.#secrets.add(url.password);
      for (const part of url.pathname.split('/')) if (part.length >= MIN_TOKEN_LENGTH) this.#secrets.add(part);
      for (const value of url.searchParams.values()) if (value.length >= 8) this.#secrets.add(value);
      // As written too: searchParams decodes `+` to a space, the text of an error keeps it.
      for (const pair of url.search.slice(1).split('&')) {
        const value = pair.slice(pair.indexOf('=') + 1);
        if (pair.includes('=') && value.length >= 8) this.#secrets.add(value);
      }
    }
    return this;
  }

  /** The text with every registered secret replaced by `***` (longest first, so parts do not leak). */
  redact(text: string): string {
    let out = text;
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join(MASK);
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join(MASK);
    }
    return out;
  }
}

/** `https://hooks.slack.com/***`: where a secret endpoint is, without the part that is the credential. */
export function redactEndpoint(endpoint: string): string {
  const url = tryUrl(endpoint);
  if (!url) return MASK;
  return `${url.protocol}//${url.host}/${MASK}`;
}

function tryUrl(text: string): URL | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return undefined;
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
