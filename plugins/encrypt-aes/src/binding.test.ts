// Every encrypted file's header binds its stored name and its export's job id (format version 2):
// the plugin writes them from the artifact core hands its stage and from the job, and the reverse
// stage hands them to the restore's bindings after the header authenticated and before any
// plaintext, so swapped files, files of another export and old files mixed with new ones fail.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus, ExportBindings, ExportError, Exporter, Job } from '@hyperexport/core';
import type { FileBinding, RestoreBindings, RestoreKeys, TransformStage } from '@hyperexport/core';
import encryptAes, {
  createDecryptStream,
  createEncryptStream,
  encryptionStage,
  keySource,
  masterKeyFromBytes,
  readFileBinding,
  reverseStages,
} from './index.ts';
import type { HeaderBinding, MasterKey } from './index.ts';
import { specEncrypt } from './testing/specification.ts';
import { recordPushes, run, runCollecting } from './testing/streams.ts';

const CHUNK = 65536;
const JOB_A = '5d1c7a3e-2b9f-4c60-8e17-a4f3b2d6c901';
const JOB_B = 'e97b0f24-6a1d-4f8c-b352-0c8d1e7a5f46';

let work: string;
let key: Buffer;
let keyFile: string;
let master: MasterKey;
/** RestoreKeys as `hyperexport restore` builds them, with this test's key file. */
let restoreKeys: RestoreKeys;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-aes-binding-'));
  key = randomBytes(32);
  keyFile = join(work, 'export.key');
  await writeFile(keyFile, key, { mode: 0o600 });
  master = masterKeyFromBytes(key);
  restoreKeys = {
    keyFile,
    privateKeyFiles: [],
    passphrase: () => Promise.reject(new Error('these files were encrypted with a key file')),
  };
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const signal = () => AbortSignal.timeout(60_000);

/** Encrypts `plaintext` as a job's encryption stage does for the file stored as `storedName`. */
async function encryptAs(storedName: string, exportId: string, plaintext: Buffer): Promise<Buffer> {
  const stage = encryptionStage(master, { exportId, chunkSize: CHUNK });
  return run(stage.create({ name: storedName, kind: 'disk' }, signal()), plaintext);
}

/** Restores `file` as `storedName` through the reverse stage; returns what it emitted and its error. */
async function restoreAs(storedName: string, file: Buffer, bindings?: RestoreBindings): Promise<{ pushed: Buffer; output: Buffer; error: unknown }> {
  const [stage] = reverseStages;
  const { stream, pushed } = recordPushes(await stage!.create(storedName, restoreKeys, signal(), bindings));
  const { output, error } = await runCollecting(stream, file, 7000);
  return { pushed: pushed(), output, error };
}

/** A RestoreBindings that records what it was asked and accepts everything. */
class RecordingBindings implements RestoreBindings {
  readonly seen: [string, FileBinding | undefined][] = [];
  check(storedName: string, binding: FileBinding | undefined): void {
    this.seen.push([storedName, binding]);
  }
}

