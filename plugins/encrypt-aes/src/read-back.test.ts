// The stage's way back during the job (TransformStage.reverse), which the post-export checks read
// every stored file back with: the job's own key, the header must bind exactly the file and the
// export, and a file that an interrupted run of the same export wrote under another passphrase
// salt (the continuing job adopted it) reads back too, with the same passphrase only.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus, Exporter, Job } from '@hyperexport/core';
import type { TransformStage } from '@hyperexport/core';
import encryptAes from './index.ts';
import { run, runCollecting } from './testing/streams.ts';

const EXPORT_ID = '5d1c7a3e-2b9f-4c60-8e17-a4f3b2d6c901';
const STORED = 'web01-disk1.vmdk.zst.hxe';

let work: string;
let passphraseFile: string;
let otherPassphraseFile: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-aes-read-back-'));
  passphraseFile = join(work, 'passphrase');
  await writeFile(passphraseFile, 'correct horse battery staple\n', { mode: 0o600 });
  otherPassphraseFile = join(work, 'other-passphrase');
  await writeFile(otherPassphraseFile, 'a different passphrase\n', { mode: 0o600 });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const signal = () => AbortSignal.timeout(60_000);

/** The stage one job of the export gets from the plugin, with that job's own key (and salt). */
async function stageOfAJob(file: string): Promise<{ stage: TransformStage; release: () => Promise<void> }> {
  const exporter = await Exporter.create([encryptAes({ passphraseFile: file, scrypt: { log2N: 10 }, chunkSize: 65536 })]);
  const job = new Job({ format: 'ovf', parallel: 1, overwrite: false, extra: {} }, new EventBus(), undefined, { exportId: EXPORT_ID });
  const plan = await exporter.hooks.transform.promise({ stages: [] }, job);
  return { stage: plan.stages[0]!, release: () => exporter.hooks.release.promise(job) };
}

describe('reading back what the job wrote', () => {
  it('reads its own files and, with the same passphrase, a file an interrupted run wrote under another salt', async () => {
    const plaintext = randomBytes(3 * 65536 + 11);
    const artifact = { name: STORED, kind: 'disk' as const };
    const interrupted = await stageOfAJob(passphraseFile);
    const written = await run(interrupted.stage.create(artifact, signal()), plaintext);
    await interrupted.release();

    const continuing = await stageOfAJob(passphraseFile);
    const own = await run(continuing.stage.create(artifact, signal()), plaintext);
    expect(own.subarray(0, 64).equals(written.subarray(0, 64)), 'two jobs, two salts: the headers differ').toBe(false);
    expect((await run(await continuing.stage.reverse!(artifact, signal()), own)).equals(plaintext)).toBe(true);
    expect((await run(await continuing.stage.reverse!(artifact, signal()), written)).equals(plaintext), 'the adopted file reads back').toBe(true);
    await continuing.release();

    const otherPassphrase = await stageOfAJob(otherPassphraseFile);
    const refused = await runCollecting(await otherPassphrase.stage.reverse!(artifact, signal()), written);
    expect(refused.output.length).toBe(0);
    expect(refused.error).toMatchObject({ message: expect.stringMatching(/wrong passphrase or key|key check/i) });
    await otherPassphrase.release();
  });

  it('refuses a file whose header binds another file name, before any plaintext', async () => {
    const { stage, release } = await stageOfAJob(passphraseFile);
    const file = await run(stage.create({ name: 'web01-disk2.vmdk.hxe', kind: 'disk' }, signal()), Buffer.from('disk two'));
    const read = await runCollecting(await stage.reverse!({ name: STORED, kind: 'disk' }, signal()), file);
    expect(read.output.length).toBe(0);
    expect(read.error).toMatchObject({
      code: 'BINDING',
      message: `its header binds web01-disk2.vmdk.hxe of export ${EXPORT_ID}, not ${STORED} of export ${EXPORT_ID}`,
    });
    await release();
  });
});
