import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { webTransformDuplex } from './web-transform-duplex.ts';

const MiB = 1 << 20;
const turns = async (count: number) => {
  for (let index = 0; index < count; index++) await new Promise((resolve) => setImmediate(resolve));
};
const identity = async (input: ReadableStream<Uint8Array>) => input.pipeThrough(new TransformStream<Uint8Array, Uint8Array>());
const sha256 = (chunks: readonly Buffer[]) => chunks.reduce((hash, chunk) => hash.update(chunk), createHash('sha256')).digest('hex');

describe('webTransformDuplex', () => {
  it('passes every byte through in order', async () => {
    const chunks = Array.from({ length: 20 }, (_, index) => randomBytes(1000 + index * 5000));
    const out: Buffer[] = [];
    await pipeline(Readable.from(chunks), webTransformDuplex(identity), new Writable({ write: (chunk: Buffer, _e, done) => (out.push(chunk), done()) }));
    expect(sha256(out)).toBe(sha256(chunks));
  });

  it('holds writes back while nobody reads the output, and resumes when read', async () => {
    const duplex = webTransformDuplex(identity);
    let acknowledged = 0;
    const total = 64;
    for (let index = 0; index < total; index++) duplex.write(Buffer.alloc(MiB, index), () => acknowledged++);
    duplex.end();
    await turns(20);
    // The web side and the readable buffer hold a few chunks; the rest waits unacknowledged.
    expect(acknowledged).toBeGreaterThan(0);
    expect(acknowledged).toBeLessThan(8);
    let received = 0;
    for await (const chunk of duplex) received += (chunk as Buffer).length;
    expect(received).toBe(total * MiB);
    expect(acknowledged).toBe(total);
  });

  it('reports data the transform never read as trailing data', async () => {
    // Reads one chunk, and ends its output there.
    const firstChunkOnly = async (input: ReadableStream<Uint8Array>) => {
      const reader = input.getReader();
      const first = await reader.read();
      reader.releaseLock();
      return new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(first.value!);
          controller.close();
        },
      });
    };
    const duplex = webTransformDuplex(firstChunkOnly, { trailingDataError: () => new Error('trailing data!') });
    const sink = new Writable({ write: (_chunk, _e, done) => done() });
    await expect(pipeline(Readable.from([Buffer.from('one'), Buffer.from('two'), Buffer.from('three')]), duplex, sink)).rejects.toThrow('trailing data!');
  });

  it('fails with the mapped error when the transform cannot start', async () => {
    const duplex = webTransformDuplex(
      async () => {
        throw new Error('no key');
      },
      { mapError: (error) => new Error(`mapped: ${(error as Error).message}`) },
    );
    await expect(pipeline(Readable.from([Buffer.from('x')]), duplex, new Writable({ write: (_c, _e, done) => done() }))).rejects.toThrow('mapped: no key');
  });

  it('fails when the output errors half-way', async () => {
    const failing = async (input: ReadableStream<Uint8Array>) => {
      let seen = 0;
      return input.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            if (++seen === 3) throw new Error('Modification detected.');
            controller.enqueue(chunk);
          },
        }),
      );
    };
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(1024));
    await expect(pipeline(Readable.from(chunks), webTransformDuplex(failing), new Writable({ write: (_c, _e, done) => done() }))).rejects.toThrow(
      'Modification detected.',
    );
  });

  it('stops and cancels the web side when the signal aborts', async () => {
    const controller = new AbortController();
    let inputError: unknown;
    const watching = async (input: ReadableStream<Uint8Array>) => {
      const [forOutput, forWatch] = input.tee();
      void (async () => {
        const reader = forWatch.getReader();
        try {
          for (;;) if ((await reader.read()).done) return;
        } catch (error) {
          inputError = error;
        }
      })();
      return forOutput.pipeThrough(new TransformStream());
    };
    const duplex = webTransformDuplex(watching, { signal: controller.signal });
    let sent = 0;
    const endless = new Readable({
      read() {
        if (++sent === 5) controller.abort(new Error('user cancelled'));
        this.push(Buffer.alloc(64 * 1024));
      },
    });
    await expect(pipeline(endless, duplex, new Writable({ write: (_c, _e, done) => done() }))).rejects.toMatchObject({ name: 'AbortError' });
    await turns(5);
    expect(duplex.destroyed).toBe(true);
    expect(inputError).toBeDefined();
  });
});
