// notify-email end to end: a real SMTP server (smtp-server) with STARTTLS or implicit TLS, a
// self-signed certificate and a login; the received message is read back (headers, text part,
// HTML part) and must say what happened.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Exporter, runJob } from '@hyperexport/core';
import type { JobSpec } from '@hyperexport/core';
import notifyEmail from '@hyperexport/notify-email';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';
import { decodeHeader, makeSelfSignedCertificate, parseMime, startSmtpServer } from './support/smtp.ts';
import type { Certificate, TestSmtpServer } from './support/smtp.ts';

const USER = 'backup@example.com';
const PASSWORD = 'smtp-Pa55word-for-tests';
const PASSWORD_ENV = 'HX_TEST_SMTP_PASSWORD';

let work: string;
let vm: MadeVm;
let certificate: Certificate;
let starttls: TestSmtpServer;
let implicitTls: TestSmtpServer;
let runs = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'notify-email-'));
  vm = await makeVmFolder(join(work, 'vms', 'mail01'), 'mail01', [1]);
  certificate = await makeSelfSignedCertificate(work);
  starttls = await startSmtpServer({ certificate, auth: { user: USER, password: PASSWORD } });
  implicitTls = await startSmtpServer({ certificate, implicitTls: true, failFirst: 1 });
  process.env[PASSWORD_ENV] = PASSWORD;
});

afterAll(async () => {
  delete process.env[PASSWORD_ENV];
  await starttls.close();
  await implicitTls.close();
  await rm(work, { recursive: true, force: true });
});

const spec = (notify: string[], output = join(work, `out-${++runs}`)): JobSpec => ({
  source: vm.directory,
  output,
  format: 'ova',
  parallel: 2,
  overwrite: false,
  extra: { notify },
});

function mailtoUrl(server: TestSmtpServer, query: string): string {
  return `mailto://${encodeURIComponent(USER)}@127.0.0.1:${server.port}/?${query}&caFile=${encodeURIComponent(certificate.certPath)}`;
}

