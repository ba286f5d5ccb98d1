// `qemu-img convert -p` (and `compare -p`) print their progress as `    (12.34/100%)\r` on stdout,
// one carriage return after each update and never a newline until the end. Chunks from the pipe
// can cut an update in two, so the unfinished tail is kept for the next chunk.

const UPDATE = /\((\d{1,3}(?:\.\d+)?)\/100%\)/g;
/** Longer than any single update; a tail this long without one is not progress output. */
const MAX_TAIL = 64;

export class QemuProgressParser {
  #tail = '';
  #percent: number | undefined;

  /** The last percentage seen so far (0–100), or undefined before the first update. */
  get percent(): number | undefined {
    return this.#percent;
  }

  /** Feeds output; returns the newest percentage in it, or undefined when the chunk completes none. */
  push(chunk: string): number | undefined {
    const text = this.#tail + chunk;
    let latest: number | undefined;
    let consumed = 0;
    for (const match of text.matchAll(UPDATE)) {
      const value = Number(match[1]);
      if (value <= 100) latest = value;
      consumed = match.index + match[0].length;
    }
    // Keep what may be the start of an update cut off by the chunk boundary.
    const rest = text.slice(consumed);
    const open = rest.lastIndexOf('(');
    const tail = open === -1 ? '' : rest.slice(open);
    this.#tail = tail.length > MAX_TAIL ? '' : tail;
    if (latest !== undefined) this.#percent = latest;
    return latest;
  }
}
