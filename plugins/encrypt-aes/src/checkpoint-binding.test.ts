// The key check value encrypt-aes binds into a checkpoint: the same key is recognised (also a
// passphrase derived with another salt), another key, passphrase or kind is refused with why,
// and nothing recorded reveals the key.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyCheckBinding } from './checkpoint-binding.ts';
import type { Rederive } from './checkpoint-binding.ts';
import { masterKeyFromBytes, masterKeyFromPassphrase, scryptKey } from './keys.ts';

const FAST = { log2N: 10, r: 1, p: 1 };

/** A job's master key from a passphrase, as loadMasterKey makes it, counting the derivations. */
async function fromPassphrase(passphrase: string) {
  const master = await masterKeyFromPassphrase(passphrase, FAST);
  const calls: number[] = [];
  const rederive: Rederive = (params, salt) => {
    calls.push(params.log2N);
    return scryptKey(passphrase, salt, params);
  };
  return { master, rederive, calls };
}

describe('keyCheckBinding', () => {
  it('records a key check value, never the key, and recognises the same key file', async () => {
    const key = randomBytes(32);
    const recorded = (await keyCheckBinding(masterKeyFromBytes(key), undefined)(undefined)).value;
    expect(recorded).toMatch(/^aes-kcv1:raw:[0-9a-f]{64}$/);
    expect(recorded).not.toContain(key.toString('hex'));
    expect(await keyCheckBinding(masterKeyFromBytes(key), undefined)(recorded)).toEqual({ value: recorded });
    expect(await keyCheckBinding(masterKeyFromBytes(randomBytes(32)), undefined)(recorded)).toMatchObject({
      mismatch: 'the interrupted run encrypted with another key file',
    });
  });

  it('recognises the same passphrase although each run draws its own salt, with one scrypt', async () => {
    const first = await fromPassphrase('correct horse');
    const recorded = (await keyCheckBinding(first.master, first.rederive)(undefined)).value;
    expect(recorded).toMatch(/^aes-kcv1:scrypt:10:1:1:[0-9a-f]{32}:[0-9a-f]{64}$/);
    expect(first.calls).toEqual([]); // the job's own derivation is reused
    const rerun = await fromPassphrase('correct horse');
    expect(await keyCheckBinding(rerun.master, rerun.rederive)(recorded)).toEqual({ value: recorded });
    expect(rerun.calls).toEqual([10]);
    const other = await fromPassphrase('battery staple');
    expect(await keyCheckBinding(other.master, other.rederive)(recorded)).toEqual({
      value: expect.not.stringMatching(recorded),
      mismatch: 'the interrupted run encrypted with another passphrase',
    });
  });

  it('tells a key file from a passphrase, and refuses an unreadable or too costly record', async () => {
    const passphrase = await fromPassphrase('correct horse');
    const keyFile = masterKeyFromBytes(randomBytes(32));
    const byPassphrase = (await keyCheckBinding(passphrase.master, passphrase.rederive)(undefined)).value;
    const byKeyFile = (await keyCheckBinding(keyFile, undefined)(undefined)).value;
    expect(await keyCheckBinding(keyFile, undefined)(byPassphrase)).toMatchObject({
      mismatch: 'the interrupted run encrypted with a passphrase, this one with a key file',
    });
    expect(await keyCheckBinding(passphrase.master, passphrase.rederive)(byKeyFile)).toMatchObject({
      mismatch: 'the interrupted run encrypted with a key file, this one with a passphrase',
    });
    const costly = byPassphrase.replace(/^aes-kcv1:scrypt:10:/, 'aes-kcv1:scrypt:30:');
    expect(await keyCheckBinding(passphrase.master, passphrase.rederive)(costly)).toMatchObject({
      mismatch: 'the key check the interrupted run recorded is unreadable',
    });
    expect(await keyCheckBinding(passphrase.master, passphrase.rederive)('garbage')).toMatchObject({
      mismatch: 'the key check the interrupted run recorded is unreadable',
    });
    expect(passphrase.calls).toEqual([]);
  });
});
