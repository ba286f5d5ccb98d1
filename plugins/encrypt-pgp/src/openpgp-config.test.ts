// The write settings name algorithms by number so that the plugin loads without OpenPGP.js; these
// must be the numbers the library gives the algorithms meant.
import { enums } from 'openpgp';
import { describe, expect, it } from 'vitest';
import { WRITE_CONFIG } from './openpgp-config.ts';

describe('WRITE_CONFIG', () => {
  it('names AES-256, no compression and the iterated and salted S2K', () => {
    expect(WRITE_CONFIG.preferredSymmetricAlgorithm).toBe(enums.symmetric.aes256);
    expect(WRITE_CONFIG.preferredCompressionAlgorithm).toBe(enums.compression.uncompressed);
    expect(WRITE_CONFIG.s2kType).toBe(enums.s2k.iterated);
  });
});
