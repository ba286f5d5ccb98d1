// The forward stream: plain bytes in, a binary OpenPGP message out (what `gpg --encrypt` or
// `gpg --symmetric` writes), encrypted as it flows.
import type { Duplex } from 'node:stream';
import { ExportError, isAbortError } from '@hyperexport/core';
import type { PublicKey } from 'openpgp';
import { WRITE_CONFIG } from './openpgp-config.ts';
import { loadOpenpgp } from './openpgp-module.ts';
import { webTransformDuplex } from './web-transform-duplex.ts';

export interface PgpEncryptionKeys {
  /** Public keys to encrypt to; each can decrypt on its own. */
  readonly recipients: readonly PublicKey[];
  /** A passphrase that can decrypt too (alone, or besides the recipients). */
  readonly passphrase?: string | undefined;
}

export interface EncryptStreamOptions {
  /** File name recorded in the literal data packet (what `gpg --use-embedded-filename` would use). */
  readonly filename?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** A fresh Duplex per file: every file gets its own random session key. */
export function createEncryptStream(keys: PgpEncryptionKeys, options: EncryptStreamOptions = {}): Duplex {
  if (keys.recipients.length === 0 && keys.passphrase === undefined) {
    throw new TypeError('createEncryptStream: give at least one recipient or a passphrase');
  }
  const what = options.filename ?? 'the file';
  return webTransformDuplex(
    async (input) => {
      // The stream is returned at once (pipelines are built synchronously) and the library loads
      // behind it; a failure to load fails the stream.
      const { createMessage, encrypt } = await loadOpenpgp();
      const message = await createMessage({ binary: input, format: 'binary', ...(options.filename === undefined ? {} : { filename: options.filename }) });
      return encrypt({
        message,
        ...(keys.recipients.length > 0 ? { encryptionKeys: [...keys.recipients] } : {}),
        ...(keys.passphrase === undefined ? {} : { passwords: [keys.passphrase] }),
        format: 'binary',
        config: WRITE_CONFIG,
      });
    },
    {
      signal: options.signal,
      mapError: (error) => {
        if (error instanceof Error && (isAbortError(error) || error instanceof ExportError)) return error;
        return new ExportError(`OpenPGP encryption of ${what} failed: ${error instanceof Error ? error.message : String(error)}`, {
          code: 'PGP_ENCRYPT',
          cause: error,
        });
      },
    },
  );
}
