import { describe, expect, it } from 'vitest';
import { Redactor, redactEndpoint } from './redactor.ts';

describe('Redactor', () => {
  it('masks a webhook URL, its path and its long tokens wherever they appear', () => {
    const url = 'https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX';
    const redactor = new Redactor().add(url);
    expect(redactor.redact(`POST ${url} failed`)).toBe('POST *** failed');
    expect(redactor.redact('path /services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX')).toBe('path ***');
    expect(redactor.redact('token XXXXXXXXXXXXXXXXXXXXXXXX leaked')).toBe('token *** leaked');
    // Short path words are not secrets and stay readable.
    expect(redactor.redact('services are fine')).toBe('services are fine');
  });

  it('masks query secrets (a Teams sig) and percent-encoded copies', () => {
    const redactor = new Redactor().add('https://x.logic.azure.com/workflows/1/invoke?api-version=1&sig=abc/def+ghi=jkl');
    expect(redactor.redact('sig=abc/def+ghi=jkl')).not.toContain('abc/def+ghi=jkl');
    expect(redactor.redact(encodeURIComponent('abc/def+ghi=jkl'))).toBe('***');
  });

  it('masks plain secrets and ignores values too short to matter', () => {
    const redactor = new Redactor().add('R0UT1NGKEY0123456789').add('ab').add(undefined);
    expect(redactor.redact('key R0UT1NGKEY0123456789 ab')).toBe('key *** ab');
  });

  it('shows an endpoint by its origin only', () => {
    expect(redactEndpoint('https://discord.com/api/webhooks/1/tok')).toBe('https://discord.com/***');
    expect(redactEndpoint('not a url')).toBe('***');
  });
});