describe('notify-email', () => {
  it('sends a success over STARTTLS with a login, in plain text and HTML', async () => {
    const before = starttls.messages.length;
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifyEmail()]);
    const result = await runJob(
      exporter,
      spec([mailtoUrl(starttls, `to=ops@example.com,oncall@example.com&from=${encodeURIComponent(USER)}&password=env:${PASSWORD_ENV}`)]),
    );
    expect(result.status).toBe('succeeded');
    expect(result.warnings).toEqual([]);
    const mail = (await starttls.waitFor(before + 1))[before]!;
    expect(mail.secure).toBe(true);
    expect(mail.user).toBe(USER);
    expect(mail.from).toBe(USER);
    expect(mail.to).toEqual(['ops@example.com', 'oncall@example.com']);

    const parsed = parseMime(mail.raw);
    expect(decodeHeader(parsed.headers.subject!)).toBe('[HyperExport] Export of mail01 succeeded');
    expect(parsed.headers.to).toBe('ops@example.com, oncall@example.com');
    expect(parsed.headers['content-type']).toMatch(/^multipart\/alternative/);
    const text = parsed.parts.find((part) => part.contentType === 'text/plain')!.body;
    const html = parsed.parts.find((part) => part.contentType === 'text/html')!.body;
    for (const part of [text, html]) {
      expect(part).toContain('mail01');
      expect(part).toContain('succeeded');
      expect(part).toContain(result.locations[0]!);
      expect(part).toContain(result.id);
    }
    expect(text).toContain('Status: succeeded');
    expect(html).toContain(
      '<th style="text-align:left;vertical-align:top;padding:4px 12px 4px 0;white-space:nowrap">VM</th><td style="padding:4px 0;">mail01</td>',
    );
  });

  it('sends a failure with the error and its hint, escaped in HTML, through implicit TLS after a temporary refusal', async () => {
    const before = implicitTls.messages.length;
    const output = join(work, 'not <a> dir & file');
    await writeFile(output, 'x');
    const exporter = await Exporter.create([
      sourceLocal(),
      storeLocal(),
      notifyEmail({
        host: '127.0.0.1',
        port: implicitTls.port,
        secure: 'tls',
        caFile: certificate.certPath,
        from: 'hx@example.com',
        to: ['ops@example.com'],
        subjectTemplate: '[backup] {{vm}}: {{status}}',
        events: ['failed'],
      }),
    ]);
    const result = await runJob(exporter, spec([], output));
    expect(result.status).toBe('failed');
    expect(result.warnings).toEqual([]);
    const mail = (await implicitTls.waitFor(before + 1))[before]!;
    expect(mail.secure).toBe(true);
    expect(mail.user).toBeUndefined();
    const parsed = parseMime(mail.raw);
    expect(decodeHeader(parsed.headers.subject!)).toBe('[backup] mail01: failed');
    const text = parsed.parts.find((part) => part.contentType === 'text/plain')!.body;
    const html = parsed.parts.find((part) => part.contentType === 'text/html')!.body;
    expect(text).toContain(`Error: output directory ${output} is not a directory`);
    expect(text).toContain('Hint: choose another --output or fix its permissions');
    expect(html).toContain('output directory ' + output.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') + ' is not a directory');
    expect(html).not.toContain('<a>');
  });

  it('warns, without the password, when the login is refused, and the export still succeeds', async () => {
    const refusedBefore = starttls.refusedLogins.length;
    const messagesBefore = starttls.messages.length;
    const exporter = await Exporter.create([
      sourceLocal(),
      storeLocal(),
      notifyEmail({
        host: '127.0.0.1',
        port: starttls.port,
        user: USER,
        password: 'wrong-Pa55word-xyz',
        caFile: certificate.certPath,
        to: ['ops@example.com'],
        maxElapsedMs: 5000,
      }),
    ]);
    const result = await runJob(exporter, spec([]));
    expect(result.status).toBe('succeeded');
    expect(starttls.refusedLogins.length).toBe(refusedBefore + 1);
    expect(starttls.messages.length).toBe(messagesBefore);
    const warnings = result.warnings.join('\n');
    expect(warnings).toMatch(
      /the completed notification to email \(backup@example\.com@127\.0\.0\.1:\d+, password from the config\) was not delivered: SMTP EAUTH: Invalid login/,
    );
    expect(warnings).toContain('(not retried)');
    expect(warnings).not.toContain('wrong-Pa55word-xyz');
  });

  it('refuses a server whose certificate it cannot verify (no caFile), with a warning', async () => {
    const exporter = await Exporter.create([
      sourceLocal(),
      storeLocal(),
      notifyEmail({ host: '127.0.0.1', port: starttls.port, user: USER, password: `env:${PASSWORD_ENV}`, to: ['ops@example.com'], maxElapsedMs: 3000 }),
    ]);
    const result = await runJob(exporter, spec([]));
    expect(result.status).toBe('succeeded');
    expect(result.warnings.join('\n')).toMatch(/was not delivered: SMTP (ETLS|ESOCKET): .*certificate/i);
    expect(result.warnings.join('\n')).not.toContain(PASSWORD);
  });

  it('fails the checks when a login has no password anywhere, and refuses one written into the URL', async () => {
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifyEmail()]);
    const saved = process.env.HYPEREXPORT_SMTP_PASSWORD;
    delete process.env.HYPEREXPORT_SMTP_PASSWORD;
    try {
      const noPassword = await runJob(exporter, spec([mailtoUrl(starttls, 'to=ops@example.com')]));
      expect(noPassword.status).toBe('failed');
      expect(noPassword.error?.message).toContain('no password for the SMTP user backup@example.com (set HYPEREXPORT_SMTP_PASSWORD');
    } finally {
      if (saved !== undefined) process.env.HYPEREXPORT_SMTP_PASSWORD = saved;
    }
    const literal = await runJob(exporter, spec([`mailto://backup:${PASSWORD}@127.0.0.1:${starttls.port}/?to=ops@example.com`]));
    expect(literal.status).toBe('failed');
    expect(literal.error?.message).toContain('the SMTP password must not be written into a mailto:// URL on the command line');
    expect(JSON.stringify(literal)).not.toContain(PASSWORD);
  });
});
