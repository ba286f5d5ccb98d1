// The OpenPGP settings this plugin writes and reads with, chosen so that GnuPG 2.2 (Debian 12's
// gpg) decrypts every file we write and we decrypt every file it writes. Passed to each openpgp
// call; the library's global `openpgp.config` is never changed.
//
// Algorithms are given by their OpenPGP IDs (RFC 9580 section 9), not through `openpgp.enums`:
// that would load the library with the plugin, which every CLI run imports (openpgp-module.ts).
// openpgp-config.test.ts checks them against the enums named here.
import type { PartialConfig } from 'openpgp';

/** enums.symmetric.aes256 */
const AES256 = 9;
/** enums.compression.uncompressed */
const UNCOMPRESSED = 0;
/** enums.s2k.iterated */
const ITERATED_SALTED_S2K = 3;

/**
 * For writing.
 * - `aeadProtect: false`: version 1 SEIPD (AES-CFB with a SHA-1 modification detection code).
 *   GnuPG implements neither RFC 9580's SEIPDv2 nor v6 keys (2.4/2.5 only read LibrePGP's OCB
 *   packet, which OpenPGP.js does not write), so AEAD would make files gpg cannot open. Recipients
 *   whose keys announce SEIPDv2 (RFC 9580 implementations) still get it: openpgp follows their
 *   key's features, and such recipients can read it.
 * - AES-256 for the data, iterated and salted S2K with the largest count (65 011 712 bytes
 *   hashed, what gpg picks) for passphrases: argon2 S2K is not readable by gpg 2.2.
 * - No compression: disks are compressed (or not) by the compress stage, before encryption.
 */
export const WRITE_CONFIG: PartialConfig = Object.freeze({
  aeadProtect: false,
  v6Keys: false,
  preferredSymmetricAlgorithm: AES256,
  preferredCompressionAlgorithm: UNCOMPRESSED,
  s2kType: ITERATED_SALTED_S2K,
  s2kIterationCountByte: 255,
});

/**
 * For reading. `allowUnauthenticatedStream` is the one setting that matters here, see
 * decrypt-stream.ts and the README: with `false` OpenPGP.js holds the whole plaintext of a
 * version 1 SEIPD packet in memory until its MDC is checked, which no disk image fits in.
 * We stream it and fail the stream at the end when the MDC does not match; the stream never
 * ends successfully before the check passed. `allowUnauthenticatedMessages` stays false:
 * messages without any integrity protection (no MDC) are refused.
 */
export const READ_CONFIG: PartialConfig = Object.freeze({
  allowUnauthenticatedStream: true,
  allowUnauthenticatedMessages: false,
});
