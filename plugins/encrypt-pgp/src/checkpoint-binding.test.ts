// Whom an OpenPGP export is encrypted to, as bound into its checkpoint: the same recipients and
// passphrase are recognised; a recipient removed or added, or another passphrase, is refused
// with what changed; nothing recorded reveals the passphrase.
import { generateKey, readKey } from 'openpgp';
import type { PublicKey } from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { pgpCheckpointBinding } from './checkpoint-binding.ts';

const FAST = { log2N: 10, r: 1, p: 1 };
let alice: PublicKey;
let bob: PublicKey;

async function publicKey(name: string): Promise<PublicKey> {
  const made = await generateKey({
    userIDs: [{ name, email: `${name.toLowerCase()}@example.org` }],
    type: 'ecc',
    curve: 'curve25519Legacy',
    format: 'armored',
  });
  return readKey({ armoredKey: made.publicKey });
}

beforeAll(async () => {
  [alice, bob] = await Promise.all([publicKey('Alice'), publicKey('Bob')]);
});

const fpr = (key: PublicKey) => key.getFingerprint().toUpperCase();
const bind = (recipients: PublicKey[], passphrase?: string) => pgpCheckpointBinding({ recipients, passphrase }, FAST);

describe('pgpCheckpointBinding', () => {
  it("records the recipients' fingerprints, in any order the same", async () => {
    const { value } = await bind([bob, alice])(undefined);
    expect(value).toBe(`pgp-bind1:recipients=${[fpr(alice), fpr(bob)].sort().join(',')}:passphrase=none`);
    expect(await bind([alice, bob])(value)).toEqual({ value });
  });

  it('refuses a rerun without a recipient, or with another, naming it', async () => {
    const { value } = await bind([alice, bob])(undefined);
    expect(await bind([alice])(value)).toMatchObject({ mismatch: `recipient ${fpr(bob)} was removed` });
    expect(await bind([alice, bob, await publicKey('Carol')])(value)).toMatchObject({ mismatch: expect.stringMatching(/^recipient [0-9A-F]{40} was added$/) });
  });

  it('recognises the same passphrase by a salted check, and tells another', async () => {
    const { value } = await bind([alice], 'correct horse')(undefined);
    expect(value).toMatch(/:passphrase=scrypt:10:1:1:[0-9a-f]{32}:[0-9a-f]{64}$/);
    expect(value).not.toContain('correct horse');
    expect(await bind([alice], 'correct horse')(value)).toEqual({ value });
    expect(await bind([alice], 'battery staple')(value)).toMatchObject({ mismatch: 'the interrupted run encrypted with another passphrase' });
    expect(await bind([alice])(value)).toMatchObject({ mismatch: 'the interrupted run also encrypted with a passphrase, this one does not' });
    expect(await bind([], 'correct horse')(value)).toMatchObject({ mismatch: `recipient ${fpr(alice)} was removed` });
  });

  it('refuses a record it cannot read, or one asking for too costly a check', async () => {
    const { value } = await bind([alice], 'correct horse')(undefined);
    const costly = value.replace('=scrypt:10:', '=scrypt:30:');
    expect(await bind([alice], 'correct horse')(costly)).toMatchObject({
      mismatch: "what the interrupted run recorded is unreadable (or its passphrase check is cheaper than this run's)",
    });
    expect(await bind([alice])('garbage')).toMatchObject({
      mismatch: "what the interrupted run recorded is unreadable (or its passphrase check is cheaper than this run's)",
    });
  });

  it("never records the passphrase's check at a cost cheaper than its own, whatever the checkpoint asks for", async () => {
    // A checkpoint edited to ask for a cheap check (log2N 10) of a run whose own cost is log2N 11.
    const cheap = (await bind([alice], 'something else')(undefined)).value;
    const rerun = await pgpCheckpointBinding({ recipients: [alice], passphrase: 'correct horse' }, { log2N: 11, r: 1, p: 1 })(cheap);
    expect(rerun.mismatch).toBe("what the interrupted run recorded is unreadable (or its passphrase check is cheaper than this run's)");
    expect(rerun.value).toMatch(/:passphrase=scrypt:11:1:1:[0-9a-f]{32}:[0-9a-f]{64}$/);
    expect(rerun.value.split(':')[6]).not.toBe(cheap.split(':')[6]); // a fresh salt, not the recorded one
  });
});
