// TLS for the SOAP endpoint and the NFC disk URLs. Certificates are verified by default; the
// explicit alternatives are a pinned thumbprint (what govc calls --thumbprint, SHA-1 or
// SHA-256) or `insecure`, which skips verification altogether.
//
// SOAP goes through an undici dispatcher (createDispatcher); disk downloads use their own HTTP/1.1
// client on a raw TLS socket (nfc/http-get.ts) that takes the same settings: both build their
// socket options with tlsConnectOptions and check a pin with checkPinnedThumbprint.
import { isIP } from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { Agent, buildConnector } from 'undici';
import type { Dispatcher } from 'undici';
import { ConfigError, ExportError } from '@hyperexport/core';

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
    throw new ConfigError(`thumbprint "${thumbprint}" is neither a SHA-1 (40 hex digits) nor a SHA-256 (64 hex digits) fingerprint`, {
      hint: 'copy it from `govc about.cert -k -thumbprint` or `openssl x509 -noout -fingerprint -sha256`',
    });
  }
  return hex;
}

/** The pinned thumbprint of these settings, normalized; undefined without a pin. */
export function pinnedThumbprint(settings: TlsSettings): string | undefined {
  return settings.thumbprint ? normalizeThumbprint(settings.thumbprint) : undefined;
}

/**
 * Node TLS options for these settings. A pin replaces CA verification (the pin is checked after
 * the handshake with checkPinnedThumbprint); `insecure` skips verification.
 */
export function tlsConnectOptions(settings: TlsSettings): Pick<ConnectionOptions, 'rejectUnauthorized' | 'ca'> {
  return {
    rejectUnauthorized: !settings.insecure && !pinnedThumbprint(settings),
    ...(settings.ca ? { ca: settings.ca } : {}),
  };
}

/** The SNI name for a host: none for an IP address (RFC 6066). */
export function serverNameOf(host: string): string | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(bare) === 0 ? bare : undefined;
}

/**
 * Checks a connected socket's certificate against a pinned (normalized) thumbprint. Returns the
 * error to fail the connection with, or undefined when it matches. A resumed TLS session shows no
 * peer certificate and therefore fails: connections with a pin must not reuse sessions.
 */
export function checkPinnedThumbprint(socket: TLSSocket, pinned: string): ExportError | undefined {
  const certificate = socket.getPeerCertificate?.();
  const actual = pinned.length === 40 ? certificate?.fingerprint : certificate?.fingerprint256;
  const normalized = actual?.replace(/:/g, '').toUpperCase();
  if (normalized === pinned) return undefined;
  return new ExportError(`the server's certificate does not match the pinned thumbprint (got ${actual ?? 'none'})`, {
    code: 'TLS_THUMBPRINT',
    hint: 'check GOVC_TLS_THUMBPRINT / --thumbprint; the certificate may have been replaced',
  });
}

/** The TLS settings each dispatcher of createDispatcher was made with (only the TLS fields). */
const SETTINGS = new WeakMap<Dispatcher, TlsSettings>();

/**
 * The TLS settings `dispatcher` was created with by createDispatcher, so that disk downloads,
 * which do not go through undici, connect with exactly the same policy. Undefined for another
 * dispatcher.
 */
export function tlsSettingsOf(dispatcher: Dispatcher): TlsSettings | undefined {
  return SETTINGS.get(dispatcher);
}

/** An undici dispatcher that connects with these TLS settings; many sockets per origin. */
export function createDispatcher(settings: TlsSettings): Dispatcher {
  const pinned = pinnedThumbprint(settings);
  const connector = buildConnector({
    ...tlsConnectOptions(settings),
    // A resumed TLS session shows no peer certificate, so a pinned thumbprint could not be
    // checked: with a pin, every connection does a full handshake.
    ...(pinned ? { maxCachedSessions: 0 } : {}),
  });
  const connect: buildConnector.connector = (options, callback) => {
    connector(options, (error, socket) => {
      if (error || !pinned || !socket) {
        callback(error ?? null, socket as never);
        return;
      }
      const mismatch = checkPinnedThumbprint(socket as TLSSocket, pinned);
      if (mismatch) {
        socket.destroy();
        callback(mismatch, null);
        return;
      }
      callback(null, socket);
    });
  };
  const dispatcher = new Agent({ connect, connections: 16, keepAliveTimeout: 30_000, bodyTimeout: 0, headersTimeout: 120_000 });
  // Only the TLS fields: the settings object may be a whole connection config with a password.
  SETTINGS.set(dispatcher, { insecure: settings.insecure, thumbprint: settings.thumbprint, ca: settings.ca });
  return dispatcher;
}
