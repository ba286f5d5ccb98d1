// Progress notifications are opt-in and rare: one when the export crosses the next `percentStep`
// boundary (25 %, 50 %, 75 % by default), and otherwise one per `intervalSeconds` at most (for
// exports whose size is not known ahead, as vSphere disk streams often are).
import { t } from '@hyperexport/core';

export interface ProgressOptions {
  /** Seconds between two time-based progress messages (default 300). */
  readonly intervalSeconds?: number | undefined;
  /** A message each time the percentage crosses a multiple of this (default 25; 0 turns it off). */
  readonly percentStep?: number | undefined;
}

export const progressOptionShape = {
  /** Throttling of `progress` messages. */
  progress: t.isOptional(
    t.isObject({
      intervalSeconds: t.isOptional(t.cascade(t.isNumber(), [t.isAtLeast(1)])),
      percentStep: t.isOptional(t.cascade(t.isNumber(), [t.isInInclusiveRange(0, 100)])),
    }),
  ),
};

export const DEFAULT_PROGRESS_INTERVAL_SECONDS = 300;
export const DEFAULT_PROGRESS_PERCENT_STEP = 25;

export class ProgressThrottle {
  readonly #intervalMs: number;
  readonly #percentStep: number;
  #lastSentAt: number;
  #lastStep = 0;

  /** `startedAt`: the job's start, so the first time-based message comes one interval in. */
  constructor(options: ProgressOptions = {}, startedAt: number = Date.now()) {
    this.#intervalMs = (options.intervalSeconds ?? DEFAULT_PROGRESS_INTERVAL_SECONDS) * 1000;
    this.#percentStep = options.percentStep ?? DEFAULT_PROGRESS_PERCENT_STEP;
    this.#lastSentAt = startedAt;
  }

  /**
   * Whether a progress message is due now. `percent` is undefined when the total is unknown.
   * Returns true at most once per boundary crossed and once per interval; 100 % is left to
   * the `completed` message.
   */
  due(now: number, percent: number | undefined): boolean {
    if (percent !== undefined && this.#percentStep > 0 && percent < 100) {
      const step = Math.floor(percent / this.#percentStep);
      if (step > this.#lastStep) {
        this.#lastStep = step;
        this.#lastSentAt = now;
        return true;
      }
    }
    if (now - this.#lastSentAt >= this.#intervalMs && (percent === undefined || percent < 100)) {
      this.#lastSentAt = now;
      return true;
    }
    return false;
  }
}
