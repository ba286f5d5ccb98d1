import { describe, expect, it } from 'vitest';
import { gcsError, redactSessionUris } from './gcs-errors.ts';

describe('gcsError', () => {
  it('names the operation, classifies by status and hints at the fix', () => {
    expect(gcsError(Object.assign(new Error('Invalid Credentials'), { code: 401 }), 'uploading x', 'b')).toMatchObject({
      code: 'AUTH',
      message: 'uploading x: Google Cloud Storage refused the credentials (Invalid Credentials)',
    });
    expect(gcsError(Object.assign(new Error('denied'), { code: 403 }), 'op', 'b')).toMatchObject({
      code: 'PERMISSION',
      hint: expect.stringMatching(/roles\/storage.objectUser/),
    });
    expect(gcsError(Object.assign(new Error('The specified bucket does not exist.'), { code: 404 }), 'op', 'b')).toMatchObject({
      code: 'NOT_FOUND',
      message: 'op: the bucket gs://b does not exist',
    });
    expect(gcsError(Object.assign(new Error('Backend Error'), { code: 503 }), 'op', 'b')).toMatchObject({ code: 'UNAVAILABLE' });
    expect(gcsError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'op', 'b')).toMatchObject({
      code: 'UNREACHABLE',
      message: 'op: the connection to Google Cloud Storage failed (ECONNREFUSED)',
    });
  });

  it('keeps session URIs out of the message and the cause', () => {
    const raw = new Error(
      'Retry limit exceeded - request to https://storage.googleapis.com/upload/storage/v1/b/b/o?uploadType=resumable&upload_id=SECRET123 failed, reason: read ECONNRESET - code: ECONNRESET',
    );
    const error = gcsError(raw, 'op', 'b');
    expect(error.message).not.toContain('SECRET123');
    expect(String((error.cause as Error).message)).not.toContain('SECRET123');
    expect(redactSessionUris('a?upload_id=xyz&b=1')).toBe('a?upload_id=***&b=1');
  });

  it('passes aborts through untouched', () => {
    const abort = new DOMException('aborted', 'AbortError');
    expect(gcsError(abort, 'op', 'b')).toBe(abort);
  });
});
