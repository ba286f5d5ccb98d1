// Which jobs the plugin encrypts, and with which secret: config options for every export, the
// job's `encrypt`/`passphraseFile`/`keyFile` (CLI or profile) for one, the job's over the config's.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, EventBus, Job } from '@hyperexport/core';
import type { JobSpec } from '@hyperexport/core';
import { jobSecret, loadJobKeys, loadMasterKey } from './job-settings.ts';

const jobWith = (extra: Record<string, unknown>) => {
  const spec: JobSpec = { format: 'ova', parallel: 1, overwrite: false, extra };
  return new Job(spec, new EventBus());
};

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-aes-settings-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('jobSecret', () => {
  it('does nothing without options or a job setting (the plugin is loaded as a built-in)', () => {
    expect(jobSecret({}, {})).toBeUndefined();
    expect(jobSecret({ compress: 'zstd' }, { chunkSize: 65536, scrypt: { log2N: 12 } })).toBeUndefined();
  });

  it('--encrypt aes encrypts the job, with the variable or a prompt when no file is given', () => {
    expect(jobSecret({ encrypt: 'aes' }, {})).toEqual({ keyFile: undefined, passphraseFile: undefined });
    expect(jobSecret({ encrypt: 'aes', passphraseFile: '/p' }, {})).toEqual({ keyFile: undefined, passphraseFile: '/p' });
    expect(jobSecret({ encrypt: 'aes', keyFile: '/k' }, {})).toEqual({ keyFile: '/k', passphraseFile: undefined });
  });

  it('--encrypt pgp is left to encrypt-pgp, even when the config enables AES', () => {
    expect(jobSecret({ encrypt: 'pgp' }, { keyFile: '/k' })).toBeUndefined();
    expect(jobSecret({ encrypt: 'pgp', passphraseFile: '/p' }, {})).toBeUndefined();
  });

  it("config options encrypt every export; the job's secret replaces the config's", () => {
    expect(jobSecret({}, { passphraseFile: '/config-p' })).toEqual({ keyFile: undefined, passphraseFile: '/config-p' });
    expect(jobSecret({}, { keyFile: '/config-k' })).toEqual({ keyFile: '/config-k', passphraseFile: undefined });
    expect(jobSecret({}, { enabled: true })).toEqual({ keyFile: undefined, passphraseFile: undefined });
    expect(jobSecret({ passphraseFile: '/job-p' }, { keyFile: '/config-k' })).toEqual({ keyFile: undefined, passphraseFile: '/job-p' });
    expect(jobSecret({ encrypt: 'aes', keyFile: '/job-k' }, { passphraseFile: '/config-p' })).toEqual({ keyFile: '/job-k', passphraseFile: undefined });
  });

  it("`enabled: false` keeps the config's key for jobs that ask with --encrypt aes", () => {
    expect(jobSecret({}, { enabled: false, keyFile: '/config-k' })).toBeUndefined();
    expect(jobSecret({ encrypt: 'aes' }, { enabled: false, keyFile: '/config-k' })).toEqual({ keyFile: '/config-k', passphraseFile: undefined });
  });

  it('a key file given without asking for encryption is an error, never a silently plain export', () => {
    expect(() => jobSecret({ keyFile: '/k' }, {})).toThrow(
      expect.objectContaining({ message: '--key-file was given, but encryption was not asked for', hint: 'add --encrypt aes' }),
    );
  });

  it("leaves a passphrase file without --encrypt to the usage check: encrypt-pgp's options may use it", () => {
    expect(jobSecret({ passphraseFile: '/p' }, {})).toBeUndefined();
  });

  it('refuses contradictions and values of the wrong type', () => {
    expect(() => jobSecret({ encrypt: 'aes', keyFile: '/k', passphraseFile: '/p' }, {})).toThrow(/both --key-file and --passphrase-file/);
    expect(() => jobSecret({}, { keyFile: '/k', passphraseFile: '/p' })).toThrow(/both keyFile and passphraseFile are set/);
    expect(() => jobSecret({ encrypt: 'pgp', keyFile: '/k' }, {})).toThrow(/--key-file is for --encrypt aes/);
    expect(() => jobSecret({ encrypt: 'rot13' }, {})).toThrow(expect.objectContaining({ message: 'unknown encryption "rot13"' }));
    expect(() => jobSecret({ encrypt: 'aes', keyFile: 42 }, {})).toThrow(ConfigError);
  });
});

