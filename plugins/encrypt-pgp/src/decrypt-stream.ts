// The way back: a binary OpenPGP message in (ours, or one `gpg` wrote), the plain bytes out.
//
// What is needed to open a message is read from its first packets: public-key encrypted session
// keys (PKESK) name the key IDs of the recipients, symmetric-key ones (SKESK) ask for a passphrase.
//
// Integrity: gpg-compatible messages are version 1 SEIPD packets, whose modification detection
// code (MDC, SHA-1 over the plaintext) can only be checked after the last byte. OpenPGP.js with
// `allowUnauthenticatedStream: false` therefore buffers the whole plaintext in memory before
// releasing any of it, which no disk image fits in. We stream instead (READ_CONFIG), with this
// guarantee: the stream fails with an INTEGRITY error when the MDC does not match, the message is
// truncated, or data follows it, and it never ends successfully before the check passed. Bytes it
// passed on before that are unauthenticated: a consumer must keep its output provisional
// (a temporary name, removed on error) until the whole pipeline resolved, as `hyperexport restore`
// does. See the README.
import type { Duplex } from 'node:stream';
import { ConfigError, ExportError, HyperExportError, isAbortError } from '@hyperexport/core';
import type { RestoreKeys } from '@hyperexport/core';
import type { DecryptedSessionKey, KeyID, Message, PrivateKey, SessionKey } from 'openpgp';
import { describeKey, readPrivateKeyFile } from './key-files.ts';
import type { PrivateKeyFile } from './key-files.ts';
import { READ_CONFIG } from './openpgp-config.ts';
import { loadOpenpgp } from './openpgp-module.ts';
import { quickCheck, seipdV1Ciphertext } from './quick-check.ts';
import { webTransformDuplex } from './web-transform-duplex.ts';

/** An all-zero key ID: the recipient is hidden (`gpg --hidden-recipient`), any key may fit. */
const isAnonymous = (id: KeyID): boolean => /^0+$/.test(id.toHex());

type Unlock = { readonly decryptionKeys: PrivateKey[] } | { readonly sessionKeys: SessionKey[] };
type Method = 'unknown' | 'private-key' | 'passphrase';

/**
 * What one restore has loaded, shared by every file it decrypts: key files are read once, and
 * each protected key asks for its passphrase once.
 */
interface KeyCache {
  privateKeyFiles?: Promise<PrivateKeyFile[]>;
  readonly unlocked: Map<string, Promise<PrivateKey>>;
  passphrase?: Promise<string>;
}
const caches = new WeakMap<RestoreKeys, KeyCache>();

function cacheFor(keys: RestoreKeys): KeyCache {
  let cache = caches.get(keys);
  if (!cache) {
    cache = { unlocked: new Map() };
    caches.set(keys, cache);
  }
  return cache;
}

/** Reads (once per RestoreKeys) and checks every `--private-key` file, so a bad one fails early. */
export function loadPrivateKeyFiles(keys: RestoreKeys): Promise<PrivateKeyFile[]> {
  const cache = cacheFor(keys);
  cache.privateKeyFiles ??= Promise.all(keys.privateKeyFiles.map((file) => readPrivateKeyFile(file)));
  return cache.privateKeyFiles;
}

export interface DecryptStreamOptions {
  readonly signal?: AbortSignal | undefined;
}

/** Bytes read ahead from the start of a message: enough for its session key packets and the SEIPD prefix. */
const HEAD_BYTES = 64 * 1024;

/** A fresh Duplex that decrypts one stored file (named `storedName` in messages). */
export function createDecryptStream(storedName: string, keys: RestoreKeys, options: DecryptStreamOptions = {}): Duplex {
  const state: DecryptState = { method: 'unknown', quickChecked: false };
  return webTransformDuplex(
    async (input) => {
      // Loaded by now when the reverse stage made this stream (stages.ts); loaded here otherwise.
      const { decrypt, readMessage } = await loadOpenpgp();
      const { head, stream } = await peek(input, HEAD_BYTES);
      const message = await readMessage({ binaryMessage: stream, config: READ_CONFIG });
      const unlock = await chooseUnlock(message, head, storedName, keys, state);
      const { data } = await decrypt({ message, ...unlock, format: 'binary', config: READ_CONFIG });
      return data;
    },
    {
      signal: options.signal,
      mapError: (error, { bytesOut }) => describeDecryptError(error, storedName, state, bytesOut),
      trailingDataError: () => integrityError(storedName, 'data follows the end of the OpenPGP message'),
    },
  );
}

