import { describe, expect, it } from 'vitest';
import { sampleMessages } from '@hyperexport/notify-kit';
import type { NotifyMessage } from '@hyperexport/notify-kit';
import { decodeSigningSecret, newMessageId, sign, signatureHeaders } from './standard-webhooks.ts';
import { defaultPayload, webhookBody } from './webhook-payload.ts';
import { parseWebhookUrl } from './webhook-settings.ts';

describe('Standard Webhooks signing', () => {
  it('reproduces the test vector of the specification', () => {
    const key = decodeSigningSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(sign(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    // The prefix is optional, as in the reference libraries.
    expect(decodeSigningSecret('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toEqual(key);
  });

  it('refuses a secret that is not base64', () => {
    expect(() => decodeSigningSecret('whsec_not base64!')).toThrow('the webhook signing secret is not base64');
    expect(() => decodeSigningSecret('whsec_')).toThrow('not base64');
  });

  it('gives unique ids without dots, and headers with the attempt time', () => {
    const id = newMessageId();
    expect(id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(newMessageId()).not.toBe(id);
    const headers = signatureHeaders(Buffer.from('k'), id, '{}', 1_700_000_000_999);
    expect(headers).toMatchObject({ 'webhook-id': id, 'webhook-timestamp': '1700000000' });
  });
});

describe('webhook URLs', () => {
  it('keep unknown parameters on the endpoint and take their own', () => {
    const settings = parseWebhookUrl(
      'webhook+https://hooks.example.com/backup?team=ops&secret=env:WEBHOOK_SECRET&header=X-Team:ops&header=Authorization:env:HOOK_AUTH&template=file:/etc/hx/body.json&events=failed',
    );
    expect(settings).toMatchObject({
      secret: 'env:WEBHOOK_SECRET',
      headers: { 'X-Team': 'ops', Authorization: 'env:HOOK_AUTH' },
      template: 'file:/etc/hx/body.json',
      events: ['failed'],
    });
    expect(settings.url).toBe('https://hooks.example.com/backup?team=ops');
    expect(parseWebhookUrl('webhook+http://127.0.0.1:8080/hook').url).toBe('http://127.0.0.1:8080/hook');
    expect(parseWebhookUrl('webhook://env:WEBHOOK_URL').url).toBe('env:WEBHOOK_URL');
  });

  it('refuse literal secrets: the signing secret, credential headers, token parameters and passwords', () => {
    expect(() => parseWebhookUrl('webhook+https://h/p?secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toThrow(
      'the signing secret must not be written into a webhook+https:// URL',
    );
    expect(() => parseWebhookUrl('webhook+https://h/p?header=Authorization:Bearer%20abc')).toThrow('the value of the Authorization header is a credential');
    expect(() => parseWebhookUrl('webhook+https://h/p?token=abc123')).toThrow('the token= value of the webhook URL is a secret');
    expect(() => parseWebhookUrl('webhook+https://user:pw@h/p')).toThrow('password in the webhook URL must not be written');
    expect(() => parseWebhookUrl('webhook://h/p')).toThrow('the webhook URL must not be written into a webhook:// URL');
    expect(() => parseWebhookUrl('webhook+https://h/p?header=broken')).toThrow('is not Name:value');
  });
});

describe('webhook payloads', () => {
  const [, , completed] = sampleMessages() as [NotifyMessage, NotifyMessage, NotifyMessage];

  it('default to { type, timestamp, data }', () => {
    const payload = defaultPayload(completed, new Date(0));
    expect(payload).toEqual({ type: 'export.completed', timestamp: '1970-01-01T00:00:00.000Z', data: completed });
    expect(JSON.parse(webhookBody(completed, undefined, true))).toMatchObject({ type: 'export.completed', data: { vm: 'sample-vm "01"' } });
  });

  it('fill a template, JSON-aware or as plain text', () => {
    expect(JSON.parse(webhookBody(completed, '{"msg": "{{vm}} {{status}}", "n": {{bytesRead}}}', true))).toEqual({ msg: 'sample-vm "01" succeeded', n: 2048 });
    expect(webhookBody(completed, 'vm={{vm}}', false)).toBe('vm=sample-vm "01"');
  });
});
