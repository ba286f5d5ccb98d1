// Writes one stream to several sinks. Each chunk goes to every sink, and the next chunk waits
// until every sink that asked for a pause has drained: the slowest sink sets the pace and memory
// stays bounded by the sinks' own buffers. (ReadableStream.tee() would buffer without limit.)
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

export function fanOut(targets: readonly Writable[]): Writable {
  if (targets.length === 0) throw new Error('fanOut needs at least one target');
  if (targets.length === 1) return targets[0]!;
  return new FanOutWritable(targets);
}

class FanOutWritable extends Writable {
  readonly #targets: readonly Writable[];

  constructor(targets: readonly Writable[]) {
    super({ highWaterMark: 0 });
    this.#targets = targets;
    for (const target of targets) {
      // A sink that fails fails the whole fan-out; pipeline() then tears everything down.
      target.once('error', (error) => this.destroy(error));
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    let waiting = 0;
    const drained = () => {
      waiting -= 1;
      if (waiting === 0) callback();
    };
    for (const target of this.#targets) {
      if (!target.write(chunk)) {
        waiting += 1;
        target.once('drain', drained);
      }
    }
    if (waiting === 0) callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    Promise.all(
      this.#targets.map(async (target) => {
        target.end();
        await finished(target, { readable: false });
      }),
    ).then(
      () => callback(),
      (error: unknown) => callback(error as Error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (error) for (const target of this.#targets) target.destroy(error);
    callback(error);
  }
}
