// The stage's bytes: a header `HXOR1 <check value>\n`, then every input byte XORed with the key,
// repeated from the start of the body. Undoing checks the header first, then XORs again.
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { ExportError } from '@hyperexport/core';
import { keyCheckValue } from './xor-key.ts';

const MAGIC = 'HXOR1 ';
const HEADER_BYTES = MAGIC.length + 16 + 1;

function header(key: Buffer): Buffer {
  return Buffer.from(`${MAGIC}${keyCheckValue(key)}\n`, 'latin1');
}

/** XORs `chunk` with `key` as if it sat at `offset` in the body. */
function xor(chunk: Buffer, key: Buffer, offset: number): Buffer {
  const out = Buffer.allocUnsafe(chunk.length);
  for (let index = 0; index < chunk.length; index++) out[index] = chunk[index]! ^ key[(offset + index) % key.length]!;
  return out;
}

/** The forward stage: header, then the XORed bytes. */
export function xorStream(key: Buffer): Transform {
  let offset = 0;
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (!started) {
        started = true;
        this.push(header(key));
      }
      const out = xor(chunk, key, offset);
      offset += chunk.length;
      callback(null, out);
    },
    flush(callback: TransformCallback) {
      // An empty file still gets its header, so the way back can check the key.
      if (!started) this.push(header(key));
      callback();
    },
  });
}

/** The way back: refuses a file without the header or XORed with another key, before any byte. */
export function unxorStream(key: Buffer, what: string): Transform {
  const expected = header(key);
  let pending: Buffer | undefined = Buffer.alloc(0);
  let offset = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (pending !== undefined) {
        pending = Buffer.concat([pending, chunk]);
        if (pending.length < HEADER_BYTES) return callback();
        const found = pending.subarray(0, HEADER_BYTES);
        if (!found.equals(expected)) return callback(mismatch(found, what));
        chunk = pending.subarray(HEADER_BYTES);
        pending = undefined;
      }
      const out = xor(chunk, key, offset);
      offset += chunk.length;
      callback(null, out);
    },
    flush(callback: TransformCallback) {
      if (pending !== undefined)
        return callback(new ExportError(`${what} ends before its XOR header: it is damaged or was not written by hyperexport-xor`, { code: 'RESTORE' }));
      callback();
    },
  });
}

function mismatch(found: Buffer, what: string): ExportError {
  if (!found.toString('latin1').startsWith(MAGIC)) {
    return new ExportError(`${what} has no XOR header: it was not written by hyperexport-xor, or is damaged`, { code: 'RESTORE' });
  }
  return new ExportError(`${what} was XORed with another key than the one given`, {
    code: 'RESTORE',
    hint: 'give the key file the export was written with (--key-file FILE)',
  });
}
