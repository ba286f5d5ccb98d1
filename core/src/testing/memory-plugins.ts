// In-memory source and sink plugins for the core's own tests. They implement the same
// interfaces as real plugins, so the run loop is exercised exactly as in production.
import { Readable, Writable } from 'node:stream';
import { definePlugin } from '../plugin.ts';
import type { ExportSink, ExportSource, FileDigest, SinkFile } from '../model.ts';

export interface MemoryFile {
  name: string;
  /** The bytes, or a factory for a stream (slow or failing sources). */
  content: Buffer | ((signal: AbortSignal) => Readable);
  rereadable?: boolean;
}

export interface MemorySourceState {
  completed: number;
  aborted: unknown[];
  opened: string[];
  streams: Readable[];
}

export function memorySource(vmName: string, files: MemoryFile[], state: MemorySourceState = { completed: 0, aborted: [], opened: [], streams: [] }) {
  const source: ExportSource = {
    kind: 'memory',
    vmName,
    files: files.map((file) => ({
      name: file.name,
      size: Buffer.isBuffer(file.content) ? file.content.length : undefined,
      rereadable: file.rereadable ?? Buffer.isBuffer(file.content),
      open: (signal: AbortSignal) => {
        state.opened.push(file.name);
        const stream = Buffer.isBuffer(file.content) ? Readable.from(chunks(file.content, 16 * 1024)) : file.content(signal);
        state.streams.push(stream);
        return Promise.resolve(stream);
      },
    })),
    descriptor: (digests: readonly FileDigest[]) =>
      Promise.resolve(`<Envelope>${digests.map((d) => `<File href="${d.name}" size="${d.size}"/>`).join('')}</Envelope>`),
    complete: () => {
      state.completed += 1;
      return Promise.resolve();
    },
    abort: (reason: unknown) => {
      state.aborted.push(reason);
      return Promise.resolve();
    },
  };
  const plugin = definePlugin({
    name: 'memory-source',
    version: '0.0.0',
    provides: ['source:memory'],
    setup(exporter) {
      exporter.hooks.download.tap('memory-source', () => source);
    },
  });
  return { plugin, state };
}

export interface MemorySinkState {
  files: Map<string, Buffer>;
  committed: boolean;
  aborted: boolean;
  prepared: boolean;
}

/** A sink that keeps what it is sent; `delayMs` slows every write to model a slow destination. */
export function memorySink(name = 'memory-sink', options: { delayMs?: number; failAfterBytes?: number } = {}) {
  const state: MemorySinkState = { files: new Map(), committed: false, aborted: false, prepared: false };
  const sink: ExportSink = {
    description: `memory://${name}`,
    prepare: () => {
      state.prepared = true;
      return Promise.resolve();
    },
    createFile: (artifact) => {
      const parts: Buffer[] = [];
      let written = 0;
      const stream = new Writable({
        highWaterMark: 64 * 1024,
        write(chunk: Buffer, _encoding, callback) {
          written += chunk.length;
          if (options.failAfterBytes !== undefined && written > options.failAfterBytes) {
            callback(new Error(`${name}: destination failed after ${options.failAfterBytes} bytes`));
            return;
          }
          parts.push(Buffer.from(chunk));
          if (options.delayMs) setTimeout(callback, options.delayMs);
          else callback();
        },
      });
      const file: SinkFile = {
        stream,
        finish: () => {
          state.files.set(artifact.name, Buffer.concat(parts));
          return Promise.resolve(`memory://${name}/${artifact.name}`);
        },
      };
      return Promise.resolve(file);
    },
    commit: () => {
      state.committed = true;
      return Promise.resolve([`memory://${name}`]);
    },
    abort: () => {
      state.aborted = true;
      return Promise.resolve();
    },
  };
  const plugin = definePlugin({
    name,
    version: '0.0.0',
    setup(exporter) {
      exporter.hooks.store.tap(name, (targets) => targets.add(sink));
    },
  });
  return { plugin, state };
}

function* chunks(buffer: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < buffer.length; offset += size) yield buffer.subarray(offset, offset + size);
}

/** A stream that never ends by itself; it records being destroyed. */
export function endlessStream(chunkSize = 64 * 1024): Readable & { destroyedBy?: unknown } {
  const chunk = Buffer.alloc(chunkSize, 7);
  const stream: Readable & { destroyedBy?: unknown } = new Readable({
    read() {
      setTimeout(() => this.push(chunk), 1);
    },
    destroy(error, callback) {
      stream.destroyedBy = error ?? 'destroyed';
      callback(error);
    },
  });
  return stream;
}
