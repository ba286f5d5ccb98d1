// A real SMTP server for the email tests (the smtp-server package): a random loopback port,
// STARTTLS or implicit TLS with a self-signed certificate made by openssl, optional AUTH with one
// user, and every received message kept raw. `parseMime` is a small reader for what nodemailer
// sends (headers, multipart/alternative, quoted-printable or base64 parts).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';

const run = promisify(execFile);

export interface Certificate {
  readonly key: string;
  readonly cert: string;
  /** The certificate as a file, to give a client as its CA. */
  readonly certPath: string;
}

/** A self-signed certificate for 127.0.0.1 and localhost, valid one day. */
export async function makeSelfSignedCertificate(directory: string): Promise<Certificate> {
  const keyPath = join(directory, 'smtp-key.pem');
  const certPath = join(directory, 'smtp-cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8'), certPath };
}

export interface ReceivedMail {
  readonly from: string;
  readonly to: readonly string[];
  readonly raw: string;
  /** The user that logged in, if any. */
  readonly user: string | undefined;
  /** Whether the session was encrypted (implicit TLS or after STARTTLS). */
  readonly secure: boolean;
}

export interface SmtpServerOptions {
  readonly certificate: Certificate;
  /** Implicit TLS (port 465 style); otherwise plain with STARTTLS offered. */
  readonly implicitTls?: boolean;
  /** Require this login; without it AUTH is optional. */
  readonly auth?: { readonly user: string; readonly password: string };
  /** Answer the first N messages with a temporary failure (451). */
  readonly failFirst?: number;
}

export interface TestSmtpServer {
  readonly port: number;
  readonly messages: ReceivedMail[];
  /** Logins refused (wrong user or password). */
  readonly refusedLogins: string[];
  waitFor(count: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

export async function startSmtpServer(options: SmtpServerOptions): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const refusedLogins: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let toFail = options.failFirst ?? 0;
  const server = new SMTPServer({
    secure: options.implicitTls ?? false,
    key: options.certificate.key,
    cert: options.certificate.cert,
    authOptional: options.auth === undefined,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.password) {
        callback(null, { user: auth.username });
        return;
      }
      refusedLogins.push(auth.username ?? '');
      callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (toFail > 0) {
          toFail--;
          callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
          return;
        }
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((address) => address.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: typeof session.user === 'string' ? session.user : undefined,
          secure: session.secure,
        });
        callback();
        for (const waiter of [...waiters]) {
          if (messages.length >= waiter.count) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve();
          }
        }
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    messages,
    refusedLogins,
    async waitFor(count) {
      if (messages.length < count) await new Promise<void>((resolve) => waiters.push({ count, resolve }));
      return messages;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface MimePart {
  readonly headers: Record<string, string>;
  readonly contentType: string;
  /** The body with its transfer encoding undone. */
  readonly body: string;
}

export interface ParsedMail {
  readonly headers: Record<string, string>;
  /** The leaf parts (text/plain, text/html). */
  readonly parts: readonly MimePart[];
}

/** Reads headers (unfolded, names lower-cased) and the body of a MIME entity. */
function splitEntity(raw: string): { headers: Record<string, string>; body: string } {
  const text = raw.replace(/\r\n/g, '\n');
  const end = text.indexOf('\n\n');
  const head = end === -1 ? text : text.slice(0, end);
  const body = end === -1 ? '' : text.slice(end + 2);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const soft = text.replace(/=\n/g, '');
  for (let index = 0; index < soft.length; index++) {
    const char = soft[index]!;
    if (char === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(index + 1, index + 3))) {
      bytes.push(parseInt(soft.slice(index + 1, index + 3), 16));
      index += 2;
    } else {
      bytes.push(...Buffer.from(char, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(headers: Record<string, string>, body: string): string {
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

/** RFC 2047 encoded words in a header (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`). */
export function decodeHeader(value: string): string {
  return value
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=\s*(?==\?)/g, '=?$1?$2?$3?=')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_whole, _charset: string, kind: string, text: string) =>
      kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );
}

export function parseMime(raw: string): ParsedMail {
  const { headers, body } = splitEntity(raw);
  const parts: MimePart[] = [];
  const visit = (entityHeaders: Record<string, string>, entityBody: string) => {
    const contentType = entityHeaders['content-type'] ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
    if (contentType.toLowerCase().startsWith('multipart/') && boundary) {
      const sections = entityBody.split(`--${boundary}`).slice(1);
      for (const section of sections) {
        if (section.startsWith('--')) break;
        const inner = splitEntity(section.replace(/^\n/, ''));
        visit(inner.headers, inner.body);
      }
      return;
    }
    parts.push({ headers: entityHeaders, contentType: contentType.split(';')[0]!.trim().toLowerCase(), body: decodeBody(entityHeaders, entityBody) });
  };
  visit(headers, body);
  return { headers, parts };
}
