// What encrypt-aes binds into an export's checkpoint (docs/checkpoint.md, "Encryption"): a key
// check value, so that a run continuing an interrupted export with another passphrase or key
// file starts it over instead of leaving an export that no single key restores.
//
//   aes-kcv1:raw:KCV                          a key file
//   aes-kcv1:scrypt:LOG2N:R:P:SALT:KCV        a passphrase, with the scrypt parameters and salt (hex)
//
// KCV = HMAC-SHA256(master key, "hyperexport-aes checkpoint key check v1"), in hex. It reveals no
// more than each .hxe header's own key check does: testing a guessed passphrase against it costs
// one scrypt, as against any encrypted file of the export. The passphrase itself is never stored.
//
// Cost: the value of the run's own master key is one HMAC (its scrypt already ran, once per job).
// A rerun's master key has a fresh salt, so to compare with a recorded passphrase check it runs
// scrypt once more with the recorded salt and parameters: one derivation per continued export.
import { createHmac } from 'node:crypto';
import type { StageBinding } from '@hyperexport/core';
import { KDF_SALT_LENGTH, scryptProblem } from './format.ts';
import type { ScryptParams } from './format.ts';
import type { MasterKey } from './keys.ts';
import { sameBytes } from './keys.ts';

const PREFIX = 'aes-kcv1';
const LABEL = 'hyperexport-aes checkpoint key check v1';

/** Derives the master key again from the job's passphrase, with other scrypt parameters and salt. */
export type Rederive = (params: ScryptParams, salt: Buffer) => Promise<Buffer>;

type Recorded =
  { readonly kind: 'raw'; readonly kcv: Buffer } | { readonly kind: 'scrypt'; readonly params: ScryptParams; readonly salt: Buffer; readonly kcv: Buffer };

/** The checkpoint binding of a job encrypted under `master` (see TransformStage.checkpointBinding). */
export function keyCheckBinding(master: MasterKey, rederive: Rederive | undefined): (recorded: string | undefined) => Promise<StageBinding> {
  return async (recorded) => {
    const own = format(master);
    if (recorded === undefined || recorded === own) return { value: own };
    const parsed = parse(recorded);
    if (!parsed) return { value: own, mismatch: 'the key check the interrupted run recorded is unreadable' };
    if (parsed.kind === 'raw') {
      return {
        value: own,
        mismatch:
          master.kdf.kind === 'raw'
            ? 'the interrupted run encrypted with another key file'
            : 'the interrupted run encrypted with a key file, this one with a passphrase',
      };
    }
    if (master.kdf.kind === 'raw' || !rederive) return { value: own, mismatch: 'the interrupted run encrypted with a passphrase, this one with a key file' };
    const key = await rederive(parsed.params, parsed.salt);
    try {
      if (sameBytes(keyCheck(key), parsed.kcv)) return { value: recorded };
    } finally {
      key.fill(0);
    }
    return { value: own, mismatch: 'the interrupted run encrypted with another passphrase' };
  };
}

function keyCheck(key: Buffer): Buffer {
  return createHmac('sha256', key).update(LABEL).digest();
}

function format(master: MasterKey): string {
  const kcv = keyCheck(master.key).toString('hex');
  const { kdf } = master;
  return kdf.kind === 'raw' ? `${PREFIX}:raw:${kcv}` : `${PREFIX}:scrypt:${kdf.log2N}:${kdf.r}:${kdf.p}:${kdf.salt.toString('hex')}:${kcv}`;
}

/** A recorded value, or undefined when it is not one (a damaged or foreign checkpoint). */
function parse(value: string): Recorded | undefined {
  const raw = new RegExp(`^${PREFIX}:raw:([0-9a-f]{64})$`).exec(value);
  if (raw) return { kind: 'raw', kcv: Buffer.from(raw[1]!, 'hex') };
  const scrypt = new RegExp(`^${PREFIX}:scrypt:(\\d{1,2}):(\\d{1,2}):(\\d{1,2}):([0-9a-f]{${KDF_SALT_LENGTH * 2}}):([0-9a-f]{64})$`).exec(value);
  if (!scrypt) return undefined;
  const params: ScryptParams = { log2N: Number(scrypt[1]), r: Number(scrypt[2]), p: Number(scrypt[3]) };
  // The checkpoint is read before anything checks it: parameters beyond the limits would make
  // the rerun allocate gigabytes or spin for hours.
  if (scryptProblem(params)) return undefined;
  return { kind: 'scrypt', params, salt: Buffer.from(scrypt[4]!, 'hex'), kcv: Buffer.from(scrypt[5]!, 'hex') };
}