interface DecryptState {
  method: Method;
  /** The passphrase passed the quick check (see quick-check.ts). */
  quickChecked: boolean;
}

/**
 * Reads the first `size` bytes (or all, if fewer) and gives back a copy of them and a stream that
 * replays them before the rest, pulling from `input` only as it is read.
 */
async function peek(input: ReadableStream<Uint8Array>, size: number): Promise<{ head: Uint8Array; stream: ReadableStream<Uint8Array> }> {
  const reader = input.getReader();
  const buffered: Uint8Array[] = [];
  let length = 0;
  while (length < size) {
    const { done, value } = await reader.read();
    if (done) break;
    buffered.push(value);
    length += value.byteLength;
  }
  const head = Buffer.concat(buffered).subarray(0, size);
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = buffered.shift();
        if (next) {
          controller.enqueue(next);
          return;
        }
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
  return { head, stream };
}

async function chooseUnlock(
  message: Message<ReadableStream<Uint8Array>>,
  head: Uint8Array,
  storedName: string,
  keys: RestoreKeys,
  state: DecryptState,
): Promise<Unlock> {
  const { decryptSessionKeys, enums } = await loadOpenpgp();
  const recipientIds = message.getEncryptionKeyIDs();
  const forPassphrase = message.packets.filterByTag(enums.packet.symEncryptedSessionKey).length > 0;
  if (recipientIds.length === 0 && !forPassphrase) {
    throw new ExportError(`${storedName} is not an encrypted OpenPGP message (it has no session key packets)`, {
      code: 'PGP_FORMAT',
      hint: 'check that the file is an export encrypted by HyperExport or gpg',
    });
  }
  if (recipientIds.length > 0) {
    const matching = await matchingPrivateKeys(recipientIds, keys);
    if (matching.length > 0) {
      state.method = 'private-key';
      return { decryptionKeys: await Promise.all(matching.map((found) => unlockKey(found, keys))) };
    }
    if (!forPassphrase) {
      const ids = recipientIds.map((id) => (isAnonymous(id) ? 'an anonymous recipient' : id.toHex().toUpperCase())).join(', ');
      const given = keys.privateKeyFiles.length === 0 ? 'no --private-key was given' : `none of ${keys.privateKeyFiles.join(', ')} holds one of them`;
      throw new ConfigError(`${storedName} is encrypted to the OpenPGP key ID(s) ${ids}, and ${given}`, {
        hint: 'give --private-key FILE with the private key of a recipient (`gpg --armor --export-secret-keys KEY_ID > FILE`)',
      });
    }
  }
  state.method = 'passphrase';
  const cache = cacheFor(keys);
  cache.passphrase ??= keys.passphrase(`the OpenPGP passphrase of ${storedName}`);
  const passphrase = await cache.passphrase;
  let sessionKeys: DecryptedSessionKey[];
  try {
    sessionKeys = await decryptSessionKeys({ message, passwords: [passphrase], config: READ_CONFIG });
  } catch (error) {
    throw wrongPassphrase(storedName, error);
  }
  const ciphertext = seipdV1Ciphertext(head);
  if (ciphertext) {
    const verdicts = sessionKeys.map((sessionKey) => quickCheck(ciphertext, sessionKey));
    sessionKeys = sessionKeys.filter((_, index) => verdicts[index] !== false);
    if (sessionKeys.length === 0) throw wrongPassphrase(storedName);
    state.quickChecked = verdicts.includes(true);
  }
  return { sessionKeys: sessionKeys as SessionKey[] };
}

function wrongPassphrase(storedName: string, cause?: unknown): ConfigError {
  return new ConfigError(`cannot decrypt ${storedName}: the passphrase is wrong`, {
    hint: 'give the passphrase it was encrypted with in HYPEREXPORT_PASSPHRASE, HYPEREXPORT_PASSPHRASE_FILE or --passphrase-file FILE',
    cause,
  });
}