describe('loadMasterKey', () => {
  it('reads a key file, and warns when other users can read it', async () => {
    const key = randomBytes(32);
    const shared = join(work, 'shared.key');
    await writeFile(shared, key, { mode: 0o644 });
    const job = jobWith({ encrypt: 'aes' });
    const master = await loadMasterKey(job, { keyFile: shared }, {}, 'encrypt-aes');
    expect(master.key.equals(key)).toBe(true);
    expect(master.kdf).toEqual({ kind: 'raw' });
    expect(job.warnings).toEqual([`[encrypt-aes] the key file ${shared} can be read by other users of this machine; restrict it with chmod 600`]);

    const private_ = join(work, 'private.key');
    await writeFile(private_, key.toString('hex'), { mode: 0o600 });
    const quiet = jobWith({ encrypt: 'aes' });
    expect((await loadMasterKey(quiet, { keyFile: private_ }, {}, 'encrypt-aes')).key.equals(key)).toBe(true);
    expect(quiet.warnings).toEqual([]);
  });

  it('derives a passphrase key with the configured scrypt cost and a fresh salt per job', async () => {
    const file = join(work, 'passphrase');
    await writeFile(file, 'secret words\n', { mode: 0o640 });
    const first = await loadMasterKey(jobWith({}), { passphraseFile: file }, { scrypt: { log2N: 10, r: 4 } }, 'encrypt-aes');
    const second = await loadMasterKey(jobWith({}), { passphraseFile: file }, { scrypt: { log2N: 10, r: 4 } }, 'encrypt-aes');
    expect(first.kdf).toMatchObject({ kind: 'scrypt', log2N: 10, r: 4, p: 1 });
    expect(first.key.equals(second.key)).toBe(false);
    const job = jobWith({});
    await loadMasterKey(job, { passphraseFile: file }, { scrypt: { log2N: 10 } }, 'encrypt-aes');
    expect(job.warnings[0]).toContain('passphrase file');
  });

  it("can derive a passphrase key again with an earlier job's salt (to check a checkpoint); a key file cannot", async () => {
    const file = join(work, 'passphrase-again');
    await writeFile(file, 'secret words\n', { mode: 0o600 });
    const first = await loadJobKeys(jobWith({}), { passphraseFile: file }, { scrypt: { log2N: 10, r: 4 } }, 'encrypt-aes');
    const second = await loadJobKeys(jobWith({}), { passphraseFile: file }, { scrypt: { log2N: 10, r: 4 } }, 'encrypt-aes');
    const kdf = first.master.kdf as Extract<typeof first.master.kdf, { kind: 'scrypt' }>;
    expect((await second.rederive!(kdf, kdf.salt)).equals(first.master.key)).toBe(true);
    const keyFile = join(work, 'again.key');
    await writeFile(keyFile, randomBytes(32), { mode: 0o600 });
    expect((await loadJobKeys(jobWith({}), { keyFile }, {}, 'encrypt-aes')).rederive).toBeUndefined();
  });

  it('an empty passphrase file and a missing key file fail with what to do', async () => {
    const empty = join(work, 'empty');
    await writeFile(empty, '\n', { mode: 0o600 });
    await expect(loadMasterKey(jobWith({}), { passphraseFile: empty }, {}, 'encrypt-aes')).rejects.toThrow(/is empty/);
    await expect(loadMasterKey(jobWith({}), { keyFile: join(work, 'nope') }, {}, 'encrypt-aes')).rejects.toMatchObject({
      message: expect.stringContaining('cannot read the key file'),
      hint: 'check the path and its permissions',
    });
  });
});
