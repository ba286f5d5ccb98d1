// ManifestCheck: bytes checked against their manifest entry as they stream, in its algorithm.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { MANIFEST_HASHES, ManifestCheck } from './manifest-check.ts';
import type { ManifestAlgorithm } from './manifest.ts';

const CONTENT = Buffer.from('the bytes of a disk, in two chunks');
const hexOf = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');
const mismatch = (actual: string) => new Error(`mismatch: ${actual}`);
/** CONTENT in two chunks through a check of `entry`. */
const through = (check: ManifestCheck) => buffer(Readable.from([CONTENT.subarray(0, 10), CONTENT.subarray(10)]).pipe(check));

describe('ManifestCheck', () => {
  it.each(['SHA1', 'SHA256', 'SHA512'] as const)('passes the bytes on unchanged when their %s matches', async (algorithm: ManifestAlgorithm) => {
    const check = new ManifestCheck({ algorithm, hex: hexOf(MANIFEST_HASHES[algorithm], CONTENT) }, mismatch);
    expect(await through(check)).toEqual(CONTENT);
  });

  it.each(['SHA1', 'SHA256', 'SHA512'] as const)('fails at the end, with the %s it computed, when the bytes differ', async (algorithm: ManifestAlgorithm) => {
    const damaged = Buffer.from(CONTENT);
    damaged[3]! ^= 1;
    const check = new ManifestCheck({ algorithm, hex: hexOf(MANIFEST_HASHES[algorithm], damaged) }, mismatch);
    await expect(through(check)).rejects.toThrow(`mismatch: ${hexOf(MANIFEST_HASHES[algorithm], CONTENT)}`);
  });

  it("names node:crypto's hash of each algorithm", () => {
    expect(MANIFEST_HASHES).toEqual({ SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' });
  });
});
