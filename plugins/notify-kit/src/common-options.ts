// Options every notifier has, in the config form and (same names) as `--notify` URL parameters.
import { t } from '@hyperexport/core';
import { isEventList } from './event-selection.ts';
import type { NotifyEventKind } from './event-selection.ts';
import { progressOptionShape } from './progress-throttle.ts';
import type { ProgressOptions } from './progress-throttle.ts';
import { retryOptionShape } from './retry.ts';
import type { RetryOptions, RetryPolicy } from './retry.ts';

/** Spread into a notifier's `t.isObject({...})`; `events` narrowed by `allowedEvents`. */
export function commonOptionShape(allowedEvents?: readonly NotifyEventKind[]) {
  return {
    /** Which events to send (default: completed and failed). */
    events: t.isOptional(isEventList(allowedEvents)),
    ...progressOptionShape,
    ...retryOptionShape,
  };
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