describe('what the plugin writes', () => {
  it("its transform hook builds a stage that binds the stored name core hands it and the export's id; a restore reads them back", async () => {
    const exporter = await Exporter.create([encryptAes({ keyFile, chunkSize: CHUNK })]);
    const job = new Job({ format: 'ovf', parallel: 1, overwrite: false, extra: {} }, new EventBus(), undefined, { exportId: JOB_A });
    const plan = await exporter.hooks.transform.promise({ stages: [] }, job);
    expect(plan.stages.map((stage) => stage.name)).toEqual(['aes-256-gcm']);
    const stage: TransformStage = plan.stages[0]!;
    // Core hands every stage the artifact as stored, after every rename (compressed, then encrypted).
    expect(stage.rename!('web01-disk1.vmdk.zst')).toBe('web01-disk1.vmdk.zst.hxe');
    const plaintext = randomBytes(3 * CHUNK + 5);
    const file = await run(stage.create({ name: 'web01-disk1.vmdk.zst.hxe', kind: 'disk' }, signal()), plaintext);
    expect(file[8]).toBe(2);

    expect(await readFileBinding(Readable.from([file]), keySource({ key }))).toEqual({ storedName: 'web01-disk1.vmdk.zst.hxe', exportId: job.exportId });
    const recorded = new RecordingBindings();
    const restored = await restoreAs('web01-disk1.vmdk.zst.hxe', file, recorded);
    expect(restored.error).toBeUndefined();
    expect(restored.output.equals(plaintext)).toBe(true);
    expect(recorded.seen).toEqual([['web01-disk1.vmdk.zst.hxe', { storedName: 'web01-disk1.vmdk.zst.hxe', exportId: job.exportId }]]);
    // The record's jobId is the export's id: a restore from the record accepts the file.
    expect((await restoreAs('web01-disk1.vmdk.zst.hxe', file, new ExportBindings({ exportId: job.exportId }))).output.equals(plaintext)).toBe(true);
    await exporter.hooks.release.promise(job);
  });

  it('binds the base name when an artifact name carries a folder', async () => {
    const stage = encryptionStage(master, { exportId: JOB_A });
    const file = await run(stage.create({ name: 'web01/web01.ovf.hxe', kind: 'descriptor' }, signal()), Buffer.from('<Envelope/>'));
    expect(await readFileBinding(Readable.from([file]), master)).toEqual({ storedName: 'web01.ovf.hxe', exportId: JOB_A });
  });

  it('takes names and ids up to the limits, in any script, and refuses what the header cannot bind', async () => {
    const within = { storedName: `${'é'.repeat(123)}.vmdk.hxe`, exportId: 'x'.repeat(128) };
    expect(Buffer.byteLength(within.storedName)).toBe(255);
    const file = await run(createEncryptStream(master, { binding: within }), Buffer.from('data'));
    expect(file.length).toBe(90 + 2 + 255 + 128 + 32 + 4 + 16);
    expect(await readFileBinding(Readable.from([file]), master)).toEqual(within);

    const refused: [HeaderBinding, RegExp][] = [
      [{ storedName: `${'é'.repeat(124)}.vmdk.hxe`, exportId: JOB_A }, /the stored name .* is 257 bytes in UTF-8, more than the 255/],
      [{ storedName: '', exportId: JOB_A }, /the stored name is empty/],
      [{ storedName: 'web01/disk.vmdk.hxe', exportId: JOB_A }, /is not a base name/],
      [{ storedName: 'disk\u0000.vmdk.hxe', exportId: JOB_A }, /is not a base name/],
      [{ storedName: 'disk\ud800.vmdk.hxe', exportId: JOB_A }, /is not valid Unicode/],
      [{ storedName: 'disk.vmdk.hxe', exportId: 'x'.repeat(129) }, /the export id is 129 bytes in UTF-8, more than 128/],
      [{ storedName: 'disk.vmdk.hxe', exportId: '' }, /the export id is empty/],
    ];
    for (const [binding, message] of refused) {
      expect(() => createEncryptStream(master, { binding }), binding.storedName).toThrow(
        expect.objectContaining({ code: 'BAD_BINDING', message: expect.stringMatching(message), hint: expect.stringContaining('255 bytes') }),
      );
    }
    // Through the stage, the export fails on that file rather than writing an unbound one.
    expect(() => encryptionStage(master, { exportId: JOB_A }).create({ name: `${'n'.repeat(256)}.hxe`, kind: 'disk' }, signal())).toThrow(ExportError);
  });
});

