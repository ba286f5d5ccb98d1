// TLS for the SOAP endpoint and the NFC disk URLs. Certificates are verified by default; the
// explicit alternatives are a pinned thumbprint (what govc calls --thumbprint, SHA-1 or
// SHA-256) or `insecure`, which skips verification altogether.
import type { TLSSocket } from 'node:tls';
import { Agent, buildConnector } from 'undici';
import type { Dispatcher } from 'undici';
import { ExportError } from '@hyperexport/core';

export interface TlsSettings {
  /** Skip certificate verification (GOVC_INSECURE=1). */
  insecure: boolean;
  /** Accept exactly this certificate: SHA-1 or SHA-256 fingerprint, hex with or without colons. */
  thumbprint?: string | undefined;
  /** Extra CA certificates (PEM) to trust. */
  ca?: string | undefined;
}

export function normalizeThumbprint(thumbprint: string): string {
  const hex = thumbprint.replace(/[:\s]/g, '').toUpperCase();
  if (!/^[0-9A-F]{40}$/.test(hex) && !/^[0-9A-F]{64}$/.test(hex)) {
    throw new ExportError(`thumbprint "${thumbprint}" is neither a SHA-1 (40 hex digits) nor a SHA-256 (64 hex digits) fingerprint`, { code: 'CONFIG' });
  }
  return hex;
}

/** An undici dispatcher that connects with these TLS settings; many sockets per origin. */
export function createDispatcher(settings: TlsSettings): Dispatcher {
  const pinned = settings.thumbprint ? normalizeThumbprint(settings.thumbprint) : undefined;
  const connector = buildConnector({
    rejectUnauthorized: !settings.insecure && !pinned,
    // A resumed TLS session shows no peer certificate, so a pinned thumbprint could not be
    // checked: with a pin, every connection does a full handshake.
    ...(pinned ? { maxCachedSessions: 0 } : {}),
    ...(settings.ca ? { ca: settings.ca } : {}),
  });
  const connect: buildConnector.connector = (options, callback) => {
    connector(options, (error, socket) => {
      if (error || !pinned || !socket) {
        callback(error ?? null, socket as never);
        return;
      }
      const certificate = (socket as TLSSocket).getPeerCertificate?.();
      const actual = pinned.length === 40 ? certificate?.fingerprint : certificate?.fingerprint256;
      const normalized = actual?.replace(/:/g, '').toUpperCase();
      if (normalized !== pinned) {
        socket.destroy();
        callback(new ExportError(`the server's certificate does not match the pinned thumbprint (got ${actual ?? 'none'})`, {
          code: 'TLS_THUMBPRINT',
          hint: 'check GOVC_TLS_THUMBPRINT / --thumbprint; the certificate may have been replaced',
        }), null);
        return;
      }
      callback(null, socket);
    });
  };
  return new Agent({ connect, connections: 16, keepAliveTimeout: 30_000, bodyTimeout: 0, headersTimeout: 120_000 });
}

/** Turns Node's TLS error codes into advice. */
export function describeTlsError(error: unknown): string | undefined {
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  if (!code) return undefined;
  if (['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID'].includes(code)) {
    return `the server's certificate is not trusted (${code}); pin it with --thumbprint (GOVC_TLS_THUMBPRINT), trust its CA with GOVC_TLS_CA_CERTS, or, knowing the risk, set GOVC_INSECURE=1 / --insecure`;
  }
  return undefined;
}