interface MatchingKey {
  readonly file: string;
  readonly key: PrivateKey;
}

async function matchingPrivateKeys(recipientIds: readonly KeyID[], keys: RestoreKeys): Promise<MatchingKey[]> {
  const files = await loadPrivateKeyFiles(keys);
  const anonymous = recipientIds.some(isAnonymous);
  const matching: MatchingKey[] = [];
  for (const { file, keys: privateKeys } of files) {
    for (const key of privateKeys) {
      if (anonymous || recipientIds.some((id) => key.getKeys(id).length > 0)) matching.push({ file, key });
    }
  }
  return matching;
}

/** A protected key asks for its passphrase (once per restore); a wrong one is named as such. */
function unlockKey({ file, key }: MatchingKey, keys: RestoreKeys): Promise<PrivateKey> {
  if (key.isDecrypted()) return Promise.resolve(key);
  const cache = cacheFor(keys);
  const fingerprint = key.getFingerprint();
  let unlocked = cache.unlocked.get(fingerprint);
  if (!unlocked) {
    unlocked = (async () => {
      const { decryptKey } = await loadOpenpgp();
      const passphrase = await keys.passphrase(`the private key ${describeKey(key)} in ${file}`);
      try {
        return await decryptKey({ privateKey: key, passphrase });
      } catch (error) {
        throw new ConfigError(`cannot unlock the private key ${describeKey(key)} in ${file}: the passphrase is wrong`, {
          hint: 'give its passphrase in HYPEREXPORT_PASSPHRASE, HYPEREXPORT_PASSPHRASE_FILE or --passphrase-file FILE',
          cause: error,
        });
      }
    })();
    cache.unlocked.set(fingerprint, unlocked);
  }
  return unlocked;
}

function integrityError(storedName: string, detail: string, cause?: unknown): ExportError {
  return new ExportError(
    `${storedName} failed the OpenPGP integrity check: ${detail}; it was modified or damaged after it was written, and nothing decrypted from it may be used`,
    {
      code: 'INTEGRITY',
      hint: 'restore from another copy of the export',
      cause,
    },
  );
}

/** OpenPGP.js says "Modification detected." or "Error during parsing"; say what it means here. */
function describeDecryptError(error: unknown, storedName: string, state: DecryptState, bytesOut: number): Error {
  if (error instanceof HyperExportError || isAbortError(error)) return error as Error;
  const message = error instanceof Error ? error.message : String(error);
  if (state.method === 'unknown') {
    return new ExportError(`${storedName} is not a readable OpenPGP message (${message})`, {
      code: 'PGP_FORMAT',
      hint: 'check that the file is an export encrypted by HyperExport or gpg, and complete',
      cause: error,
    });
  }
  if (/not authenticated/i.test(message)) {
    return new ExportError(
      `${storedName} has no integrity protection (no MDC: written by PGP software from before 2003, or gpg --rfc2440); it is refused because changes to it could not be detected`,
      {
        code: 'INTEGRITY',
        hint: 'if you trust its origin, decrypt it with `gpg --ignore-mdc-error --decrypt`',
        cause: error,
      },
    );
  }
  if (/Modification detected/i.test(message)) return integrityError(storedName, 'the modification detection code (MDC) does not match', error);
  if (/Unexpected end of packet|Unexpected end of stream|Premature end/i.test(message)) return integrityError(storedName, 'the message is truncated', error);
  // Without the quick check (a message that is not SEIPDv1), a wrong passphrase shows as
  // garbage from the first byte on: whatever parse error it makes comes before any output.
  if (state.method === 'passphrase' && !state.quickChecked && bytesOut === 0) return wrongPassphrase(storedName, error);
  if (/Error during parsing|Unexpected packet|not conform|Packet not allowed|Invalid enum value|partial lengths/i.test(message)) {
    return integrityError(storedName, `its decrypted packets are not a valid OpenPGP message, or data follows it (${message})`, error);
  }
  return new ExportError(`cannot decrypt ${storedName}: ${message}`, { code: 'PGP_DECRYPT', cause: error });
}
