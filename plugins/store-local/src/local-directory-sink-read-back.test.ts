// The read-back check of LocalDirectorySink: a file damaged on disk after it was written (a bad
// disk, a faulty controller, another process) must fail the export, and nothing may be left that
// looks like a complete export. The damage is done by a sink that wraps the real one and flips a
// byte of the staged file between the write and the read-back, with the real filesystem.
import { open, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, Exporter, runJob } from '@hyperexport/core';
import type { Artifact, ExportLayout, ExportSink, FileDigest, JobSpec, SinkFile } from '@hyperexport/core';
import sourceLocal from '@hyperexport/source-local';
import { makeVmFolder } from '../../../test/support/make-vm-folder.ts';
import type { MadeVm } from '../../../test/support/make-vm-folder.ts';
import { LocalDirectorySink } from './local-directory-sink.ts';

/** A LocalDirectorySink whose file `victim` gets one byte flipped on disk after it was written. */
class DamagedAfterWrite implements ExportSink {
  readonly #inner: LocalDirectorySink;
  readonly #victim: string;
  damaged = false;

  constructor(inner: LocalDirectorySink, victim: string) {
    this.#inner = inner;
    this.#victim = victim;
  }

  get description(): string {
    return this.#inner.description;
  }

  prepare(layout: ExportLayout): Promise<void> {
    return this.#inner.prepare(layout);
  }

  spoolDirectory(): string | undefined {
    return this.#inner.spoolDirectory();
  }

  checkpointPath(): string | undefined {
    return this.#inner.checkpointPath();
  }

  async createFile(artifact: Artifact, signal: AbortSignal): Promise<SinkFile> {
    const file = await this.#inner.createFile(artifact, signal);
    if (artifact.name !== this.#victim) return file;
    return {
      stream: file.stream,
      finish: async (expected: FileDigest) => {
        await closed(file.stream);
        await flipMiddleByte(this.#inner.stagedPath(artifact.name)!);
        this.damaged = true;
        return file.finish(expected);
      },
    };
  }

  stagedPath(name: string): string | undefined {
    return this.#inner.stagedPath(name);
  }

  commit(): Promise<readonly string[]> {
    return this.#inner.commit();
  }

  committedPath(name: string): string | undefined {
    return this.#inner.committedPath(name);
  }

  abort(): Promise<void> {
    return this.#inner.abort();
  }
}

async function closed(stream: Writable): Promise<void> {
  if ((stream as Writable & { closed: boolean }).closed) return;
  await new Promise<void>((resolve) => stream.once('close', () => resolve()));
}

async function flipMiddleByte(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const { size } = await handle.stat();
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, Math.floor(size / 2));
    byte[0]! ^= 0xff;
    await handle.write(byte, 0, 1, Math.floor(size / 2));
  } finally {
    await handle.close();
  }
}

let work: string;
let vm: MadeVm;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-readback-'));
  vm = await makeVmFolder(join(work, 'vms', 'web01'), 'web01', [2]);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function exportWithDamage(directory: string, verify: boolean) {
  const sinks: DamagedAfterWrite[] = [];
  const damagingStore = definePlugin({
    name: 'damaging-store',
    version: '0.0.0',
    setup(exporter) {
      exporter.hooks.store.tap('damaging-store', (targets) => {
        const sink = new DamagedAfterWrite(new LocalDirectorySink(directory, { fsync: false, verify }), 'web01.vmdk');
        sinks.push(sink);
        targets.add(sink);
      });
    },
  });
  const spec: JobSpec = { source: vm.directory, format: 'ovf', parallel: 1, overwrite: false, extra: {} };
  const result = await runJob(await Exporter.create([sourceLocal(), damagingStore()]), spec);
  return { result, damaged: sinks.every((sink) => sink.damaged) && sinks.length === 1 };
}

describe('LocalDirectorySink read-back', () => {
  it('fails the export when a file no longer matches what was sent, and leaves nothing that looks complete', async () => {
    const directory = join(work, 'checked');
    const { result, damaged } = await exportWithDamage(directory, true);
    expect(damaged).toBe(true);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      code: 'VERIFY',
      message: expect.stringMatching(/web01\.vmdk: the file on disk does not match what was sent \(SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}\)/),
    });
    // No export, no record, no staging folder.
    expect(await readdir(directory)).toEqual([]);
  });

  it('is the only guard: with verify off the same damage is published (so verify is on by default)', async () => {
    const directory = join(work, 'unchecked');
    const { result, damaged } = await exportWithDamage(directory, false);
    expect(damaged).toBe(true);
    expect(result.status).toBe('succeeded');
    expect((await readdir(directory)).sort()).toEqual(['web01', 'web01.ovf.hyperexport.json']);
  });
});
