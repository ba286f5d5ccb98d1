// A token bucket: `rate` bytes a second flow in, up to `burst`. It starts empty, so from the
// first byte on no more than rate × time ever passes; a request larger than a burst waits for a
// full bucket and leaves it in debt, which the next request waits off.
import type { Clock } from './clock.ts';

/** A quarter of a second of the rate, at least 64 KiB: small enough that the cap holds over short spans. */
export function burstFor(bytesPerSecond: number): number {
  return Math.max(64 * 1024, bytesPerSecond / 4);
}

export class TokenBucket {
  readonly #clock: Clock;
  #rate: number;
  #burst: number;
  #tokens = 0;
  #updatedAt: number;

  /** `bytesPerSecond` may be Infinity: no limit. */
  constructor(bytesPerSecond: number, clock: Clock) {
    this.#clock = clock;
    this.#rate = bytesPerSecond;
    this.#burst = burstFor(bytesPerSecond);
    this.#updatedAt = clock.now();
  }

  get rate(): number {
    return this.#rate;
  }

  /** Changes the rate from now on; what flowed in so far at the old rate stays. */
  setRate(bytesPerSecond: number): void {
    if (bytesPerSecond === this.#rate) return;
    this.#refill();
    this.#rate = bytesPerSecond;
    this.#burst = burstFor(bytesPerSecond);
    this.#tokens = Math.min(this.#tokens, this.#burst);
  }

  /**
   * Takes `bytes` when the bucket holds them (or, for more than a burst, when it is full) and
   * returns 0; otherwise takes nothing and returns the milliseconds until it will.
   */
  tryTake(bytes: number): number {
    if (this.#rate === Infinity) return 0;
    this.#refill();
    const needed = Math.min(bytes, this.#burst);
    if (this.#tokens >= needed) {
      this.#tokens -= bytes;
      return 0;
    }
    return Math.max(1, Math.ceil(((needed - this.#tokens) / this.#rate) * 1000));
  }

  #refill(): void {
    const now = this.#clock.now();
    // Wall time may step back (NTP): never count negative time.
    const elapsed = Math.max(0, now - this.#updatedAt) / 1000;
    this.#updatedAt = now;
    if (this.#rate !== Infinity) this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#rate);
  }
}
