// One cap: a token bucket whose rate follows a timetable, and a queue of streams waiting for it.
// A job shares one limiter between all its streams (two disks read at once share the cap); the
// per-stream cap is a limiter of its own per stream. Waiting is on a timer, never a busy loop.
import type { Clock } from './clock.ts';
import { TokenBucket } from './token-bucket.ts';
import type { Timetable } from './timetable.ts';

interface Waiter {
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

export class BandwidthLimiter {
  readonly #timetable: Timetable;
  readonly #clock: Clock;
  readonly #bucket: TokenBucket;
  /** When the timetable's current rate ends (epoch ms). */
  #rateUntil: number;
  readonly #queue: Waiter[] = [];
  #cancelTimer: (() => void) | undefined;

  constructor(timetable: Timetable, clock: Clock) {
    this.#timetable = timetable;
    this.#clock = clock;
    const current = timetable.rateAt(clock.now());
    this.#bucket = new TokenBucket(current.bytesPerSecond, clock);
    this.#rateUntil = current.until;
  }

  /** The rate in force now (bytes per second; Infinity when off). */
  get rate(): number {
    this.#followTimetable();
    return this.#bucket.rate;
  }

  /** Takes `bytes` at once if nobody is waiting and the bucket allows it: no promise, no timer. */
  tryTakeNow(bytes: number): boolean {
    if (this.#queue.length > 0) return false;
    this.#followTimetable();
    return this.#bucket.tryTake(bytes) === 0;
  }

  /** Resolves when `bytes` may pass; first come, first served. Rejects when `signal` aborts. */
  take(bytes: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        resolve,
        reject,
        signal,
        // A paused stream is let go at once when the job is cancelled.
        onAbort: () => {
          this.#queue.splice(this.#queue.indexOf(waiter), 1);
          reject(signal.reason);
          this.#pump();
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.#queue.push(waiter);
      if (this.#queue.length === 1) this.#pump();
    });
  }

  #followTimetable(): void {
    const now = this.#clock.now();
    if (now < this.#rateUntil) return;
    const current = this.#timetable.rateAt(now);
    this.#bucket.setRate(current.bytesPerSecond);
    this.#rateUntil = current.until;
  }

  /** Lets waiters through in order while the bucket allows; then sleeps until it will, or until the rate changes. */
  #pump(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#followTimetable();
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const wait = this.#bucket.tryTake(head.bytes);
      if (wait > 0) {
        const untilRateChange = this.#rateUntil - this.#clock.now();
        this.#cancelTimer = this.#clock.setTimer(() => this.#pump(), Math.max(1, Math.min(wait, untilRateChange)));
        return;
      }
      this.#queue.shift();
      head.signal.removeEventListener('abort', head.onAbort);
      head.resolve();
    }
  }
}
