import { ConfigError } from '@hyperexport/core';
import { describe, expect, it } from 'vitest';
import { sampleMessages } from '@hyperexport/notify-kit';
import type { NotifyMessage } from '@hyperexport/notify-kit';
import { emailContent, emailSubject } from './email-content.ts';
import { parseMailtoUrl } from './email-settings.ts';
import { classifySmtpError } from './smtp-notifier.ts';

describe('mailto:// URLs', () => {
  it('give the server, the user, the recipients and the options', () => {
    expect(
      parseMailtoUrl(
        'mailto://backup%40example.com@smtp.example.com:2525/?to=ops@example.com,oncall@example.com&from=backup@example.com&secure=tls&password=env:SMTP_PW&subject={{vm}}%20{{status}}',
      ),
    ).toMatchObject({
      host: 'smtp.example.com',
      port: 2525,
      user: 'backup@example.com',
      to: ['ops@example.com', 'oncall@example.com'],
      from: 'backup@example.com',
      secure: 'tls',
      password: 'env:SMTP_PW',
      subjectTemplate: '{{vm}} {{status}}',
    });
    expect(parseMailtoUrl('mailto://relay.local/?to=a@b.c&secure=none')).toMatchObject({
      host: 'relay.local',
      port: undefined,
      user: undefined,
      secure: 'none',
    });
  });

  it('refuse a password in the URL, as user:password@ or as password=', () => {
    expect(() => parseMailtoUrl('mailto://backup:hunter2@smtp.example.com/?to=a@b.c')).toThrow('the SMTP password must not be written into a mailto:// URL');
    expect(() => parseMailtoUrl('mailto://backup@smtp.example.com/?to=a@b.c&password=hunter2')).toThrow(
      'the SMTP password must not be written into a mailto:// URL',
    );
    let refusal: unknown;
    try {
      parseMailtoUrl('mailto://backup:hunter2@smtp.example.com/?to=a@b.c');
    } catch (error) {
      refusal = error;
    }
    // Asserted outside the catch, so a parse that stopped refusing fails here instead of passing silently.
    expect(refusal).toBeInstanceOf(ConfigError);
    expect(`${(refusal as ConfigError).message} ${(refusal as ConfigError).hint}`).not.toContain('hunter2');
    expect((refusal as ConfigError).hint).toContain('HYPEREXPORT_SMTP_PASSWORD');
  });

  it('refuse unknown security modes and options', () => {
    expect(() => parseMailtoUrl('mailto://h/?to=a@b.c&secure=ssl')).toThrow('secure=ssl is not one of starttls, tls, none');
    expect(() => parseMailtoUrl('mailto://h/?to=a@b.c&bcc=x@y.z')).toThrow('unknown option bcc');
  });
});

describe('email content', () => {
  const [, , completed, failed] = sampleMessages() as [NotifyMessage, NotifyMessage, NotifyMessage, NotifyMessage];

  it('escapes every value in the HTML part', () => {
    const { html, text } = emailContent(failed);
    expect(html).toContain('disk &quot;full&quot; \\ &lt;stop&gt;');
    expect(html).not.toContain('<stop>');
    expect(text).toContain('Error: disk "full" \\ <stop>');
  });

  it('makes a one-line subject, from the template when there is one', () => {
    expect(emailSubject(completed)).toBe('[HyperExport] Export of sample-vm "01" succeeded');
    expect(emailSubject(failed)).toBe('[HyperExport] Export of sample-vm "01" FAILED: disk "full" \\ <stop>');
    expect(emailSubject({ ...completed, vm: 'evil\r\nBcc: x@y.z' }, '[backup] {{vm}}')).toBe('[backup] evil Bcc: x@y.z');
  });
});

describe('classifySmtpError', () => {
  it('retries temporary failures and connection problems, not refused logins or 5xx answers', () => {
    expect(classifySmtpError(Object.assign(new Error('try later'), { responseCode: 451 }))).toMatchObject({ retryable: true });
    expect(classifySmtpError(Object.assign(new Error('no such user'), { responseCode: 550 }))).toMatchObject({ retryable: false });
    expect(classifySmtpError(Object.assign(new Error('Invalid login'), { code: 'EAUTH', responseCode: 535 }))).toMatchObject({ retryable: false });
    expect(classifySmtpError(Object.assign(new Error('Connection refused'), { code: 'ESOCKET' }))).toMatchObject({ retryable: true });
    expect(classifySmtpError(Object.assign(new Error('bad cert'), { code: 'ETLS' }))).toMatchObject({ retryable: false });
  });
});
