// What encrypt-pgp binds into an export's checkpoint (docs/checkpoint.md, "Encryption"): whom the
// export is encrypted to, so that a run continuing an interrupted export with other recipients
// or another passphrase starts it over. Otherwise a recipient removed on the rerun could still
// read the disks the first run wrote, and no single passphrase would restore the export.
//
//   pgp-bind1:recipients=FPR,FPR:passphrase=none
//   pgp-bind1:recipients=FPR:passphrase=scrypt:LOG2N:R:P:SALT:KCV
//
// FPR: the recipients' primary key fingerprints (public), sorted. KCV = HMAC-SHA256(scrypt(the
// passphrase, SALT), "hyperexport-pgp checkpoint key check v1"), in hex: OpenPGP derives a new
// key for every message (its S2K salt), so there is no export-wide derivation to reuse; scrypt at
// encrypt-aes's default cost makes a guess against it no cheaper than against the files. A run
// that finds a recorded check derives with the recorded salt, so one scrypt per run either way.
import { createHmac, randomBytes, scrypt } from 'node:crypto';
import type { StageBinding } from '@hyperexport/core';
import type { PgpEncryptionKeys } from './encrypt-stream.ts';

const PREFIX = 'pgp-bind1';
const LABEL = 'hyperexport-pgp checkpoint key check v1';
const SALT_LENGTH = 16;
interface ScryptParams {
  readonly log2N: number;
  readonly r: number;
  readonly p: number;
}
/** encrypt-aes's default: 128 MiB, a few hundred milliseconds. */
const SCRYPT: ScryptParams = { log2N: 17, r: 8, p: 1 };
/** What a recorded value may ask for: the checkpoint is read before anything checks it. */
const MAX_SCRYPT_MEMORY = 1024 * 1024 * 1024;

interface PassphraseCheck {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly kcv: string;
}
interface Recorded {
  readonly recipients: readonly string[];
  readonly passphrase: PassphraseCheck | undefined;
}

/** The checkpoint binding of a job encrypted to `keys` (see TransformStage.checkpointBinding). */
export function pgpCheckpointBinding(keys: PgpEncryptionKeys, params: ScryptParams = SCRYPT): (recorded: string | undefined) => Promise<StageBinding> {
  const recipients = [...new Set(keys.recipients.map((key) => key.getFingerprint().toUpperCase()))].sort();
  return async (recorded) => {
    const before = recorded === undefined ? undefined : parse(recorded, params);
    let passphrase: PassphraseCheck | undefined;
    if (keys.passphrase !== undefined) {
      // With the recorded salt and cost when there are some: the same passphrase then gives the same check.
      const check = before?.passphrase ?? { params, salt: randomBytes(SALT_LENGTH), kcv: '' };
      passphrase = { params: check.params, salt: check.salt, kcv: await keyCheck(keys.passphrase, check.params, check.salt) };
    }
    const value = format({ recipients, passphrase });
    if (recorded === undefined || value === recorded) return { value };
    if (!before) return { value, mismatch: "what the interrupted run recorded is unreadable (or its passphrase check is cheaper than this run's)" };
    const reasons = [
      ...before.recipients.filter((fingerprint) => !recipients.includes(fingerprint)).map((fingerprint) => `recipient ${fingerprint} was removed`),
      ...recipients.filter((fingerprint) => !before.recipients.includes(fingerprint)).map((fingerprint) => `recipient ${fingerprint} was added`),
    ];
    if (before.passphrase && !passphrase) reasons.push('the interrupted run also encrypted with a passphrase, this one does not');
    else if (!before.passphrase && passphrase) reasons.push('this run also encrypts with a passphrase, the interrupted one did not');
    else if (before.passphrase && passphrase && before.passphrase.kcv !== passphrase.kcv) reasons.push('the interrupted run encrypted with another passphrase');
    return { value, mismatch: reasons.length > 0 ? reasons.join(', ') : 'the interrupted run used other settings' };
  };
}

function keyCheck(passphrase: string, params: ScryptParams, salt: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const memory = 128 * 2 ** params.log2N * params.r;
    scrypt(Buffer.from(passphrase, 'utf8'), salt, 32, { N: 2 ** params.log2N, r: params.r, p: params.p, maxmem: memory + 2 ** 20 }, (error, key) => {
      if (error) return reject(error);
      resolve(createHmac('sha256', key).update(LABEL).digest('hex'));
      key.fill(0);
    });
  });
}

function format(value: Recorded): string {
  const check = value.passphrase;
  const passphrase = check ? `scrypt:${check.params.log2N}:${check.params.r}:${check.params.p}:${check.salt.toString('hex')}:${check.kcv}` : 'none';
  return `${PREFIX}:recipients=${value.recipients.join(',')}:passphrase=${passphrase}`;
}

/**
 * A recorded value, or undefined when it is not one. A passphrase check cheaper than `ours` is
 * not one either: the run records its own check with the recorded salt and cost, so a checkpoint
 * edited to ask for a cheap one would have the real passphrase's check written at that cost.
 */
function parse(value: string, ours: ScryptParams): Recorded | undefined {
  const match = new RegExp(
    `^${PREFIX}:recipients=([0-9A-F,]*):passphrase=(none|scrypt:(\\d{1,2}):(\\d{1,2}):(\\d{1,2}):([0-9a-f]{${SALT_LENGTH * 2}}):([0-9a-f]{64}))$`,
  ).exec(value);
  if (!match) return undefined;
  const recipients = match[1] === '' ? [] : match[1]!.split(',');
  if (match[2] === 'none') return { recipients, passphrase: undefined };
  const params = { log2N: Number(match[3]), r: Number(match[4]), p: Number(match[5]) };
  if (
    params.log2N < 10 ||
    params.log2N > 20 ||
    params.r < 1 ||
    params.r > 32 ||
    params.p < 1 ||
    params.p > 16 ||
    128 * 2 ** params.log2N * params.r > MAX_SCRYPT_MEMORY
  )
    return undefined;
  if (cost(params) < cost(ours)) return undefined;
  return { recipients, passphrase: { params, salt: Buffer.from(match[6]!, 'hex'), kcv: match[7]! } };
}

/** scrypt's work: N·r·p. */
function cost(params: ScryptParams): number {
  return 2 ** params.log2N * params.r * params.p;
}
