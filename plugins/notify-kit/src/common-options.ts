// Options every notifier has, in the config form and (same names) as `--notify` URL parameters.
import { t } from '@hyperexport/core';
import { isEventList } from './event-selection.ts';
import type { NotifyEventKind } from './event-selection.ts';
import { progressOptionShape } from './progress-throttle.ts';
import type { ProgressOptions } from './progress-throttle.ts';
import { retryOptionShape } from './retry.ts';
import type { RetryOptions, RetryPolicy } from './retry.ts';

function eventsField(allowedEvents?: readonly NotifyEventKind[]) {
  return {
    /** Which events to send (default: completed and failed). */
    events: t.isOptional(isEventList(allowedEvents)),
  };
}

/**
 * The option fields of a notifier that can send `Events`; the `progress` throttling only when
 * `progress` is among them.
 */
export type CommonOptionShape<Events extends NotifyEventKind = NotifyEventKind> = ReturnType<typeof eventsField> &
  ('progress' extends Events ? typeof progressOptionShape : unknown) &
  typeof retryOptionShape;

/**
 * Spread into a notifier's `t.isObject({...})`; `events` narrowed by `allowedEvents`. The
 * `progress` option is there only when `allowedEvents` includes `progress`: a notifier that never
 * sends progress refuses it like any unknown option. Give the events as a literal tuple
 * (`['completed', 'failed'] as const`) for the option type to say the same.
 */
export function commonOptionShape<const Events extends NotifyEventKind = NotifyEventKind>(allowedEvents?: readonly Events[]): CommonOptionShape<Events> {
  const sendsProgress = allowedEvents === undefined || (allowedEvents as readonly NotifyEventKind[]).includes('progress');
  return {
    ...eventsField(allowedEvents),
    ...(sendsProgress ? progressOptionShape : {}),
    ...retryOptionShape,
  } as CommonOptionShape<Events>;
}

export interface CommonSettings extends RetryOptions {
  readonly events?: readonly NotifyEventKind[] | undefined;
  readonly progress?: ProgressOptions | undefined;
}

/** The longest time one send may take under `policy` (its bound plus a little slack). */
export function maxSendMs(policy: RetryPolicy): number {
  return policy.maxElapsedMs + 1_000;
}

/**
 * Settings from a `--notify` URL laid over the plugin's options: a plugin configured without a
 * destination (`notifySlack({ username: 'backup-bot' })`) gives defaults to every URL of its scheme.
 */
export function overlay<T extends object>(defaults: Partial<T>, settings: T): T {
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(settings)) if (value !== undefined) merged[key] = value;
  return merged as T;
}

/** Percent-decodes a file path or name from a URL, leaving a stray `%` alone. */
export function decodeUrlPart(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
