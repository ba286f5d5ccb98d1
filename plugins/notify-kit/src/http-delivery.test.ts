import { describe, expect, it } from 'vitest';
import { classifyResponse, retryAfterOf } from './http-delivery.ts';

const headers = (entries: Record<string, string> = {}) => new Headers(entries);

describe('classifyResponse', () => {
  it('accepts 2xx, retries 408/425/429/5xx, and does not retry redirects, 410 or other 4xx', () => {
    expect(classifyResponse(200, 'OK', headers(), '')).toEqual({ ok: true });
    expect(classifyResponse(202, 'Accepted', headers(), '')).toEqual({ ok: true });
    for (const status of [408, 425, 429, 500, 502, 503, 504]) expect(classifyResponse(status, '', headers(), '')).toMatchObject({ ok: false, retryable: true });
    for (const status of [301, 400, 401, 403, 404, 410, 413])
      expect(classifyResponse(status, '', headers(), '')).toMatchObject({ ok: false, retryable: false });
    expect(classifyResponse(302, 'Found', headers(), '')).toMatchObject({ reason: expect.stringContaining('redirects are not followed') as string });
    expect(classifyResponse(410, 'Gone', headers(), '')).toMatchObject({ reason: expect.stringContaining('endpoint is gone') as string });
  });

  it('quotes the start of the answer body on one line', () => {
    const outcome = classifyResponse(400, 'Bad Request', headers(), '{"message":\n "invalid payload"}');
    expect(outcome).toMatchObject({ reason: 'HTTP 400 Bad Request: {"message": "invalid payload"}' });
  });

  it('passes on the wait a 503 asks for', () => {
    expect(classifyResponse(503, '', headers({ 'retry-after': '4' }), '')).toMatchObject({ retryable: true, retryAfterMs: 4000 });
  });
});

describe('retryAfterOf', () => {
  it("reads Discord's JSON retry_after (fractional seconds) on a 429", () => {
    expect(retryAfterOf(429, headers(), '{"message":"You are being rate limited.","retry_after":1.25,"global":false}')).toBe(1250);
  });

  it('takes the longer of the header and the body', () => {
    expect(retryAfterOf(429, headers({ 'retry-after': '2' }), '{"retry_after":0.5}')).toBe(2000);
    expect(retryAfterOf(429, headers({ 'retry-after': '1' }), '{"retry_after":3}')).toBe(3000);
  });

  it('ignores a body that is not JSON and a retry_after on other statuses', () => {
    expect(retryAfterOf(429, headers(), 'slow down')).toBeUndefined();
    expect(retryAfterOf(503, headers(), '{"retry_after":3}')).toBeUndefined();
  });
});
