// Tells a wrong passphrase from a damaged file before any plaintext is released.
//
// gpg's `--symmetric` messages carry no encrypted session key: the passphrase's S2K output is the
// key, so any passphrase "works" and a wrong one only shows as garbage plaintext. OpenPGP.js
// dropped the check gpg uses for this (RFC 4880 5.13, the "quick check": the random prefix of a
// version 1 SEIPD packet repeats its last two bytes) because an automated decryption service
// could become an oracle with it. A restore run by the key's owner is no such service, and
// without it a mistyped passphrase reads as "the file was modified". So we do what gpg does:
// decrypt the first block and a half ourselves and compare the two bytes (1 in 65 536 wrong
// passphrases slip through, and then fail the integrity check at the end instead).
import { createDecipheriv, getCiphers } from 'node:crypto';

const AVAILABLE_CIPHERS = new Set(getCiphers());

const PKESK = 1;
const SKESK = 3;
const MARKER = 10;
const SEIPD = 18;

/** Node's name and block size of each symmetric algorithm openpgp names; others are not checked. */
const CFB_CIPHERS: Readonly<Record<string, { readonly name: string; readonly blockSize: number }>> = {
  aes128: { name: 'aes-128-cfb', blockSize: 16 },
  aes192: { name: 'aes-192-cfb', blockSize: 16 },
  aes256: { name: 'aes-256-cfb', blockSize: 16 },
  tripledes: { name: 'des-ede3-cfb', blockSize: 8 },
  cast5: { name: 'cast5-cfb', blockSize: 8 },
  blowfish: { name: 'bf-cfb', blockSize: 8 },
};

/**
 * The ciphertext of the version 1 SEIPD packet that follows the session key packets at the start
 * of `head` (as much of it as `head` holds), or undefined when the message is laid out otherwise
 * (SEIPDv2, an old SED packet, or a head too short to tell).
 */
export function seipdV1Ciphertext(head: Uint8Array): Uint8Array | undefined {
  let offset = 0;
  while (offset < head.length) {
    const header = readPacketHeader(head, offset);
    if (!header) return undefined;
    if (header.tag === SEIPD) {
      if (head[header.bodyStart] !== 1) return undefined;
      // A partial body's first chunk is at least 512 bytes, so the prefix lies within it.
      return head.subarray(header.bodyStart + 1, Math.min(head.length, header.bodyStart + header.length));
    }
    if (header.partial || ![PKESK, SKESK, MARKER].includes(header.tag)) return undefined;
    offset = header.bodyStart + header.length;
  }
  return undefined;
}

interface PacketHeader {
  readonly tag: number;
  readonly bodyStart: number;
  /** Body length, or of its first chunk when `partial`; Infinity for an old indeterminate length. */
  readonly length: number;
  readonly partial: boolean;
}

function readPacketHeader(bytes: Uint8Array, offset: number): PacketHeader | undefined {
  const first = bytes[offset];
  if (first === undefined || (first & 0x80) === 0) return undefined;
  if ((first & 0x40) !== 0) {
    // New format: the length octets say how long the body (or its first chunk) is.
    const tag = first & 0x3f;
    const o1 = bytes[offset + 1];
    if (o1 === undefined) return undefined;
    if (o1 < 192) return { tag, bodyStart: offset + 2, length: o1, partial: false };
    if (o1 < 224) {
      const o2 = bytes[offset + 2];
      return o2 === undefined ? undefined : { tag, bodyStart: offset + 3, length: ((o1 - 192) << 8) + o2 + 192, partial: false };
    }
    if (o1 < 255) return { tag, bodyStart: offset + 2, length: 1 << (o1 & 0x1f), partial: true };
    if (offset + 6 > bytes.length) return undefined;
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset + 2, 4);
    return { tag, bodyStart: offset + 6, length: view.getUint32(0), partial: false };
  }
  // Old format: the two low bits say how many length octets follow (3: none, up to the end).
  const tag = (first >> 2) & 0x0f;
  const lengthType = first & 0x03;
  if (lengthType === 3) return { tag, bodyStart: offset + 1, length: Infinity, partial: false };
  const size = 1 << lengthType;
  if (offset + 1 + size > bytes.length) return undefined;
  let length = 0;
  for (let index = 0; index < size; index++) length = length * 256 + bytes[offset + 1 + index]!;
  return { tag, bodyStart: offset + 1 + size, length, partial: false };
}

/**
 * True or false when the session key does or does not decrypt the SEIPD prefix consistently;
 * undefined when it cannot be told (unknown algorithm, too little ciphertext).
 */
export function quickCheck(ciphertext: Uint8Array, sessionKey: { readonly data: Uint8Array; readonly algorithm: string | null }): boolean | undefined {
  const cipher = sessionKey.algorithm ? CFB_CIPHERS[sessionKey.algorithm] : undefined;
  if (!cipher || !AVAILABLE_CIPHERS.has(cipher.name)) return undefined;
  const { blockSize } = cipher;
  if (ciphertext.length < blockSize + 2) return undefined;
  let prefix: Buffer;
  try {
    const decipher = createDecipheriv(cipher.name, sessionKey.data, Buffer.alloc(blockSize));
    prefix = decipher.update(ciphertext.subarray(0, blockSize + 2));
  } catch {
    return undefined; // e.g. a key of the wrong length for the algorithm
  }
  return prefix[blockSize - 2] === prefix[blockSize] && prefix[blockSize - 1] === prefix[blockSize + 1];
}
