// docs/encryption.md as an independent implementation: a writer (versions 2 and 1) and a reader
// (both versions) built from the document's text alone, with nothing but primitive crypto calls
// and whole buffers — no code of this package. The tests check the plugin against it in both
// directions, and use its version 1 writer for the files earlier releases wrote.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync } from 'node:crypto';

const SPEC_MAGIC = Buffer.from('89485845' + '0d0a1a0a', 'hex');

/** RFC 5869 HKDF-SHA256, written out (no hkdfSync), so the derivation is checked, not reused. */
function hkdf(ikm: Buffer, salt: Buffer, info: string, length: number): Buffer {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let counter = 1; Buffer.concat(blocks).length < length; counter++) {
    previous = createHmac('sha256', prk)
      .update(Buffer.concat([previous, Buffer.from(info, 'ascii'), Buffer.from([counter])]))
      .digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** §2: the three per-file keys, with the version's labels. */
function fileKeys(master: Buffer, fileSalt: Buffer, version: 1 | 2) {
  return {
    payload: hkdf(master, fileSalt, `hyperexport-aes v${version} payload key`, 32),
    header: hkdf(master, fileSalt, `hyperexport-aes v${version} header key`, 32),
    check: hkdf(master, fileSalt, `hyperexport-aes v${version} key check`, 16),
  };
}

export type SpecKey = { kind: 'raw'; key: Buffer } | { kind: 'scrypt'; passphrase: string; salt: Buffer; log2N: number; r: number; p: number };

export interface SpecBinding {
  storedName: string;
  exportId: string;
}

function specMaster(key: SpecKey): Buffer {
  if (key.kind === 'raw') return key.key;
  return scryptSync(Buffer.from(key.passphrase, 'utf8'), key.salt, 32, { N: 2 ** key.log2N, r: key.r, p: key.p, maxmem: 256 * 2 ** 20 });
}

export interface SpecEncryptOptions {
  /** 2 (the default) binds `binding`; 1 writes the unbound header of §8. */
  version?: 1 | 2;
  binding?: SpecBinding;
  /** Writes what §3.2 forbids: an empty final chunk after full ones. */
  emptyFinalAfterFullChunks?: boolean;
}

export function specEncrypt(plaintext: Buffer, key: SpecKey, chunkSize: number, options: SpecEncryptOptions = {}): Buffer {
  const version = options.version ?? 2;
  const master = specMaster(key);
  const fileSalt = randomBytes(32);
  const noncePrefix = randomBytes(7);
  const keys = fileKeys(master, fileSalt, version);
  // §3.1: the fixed fields, bytes 0 … 87, the same in both versions.
  const fixed = Buffer.alloc(88);
  SPEC_MAGIC.copy(fixed, 0);
  fixed[8] = version;
  if (key.kind === 'scrypt') {
    fixed[9] = 1;
    fixed[10] = key.log2N;
    fixed[11] = key.r;
    fixed[12] = key.p;
    key.salt.copy(fixed, 17);
  } else {
    fixed[9] = 2;
  }
  fixed.writeUInt32BE(chunkSize, 13);
  fileSalt.copy(fixed, 33);
  noncePrefix.copy(fixed, 65);
  keys.check.copy(fixed, 72);
  let authenticated = fixed;
  if (version === 2) {
    // binding_length (uint16) ‖ name_length (uint8) ‖ stored_name ‖ id_length (uint8) ‖ export_id
    const { storedName, exportId } = options.binding ?? { storedName: 'spec.hxe', exportId: 'spec-export' };
    const name = Buffer.from(storedName, 'utf8');
    const id = Buffer.from(exportId, 'utf8');
    const bindingLength = Buffer.alloc(2);
    bindingLength.writeUInt16BE(2 + name.length + id.length);
    authenticated = Buffer.concat([fixed, bindingLength, Buffer.from([name.length]), name, Buffer.from([id.length]), id]);
  }
  const mac = createHmac('sha256', keys.header).update(authenticated).digest();
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < plaintext.length; offset += chunkSize) chunks.push(plaintext.subarray(offset, offset + chunkSize));
  if (chunks.length === 0 || options.emptyFinalAfterFullChunks) chunks.push(Buffer.alloc(0));
  const sealed = chunks.map((chunk, index) => {
    const nonce = Buffer.concat([noncePrefix, Buffer.alloc(4), Buffer.from([index === chunks.length - 1 ? 1 : 0])]);
    nonce.writeUInt32BE(index, 7);
    const cipher = createCipheriv('aes-256-gcm', keys.payload, nonce);
    return Buffer.concat([cipher.update(chunk), cipher.final(), cipher.getAuthTag()]);
  });
  return Buffer.concat([authenticated, mac, ...sealed]);
}