describe('what a restore refuses, before any plaintext', () => {
  let plainA: Buffer;
  let plainB: Buffer;
  let fileA: Buffer;
  let fileB: Buffer;
  beforeAll(async () => {
    plainA = randomBytes(2 * CHUNK + 100);
    plainB = randomBytes(2 * CHUNK + 100);
    fileA = await encryptAs('a.vmdk.hxe', JOB_A, plainA);
    fileB = await encryptAs('b.vmdk.hxe', JOB_A, plainB);
  });

  it('restores the files of one export under their own names', async () => {
    const bindings = new ExportBindings();
    expect((await restoreAs('a.vmdk.hxe', fileA, bindings)).output.equals(plainA)).toBe(true);
    expect((await restoreAs('b.vmdk.hxe', fileB, bindings)).output.equals(plainB)).toBe(true);
  });

  it('two disks of one export swapped: the restore fails naming both names, and hands out nothing', async () => {
    for (const [name, bytes, writtenAs] of [
      ['a.vmdk.hxe', fileB, 'b.vmdk.hxe'],
      ['b.vmdk.hxe', fileA, 'a.vmdk.hxe'],
    ] as const) {
      const { pushed, error } = await restoreAs(name, bytes, new ExportBindings());
      expect(error).toBeInstanceOf(ExportError);
      expect(error).toMatchObject({
        code: 'RESTORE_BINDING',
        message: `${name} was written as ${writtenAs}: the files of this export were swapped or renamed`,
      });
      expect(pushed.length).toBe(0);
    }
  });

  it('without bindings (a caller that does not check) the swapped file decrypts: the check is what refuses it', async () => {
    const { output, error } = await restoreAs('a.vmdk.hxe', fileB);
    expect(error).toBeUndefined();
    expect(output.equals(plainB)).toBe(true);
  });

  it('a file of another export among the files of one restore fails', async () => {
    const other = await encryptAs('c.vmdk.hxe', JOB_B, randomBytes(1000));
    const bindings = new ExportBindings();
    expect((await restoreAs('a.vmdk.hxe', fileA, bindings)).error).toBeUndefined();
    const { pushed, error } = await restoreAs('c.vmdk.hxe', other, bindings);
    expect(error).toMatchObject({
      code: 'RESTORE_BINDING',
      message: expect.stringContaining(`c.vmdk.hxe was written by another export (job ${JOB_B}) than a.vmdk.hxe (job ${JOB_A})`),
    });
    expect(pushed.length).toBe(0);
  });

  it('a restore from an export record refuses a file of another export, even the first one', async () => {
    const older = await encryptAs('a.vmdk.hxe', JOB_B, randomBytes(1000));
    const { pushed, error } = await restoreAs('a.vmdk.hxe', older, new ExportBindings({ exportId: JOB_A }));
    expect(error).toMatchObject({ code: 'RESTORE_BINDING', message: expect.stringContaining(`(job ${JOB_B}) than the export record (job ${JOB_A})`) });
    expect(pushed.length).toBe(0);
  });

  it('version 1 files restore alone, and may not be mixed with version 2 files (either order)', async () => {
    const oldPlain = randomBytes(CHUNK + 1);
    const old = specEncrypt(oldPlain, { kind: 'raw', key }, CHUNK, { version: 1 });
    const alone = new ExportBindings({ exportId: JOB_A });
    expect((await restoreAs('old.vmdk.hxe', old, alone)).output.equals(oldPlain)).toBe(true);

    const newFirst = new ExportBindings();
    expect((await restoreAs('a.vmdk.hxe', fileA, newFirst)).error).toBeUndefined();
    const mixed = await restoreAs('old.vmdk.hxe', old, newFirst);
    expect(mixed.error).toMatchObject({
      code: 'RESTORE_BINDING',
      message: expect.stringContaining('old.vmdk.hxe carries no binding to its export while a.vmdk.hxe does'),
    });
    expect(mixed.pushed.length).toBe(0);

    const oldFirst = new ExportBindings();
    expect((await restoreAs('old.vmdk.hxe', old, oldFirst)).error).toBeUndefined();
    const mixedAfter = await restoreAs('a.vmdk.hxe', fileA, oldFirst);
    expect(mixedAfter.error).toMatchObject({
      code: 'RESTORE_BINDING',
      message: expect.stringContaining('old.vmdk.hxe carries no binding to its export while a.vmdk.hxe does'),
    });
    expect(mixedAfter.pushed.length).toBe(0);
  });

  it('a single renamed file (`hyperexport decrypt`) is decrypted with a warning when the bindings say so', async () => {
    const warnings: string[] = [];
    const { output, error } = await restoreAs('renamed.vmdk.hxe', fileA, new ExportBindings({ onRenamed: (message) => warnings.push(message) }));
    expect(error).toBeUndefined();
    expect(output.equals(plainA)).toBe(true);
    expect(warnings).toEqual(['renamed.vmdk.hxe was written as a.vmdk.hxe; it may have been renamed']);
  });

  it('the bindings see only authenticated headers: a wrong key or an altered name fails first, unchecked', async () => {
    const recorded = new RecordingBindings();
    const [stage] = reverseStages;
    const wrongKeyFile = join(work, 'wrong.key');
    await writeFile(wrongKeyFile, randomBytes(32), { mode: 0o600 });
    const wrongKey = await runCollecting(await stage!.create('a.vmdk.hxe', { ...restoreKeys, keyFile: wrongKeyFile }, signal(), recorded), fileA);
    expect(wrongKey.error).toMatchObject({ code: 'WRONG_KEY' });
    // The name rewritten in place (same length) to the one it is restored as: the MAC no longer matches.
    const renamed = Buffer.from(fileB);
    renamed.write('a', 91, 'latin1');
    const altered = await restoreAs('a.vmdk.hxe', renamed, recorded);
    expect(altered.error).toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('its authentication code does not match') });
    expect(altered.pushed.length).toBe(0);
    expect(recorded.seen).toEqual([]);
  });
});

