import { describe, expect, it } from 'vitest';
import { redactCredentialsDeep, redactUrlCredentials } from './redact-credentials.ts';

describe('redactUrlCredentials', () => {
  it('masks the password of every URL in a text, keeping the user and the rest', () => {
    expect(redactUrlCredentials('connecting to https://root:s3cret@esx.local/sdk and sftp://u:p%40ss@nas:22/x')).toBe(
      'connecting to https://root:***@esx.local/sdk and sftp://u:***@nas:22/x',
    );
  });

  it('masks the whole password when it or the user name holds a raw @ (the last @ ends the user info, as URL parsers read it)', () => {
    // new URL('https://admin:p@ss@vc/sdk').password is 'p%40ss': such URLs are accepted, so they must be masked whole.
    expect(redactUrlCredentials('https://admin:p@ss@vc.local/sdk failed')).toBe('https://admin:***@vc.local/sdk failed');
    expect(redactUrlCredentials('https://ops@corp:hunter2@vc.local/sdk')).toBe('https://ops@corp:***@vc.local/sdk');
    expect(redactUrlCredentials('https://u:a@b@c@vc.local:443/x?q=1@2')).toBe('https://u:***@vc.local:443/x?q=1@2');
  });

  it('leaves URLs without a password alone (a user name, a secret reference, a port)', () => {
    for (const text of [
      'sftp://backup@nas.example.com:2222/exports',
      'slack://env:SLACK_WEBHOOK_URL',
      'https://vc.example.com:8443/sdk',
      'mailto://relay.lan/?to=ops@example.com',
    ]) {
      expect(redactUrlCredentials(text)).toBe(text);
    }
  });
});

describe('redactCredentialsDeep', () => {
  it('redacts strings at any depth and keeps untouched objects as they are', () => {
    const untouched = { files: [{ name: 'a.ova' }] };
    const payload = { spec: { extra: { connection: { url: 'https://u:pw@vc/sdk' } } }, result: untouched };
    const redacted = redactCredentialsDeep(payload);
    expect(redacted.spec.extra.connection.url).toBe('https://u:***@vc/sdk');
    expect(redacted.result).toBe(untouched);
    expect(payload.spec.extra.connection.url).toBe('https://u:pw@vc/sdk');
    expect(redactCredentialsDeep(untouched)).toBe(untouched);
  });
});

describe('EventBus', () => {
  it('no listener sees a password in a URL, whatever event carries it', async () => {
    const { EventBus } = await import('./events.ts');
    const bus = new EventBus();
    const seen: unknown[] = [];
    bus.onAny((_event, payload) => seen.push(payload));
    bus.emit('job:start', {
      jobId: 'j',
      spec: { format: 'ova', parallel: 1, overwrite: false, extra: { connection: { url: 'https://admin:hunter2@vc/sdk' } } },
    });
    bus.emit('warning', { jobId: 'j', message: 'cannot reach https://admin:hunter2@vc/sdk' });
    expect(JSON.stringify(seen)).not.toContain('hunter2');
    expect(JSON.stringify(seen)).toContain('https://admin:***@vc/sdk');
  });
});