export interface SpecDecrypted {
  plaintext: Buffer;
  /** Undefined for a version 1 file. */
  binding: SpecBinding | undefined;
  headerLength: number;
}

export function specDecrypt(file: Buffer, keys: { key?: Buffer; passphrase?: string }): SpecDecrypted {
  if (file.length < 9 || !file.subarray(0, 8).equals(SPEC_MAGIC)) throw new Error('not a .hxe file');
  const version = file[8];
  if (version !== 1 && version !== 2) throw new Error(`version ${version}`);
  // §4 step 2 (version 2) or §8 (version 1): where the MAC is, and the binding.
  let macOffset = 88;
  let binding: SpecBinding | undefined;
  if (version === 2) {
    if (file.length < 90) throw new Error('truncated header');
    const bindingLength = file.readUInt16BE(88);
    if (bindingLength < 4 || bindingLength > 385) throw new Error('binding length out of range');
    const nameLength = file[90]!;
    const idLength = file[91 + nameLength]!;
    if (nameLength < 1 || idLength < 1 || idLength > 128 || 2 + nameLength + idLength !== bindingLength) throw new Error('binding lengths do not add up');
    const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    binding = {
      storedName: utf8.decode(file.subarray(91, 91 + nameLength)),
      exportId: utf8.decode(file.subarray(92 + nameLength, 92 + nameLength + idLength)),
    };
    macOffset = 90 + bindingLength;
  }
  const headerLength = macOffset + 32;
  if (file.length < headerLength) throw new Error('truncated header');
  const chunkSize = file.readUInt32BE(13);
  const fileSalt = file.subarray(33, 65);
  const master =
    file[9] === 2
      ? keys.key!
      : specMaster({ kind: 'scrypt', passphrase: keys.passphrase!, salt: Buffer.from(file.subarray(17, 33)), log2N: file[10]!, r: file[11]!, p: file[12]! });
  const derived = fileKeys(master, fileSalt, version);
  if (!derived.check.equals(file.subarray(72, 88))) throw new Error('wrong key');
  const mac = createHmac('sha256', derived.header).update(file.subarray(0, macOffset)).digest();
  if (!mac.equals(file.subarray(macOffset, headerLength))) throw new Error('bad header MAC');
  const out: Buffer[] = [];
  let offset = headerLength;
  for (let index = 0; ; index++) {
    const remaining = file.length - offset;
    const final = remaining <= chunkSize + 16;
    if (remaining < 16) throw new Error('truncated');
    const sealed = file.subarray(offset, offset + (final ? remaining : chunkSize + 16));
    const nonce = Buffer.concat([file.subarray(65, 72), Buffer.alloc(4), Buffer.from([final ? 1 : 0])]);
    nonce.writeUInt32BE(index, 7);
    const decipher = createDecipheriv('aes-256-gcm', derived.payload, nonce);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    const plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
    if (final && plain.length === 0 && index > 0) throw new Error('empty final chunk');
    out.push(plain);
    offset += sealed.length;
    if (final) return { plaintext: Buffer.concat(out), binding, headerLength };
  }
}