describe("createDecryptStream's onHeader", () => {
  it('is called once, after authentication and before the first plaintext, with the binding', async () => {
    const plaintext = randomBytes(3 * CHUNK);
    const file = await run(createEncryptStream(master, { chunkSize: CHUNK, binding: { storedName: 'x.ova.hxe', exportId: JOB_B } }), plaintext);
    const events: string[] = [];
    const stream = createDecryptStream(master, {
      onHeader: (binding) => {
        events.push(`header ${binding?.storedName} ${binding?.exportId}`);
      },
    });
    const { stream: recorded } = recordPushes(stream);
    const push = recorded.push.bind(recorded);
    recorded.push = (chunk: unknown, encoding?: BufferEncoding) => {
      if (Buffer.isBuffer(chunk)) events.push('plaintext');
      return push(chunk, encoding);
    };
    expect((await run(recorded, file, 1000)).equals(plaintext)).toBe(true);
    expect(events).toEqual([`header x.ova.hxe ${JOB_B}`, 'plaintext', 'plaintext', 'plaintext']);
  });

  it('fails the stream with what it throws or rejects with, and nothing is handed out', async () => {
    const file = await run(createEncryptStream(master, { binding: { storedName: 'x.hxe', exportId: JOB_A } }), randomBytes(5000));
    const refusal = new ExportError('not the file you asked for', { code: 'TEST_REFUSAL' });
    for (const onHeader of [
      () => {
        throw refusal;
      },
      () => Promise.reject(refusal),
    ]) {
      const { stream, pushed } = recordPushes(createDecryptStream(master, { onHeader }));
      const { error } = await runCollecting(stream, file);
      expect(error).toBe(refusal);
      expect(pushed().length).toBe(0);
    }
  });
});

describe('readFileBinding', () => {
  it('reads the header only, and says undefined for a version 1 file', async () => {
    const file = await run(
      createEncryptStream(master, { chunkSize: CHUNK, binding: { storedName: 'web01.ova.hxe', exportId: JOB_A } }),
      randomBytes(4 * CHUNK),
    );
    async function* headerThenStop(): AsyncGenerator<Buffer> {
      yield file.subarray(0, 50);
      yield file.subarray(50, 200);
      throw new Error('read past the header');
    }
    expect(await readFileBinding(headerThenStop(), keySource({ key }), { name: 'web01.ova.hxe' })).toEqual({ storedName: 'web01.ova.hxe', exportId: JOB_A });
    const old = specEncrypt(randomBytes(10), { kind: 'raw', key }, CHUNK, { version: 1 });
    expect(await readFileBinding(Readable.from([old]), keySource({ key }))).toBeUndefined();
  });

  it('refuses a header that does not authenticate, and a file cut inside its header', async () => {
    const file = await run(createEncryptStream(master, { binding: { storedName: 'web01.ova.hxe', exportId: JOB_A } }), randomBytes(10));
    await expect(readFileBinding(Readable.from([file]), keySource({ key: randomBytes(32) }), { name: 'web01.ova.hxe' })).rejects.toMatchObject({
      code: 'WRONG_KEY',
    });
    const altered = Buffer.from(file);
    altered[95]! ^= 2;
    await expect(readFileBinding(Readable.from([altered]), master)).rejects.toMatchObject({
      code: 'CORRUPT',
      message: expect.stringContaining('its authentication code does not match'),
    });
    await expect(readFileBinding(Readable.from([file.subarray(0, 100)]), master, { name: 'web01.ova.hxe' })).rejects.toMatchObject({
      code: 'TRUNCATED',
      message: 'web01.ova.hxe is truncated: it ends inside the encryption header (100 of 173 bytes)',
    });
  });
});
