// Which job events a notifier reports. Most people want to hear about the outcome only, so the
// default is `completed` and `failed`; `started` is opt-in and `progress` too (and throttled, see
// progress-throttle.ts), because a chat channel that gets a message per percent is muted soon.
import { ConfigError, t } from '@hyperexport/core';
import type { JobResult } from '@hyperexport/core';

export const NOTIFY_EVENTS = ['started', 'progress', 'completed', 'failed'] as const;
export type NotifyEventKind = (typeof NOTIFY_EVENTS)[number];

export const DEFAULT_EVENTS: readonly NotifyEventKind[] = Object.freeze(['completed', 'failed']);

/** typanion schema of an `events` option; `allowed` narrows it for notifiers that cannot send some. */
export function isEventList(allowed: readonly NotifyEventKind[] = NOTIFY_EVENTS) {
  return t.isArray(t.isEnum(allowed));
}

/** The events a job result stands for: a cancelled job counts as `failed` (it did not export). */
export function outcomeEvent(result: Pick<JobResult, 'status'>): NotifyEventKind {
  return result.status === 'succeeded' ? 'completed' : 'failed';
}

/**
 * Parses the `events=` parameter of a `--notify` URL: names separated by commas, or `all`.
 * Throws a ConfigError naming the bad entry and the choices.
 */
export function parseEventList(text: string, allowed: readonly NotifyEventKind[] = NOTIFY_EVENTS): NotifyEventKind[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 1 && names[0] === 'all') return [...allowed];
  const events: NotifyEventKind[] = [];
  for (const name of names) {
    if (!(allowed as readonly string[]).includes(name)) {
      throw new ConfigError(`unknown notification event "${name}"`, { hint: `choose among ${allowed.join(', ')} (comma-separated), or all` });
    }
    if (!events.includes(name as NotifyEventKind)) events.push(name as NotifyEventKind);
  }
  if (events.length === 0) throw new ConfigError('events= is empty', { hint: `give at least one of ${allowed.join(', ')}` });
  return events;
}

/** The selected events, defaulting to completed + failed. */
export function selectEvents(
  events: readonly NotifyEventKind[] | undefined,
  fallback: readonly NotifyEventKind[] = DEFAULT_EVENTS,
): ReadonlySet<NotifyEventKind> {
  return new Set(events ?? fallback);
}
