// What to say when the server's certificate is not trusted: that it is not, the thumbprints to
// pin it by (as `govc about.cert -thumbprint` shows them: colon-separated upper-case hex, SHA-1
// first, which GOVC_TLS_THUMBPRINT takes as it is, and SHA-256) and the three ways on. Node's own
// advice ("try running Node.js with --use-system-ca") means nothing to a user of this tool.
import { connect } from 'node:tls';
import { ExportError } from '@hyperexport/core';
import { serverNameOf } from './tls.ts';

/** Node's codes of a certificate that did not verify (self-signed, unknown CA, expired, wrong name). */
const UNTRUSTED_CODES: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** How long fetching the certificate for the message may take. */
const FETCH_LIMIT_MS = 5000;

export interface Thumbprints {
  readonly sha1: string;
  readonly sha256: string;
}

/** The TLS error code of `error` when it says the certificate is not trusted. */
export function untrustedCertificateCode(error: unknown): string | undefined {
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  return code !== undefined && UNTRUSTED_CODES.has(code) ? code : undefined;
}

/** The server's certificate thumbprints, from a handshake that does not verify it (only to show them); undefined when it cannot be had. */
export async function fetchThumbprints(host: string, port: number): Promise<Thumbprints | undefined> {
  return new Promise((resolve) => {
    const servername = serverNameOf(host);
    const socket = connect({ host: host.replace(/^\[(.*)\]$/, '$1'), port, rejectUnauthorized: false, ...(servername ? { servername } : {}) });
    const done = (value: Thumbprints | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), FETCH_LIMIT_MS);
    socket.once('secureConnect', () => {
      const certificate = socket.getPeerCertificate();
      done(certificate?.fingerprint && certificate.fingerprint256 ? { sha1: certificate.fingerprint, sha256: certificate.fingerprint256 } : undefined);
    });
    socket.once('error', () => done(undefined));
  });
}

/** The error for a connection to `url` refused because its certificate is not trusted. */
export async function untrustedCertificateError(url: URL, error: unknown, code: string): Promise<ExportError> {
  // Node appends advice for its own command line after a "; ": not for this tool.
  const reason = (error instanceof Error ? error.message : String(error)).split('; ')[0]!;
  const port = Number(url.port || (url.protocol === 'http:' ? 80 : 443));
  const thumbprints = await fetchThumbprints(url.hostname, port);
  const lines = [`cannot connect to ${url.host}: the server's certificate is not trusted (${reason}, ${code})`];
  if (thumbprints) lines.push(`  SHA-1 thumbprint:   ${thumbprints.sha1}`, `  SHA-256 thumbprint: ${thumbprints.sha256}`);
  const pin = thumbprints ? `--thumbprint ${thumbprints.sha1} (or GOVC_TLS_THUMBPRINT)` : '--thumbprint (GOVC_TLS_THUMBPRINT)';
  return new ExportError(lines.join('\n'), {
    code: 'TLS',
    hint: `if this is your server's certificate, pin it with ${pin}; or trust its CA with GOVC_TLS_CA_CERTS=FILE; or, knowing the risk, skip the check with -k / --insecure (GOVC_INSECURE=1)`,
    cause: error,
  });
}
