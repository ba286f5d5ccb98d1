// `--notify URL` (repeatable; `job.spec.extra.notify`), in the spirit of Apprise and shoutrrr:
// the scheme picks the notifier, the rest says where and how. Secrets are never part of the URL
// itself: the URL names where they are (`slack://env:SLACK_WEBHOOK_URL`), because a command line
// is visible to every user of the machine. Each notifier parses its own schemes; this module
// holds what they share.
import { ConfigError } from '@hyperexport/core';
import { NOTIFY_EVENTS, parseEventList } from './event-selection.ts';
import type { NotifyEventKind } from './event-selection.ts';
import type { ProgressOptions } from './progress-throttle.ts';
import type { RetryOptions } from './retry.ts';
import { MASK } from './redactor.ts';
import { isSecretReference } from './secret-ref.ts';

/** The key of `job.spec.extra` that `--notify` fills. */
export const NOTIFY_EXTRA_KEY = 'notify';

/** The lower-cased scheme of a notify URL (`slack` for `slack://…`), or undefined when it has none. */
export function notifySchemeOf(url: string): string | undefined {
  const match = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  return match ? match[1]!.toLowerCase() : undefined;
}

/** The `--notify` URLs of a job: `extra.notify` as a list of strings (a single string is accepted too). */
export function notifyUrlsOf(extra: Readonly<Record<string, unknown>>): string[] {
  const value = extra[NOTIFY_EXTRA_KEY];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

/**
 * A notify URL as it may appear in a message: the scheme, a secret reference as written (it
 * names a variable or a file, not a value), otherwise only the host.
 */
export function describeNotifyUrl(url: string): string {
  const scheme = notifySchemeOf(url);
  if (scheme === undefined) return MASK;
  const { target } = splitNotifyUrl(url);
  if (isSecretReference(target)) return `${scheme}://${target}`;
  const host = /^(?:[^@/?#]*@)?([^/?#]*)/.exec(target)?.[1] ?? '';
  // Only something that looks like a host name is shown: `pagerduty://KEY` has the key where a
  // host would be.
  if (!/^(localhost|\[[0-9a-f:.]+\]|[^.:]+(\.[^.:]+)+)(:\d+)?$/i.test(host)) return `${scheme}://${MASK}`;
  return `${scheme}://${host}${target.length > host.length ? `/${MASK}` : ''}`;
}

export interface SplitNotifyUrl {
  readonly scheme: string;
  /** Everything between `://` and the first `?`. */
  readonly target: string;
  readonly params: URLSearchParams;
}

/**
 * Splits without WHATWG URL parsing: `slack://env:NAME` or `pagerduty://file:/etc/key` are not
 * URLs a parser accepts (`env:NAME` reads as host and port). A `?` always starts the options.
 */
export function splitNotifyUrl(url: string): SplitNotifyUrl {
  const scheme = notifySchemeOf(url);
  if (scheme === undefined)
    throw new ConfigError(`"${MASK}" is not a notify URL`, {
      // The schemes are those of the notifier plugins loaded (the dispatcher lists them when no
      // notifier takes a URL); this module does not keep a list of its own.
      hint: 'write SCHEME://WHERE?OPTIONS, e.g. slack://env:SLACK_WEBHOOK_URL; each notify-* plugin documents its schemes',
    });
  const rest = url.slice(scheme.length + 3);
  const question = rest.indexOf('?');
  return {
    scheme,
    target: question === -1 ? rest : rest.slice(0, question),
    params: new URLSearchParams(question === -1 ? '' : rest.slice(question + 1)),
  };
}

/**
 * The error for a secret written into a `--notify` URL. It never repeats the value, and says
 * exactly how to pass it instead.
 */
export function literalSecretError(what: string, scheme: string, envExample: string): ConfigError {
  return new ConfigError(`the ${what} must not be written into a ${scheme}:// URL on the command line (anyone on this machine can read it there)`, {
    hint: `put it in an environment variable and give ${scheme}://env:${envExample}, or in a file only you can read and give ${scheme}://file:/path/to/file`,
  });
}

/**
 * The query options of a notify URL, taken one by one; whatever is left at `finish` is an
 * unknown option (an error), or, for URLs that point at an HTTP endpoint, belongs to it.
 */
export class NotifyParams {
  readonly #params: URLSearchParams;
  readonly #taken = new Set<string>();
  readonly #where: string;
  /** The shared options `common` took, for the hint of `finish`. */
  #common: readonly string[] = [];

  constructor(params: URLSearchParams, where: string) {
    this.#params = params;
    this.#where = where;
  }

  string(name: string): string | undefined {
    this.#taken.add(name);
    const values = this.#params.getAll(name);
    if (values.length > 1) throw new ConfigError(`${this.#where}: ${name}= is given ${values.length} times`, { hint: 'give it once' });
    return values[0];
  }

  all(name: string): string[] {
    this.#taken.add(name);
    return this.#params.getAll(name);
  }

  /** A comma-separated list (`to=a@x,b@y`), repeated parameters allowed. */
  list(name: string): string[] | undefined {
    const values = this.all(name)
      .flatMap((value) => value.split(','))
      .map((value) => value.trim())
      .filter((value) => value !== '');
    return values.length > 0 ? values : undefined;
  }

  integer(name: string, min = 0): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text) || Number(text) < min) throw new ConfigError(`${this.#where}: ${name}=${text} is not a whole number ≥ ${min}`);
    return Number(text);
  }

  number(name: string, min = 0): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < min) throw new ConfigError(`${this.#where}: ${name}=${text} is not a number ≥ ${min}`);
    return value;
  }

  boolean(name: string): boolean | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (['1', 'true', 'yes', 'on'].includes(text.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(text.toLowerCase())) return false;
    throw new ConfigError(`${this.#where}: ${name}=${text} is not true or false`);
  }

  /**
   * The options every notifier shares: `events`, `timeoutMs`, `maxAttempts`, `maxElapsedMs`, and
   * `progressInterval`, `progressStep` only when `allowedEvents` includes `progress` (for a
   * notifier that never sends progress they are unknown options, refused at `finish`).
   */
  common(
    allowedEvents: readonly NotifyEventKind[] = NOTIFY_EVENTS,
  ): { events?: NotifyEventKind[] | undefined; progress?: ProgressOptions | undefined } & RetryOptions {
    this.#common = commonParameterNames(allowedEvents);
    const events = this.string('events');
    const settings = {
      events: events === undefined ? undefined : parseEventList(events, allowedEvents),
      timeoutMs: this.integer('timeoutMs', 1),
      maxAttempts: this.integer('maxAttempts', 1),
      maxElapsedMs: this.integer('maxElapsedMs', 1),
    };
    if (!allowedEvents.includes('progress')) return settings;
    const intervalSeconds = this.number('progressInterval', 1);
    const percentStep = this.number('progressStep', 0);
    return { ...settings, progress: intervalSeconds === undefined && percentStep === undefined ? undefined : { intervalSeconds, percentStep } };
  }

  /** The parameters nobody took. */
  rest(): URLSearchParams {
    const rest = new URLSearchParams();
    for (const [name, value] of this.#params) if (!this.#taken.has(name)) rest.append(name, value);
    return rest;
  }

  /** Throws for parameters nobody took; `known` lists the valid ones (besides the shared ones) for the hint. */
  finish(known: readonly string[]): void {
    const unknown = [...new Set([...this.rest().keys()])];
    if (unknown.length > 0) {
      throw new ConfigError(`${this.#where}: unknown option${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}`, {
        hint: `options: ${[...known, ...this.#common].join(', ')}`,
      });
    }
  }
}

/** The URL parameters `NotifyParams.common` takes for a notifier that can send `allowedEvents`. */
function commonParameterNames(allowedEvents: readonly NotifyEventKind[]): string[] {
  return ['events', ...(allowedEvents.includes('progress') ? ['progressInterval', 'progressStep'] : []), 'timeoutMs', 'maxAttempts', 'maxElapsedMs'];
}
