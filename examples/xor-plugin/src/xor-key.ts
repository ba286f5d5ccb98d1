// The key: the raw bytes of a file, 1 to 4096 of them. A stored file starts with a header that
// holds a check value of the key, so undoing it with another key fails instead of giving garbage.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError } from '@hyperexport/core';

export const MAX_KEY_BYTES = 4096;

export async function readXorKey(path: string): Promise<Buffer> {
  let key: Buffer;
  try {
    key = await readFile(path);
  } catch (error) {
    throw new ConfigError(`cannot read the XOR key file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: 'check the path given with --xor-key-file and its permissions',
      cause: error,
    });
  }
  if (key.length === 0 || key.length > MAX_KEY_BYTES) {
    throw new ConfigError(`the XOR key file ${path} holds ${key.length} bytes; a key is 1 to ${MAX_KEY_BYTES} bytes`, {
      hint: 'make one with: head -c 32 /dev/urandom > xor.key',
    });
  }
  return key;
}

/**
 * 16 hex digits that identify a key without giving it away (for a long random key; XOR with a
 * short key hides nothing anyway, which is why this is an example and not encryption).
 */
export function keyCheckValue(key: Buffer): string {
  return createHash('sha256').update('hyperexport-xor key check\0').update(key).digest('hex').slice(0, 16);
}
