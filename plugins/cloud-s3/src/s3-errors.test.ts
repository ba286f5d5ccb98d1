// The SDK's own error classes, as the client throws them, turned into what the user reads.
import { AccessDenied, InvalidObjectState, NoSuchBucket, NoSuchKey, S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { ExportError } from '@hyperexport/core';
import { isNotFound, toExportError } from './s3-errors.ts';

const context = { action: 'upload of s3://b1/vm/disk.vmdk', bucket: 'b1', endpoint: 'https://s3.example.net', permission: 's3:PutObject' };
const metadata = (status: number, attempts = 1) => ({ httpStatusCode: status, attempts });

function serviceError(name: string, status: number, attempts = 1): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', message: `${name} message`, $metadata: metadata(status, attempts) });
}

describe('toExportError', () => {
  it('names a missing bucket and the endpoint', () => {
    const error = toExportError(new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: metadata(404) }), context);
    expect(error).toMatchObject({ code: 'NO_SUCH_BUCKET', message: 'the bucket "b1" does not exist at https://s3.example.net' });
  });

  it('tells a wrong key from a wrong secret and an expired session', () => {
    expect(toExportError(serviceError('InvalidAccessKeyId', 403), context)).toMatchObject({
      code: 'CREDENTIALS',
      message: expect.stringContaining('access key ID') as unknown,
    });
    expect(toExportError(serviceError('SignatureDoesNotMatch', 403), context)).toMatchObject({
      code: 'CREDENTIALS',
      message: expect.stringContaining('secret access key') as unknown,
    });
    expect(toExportError(serviceError('ExpiredToken', 400), context)).toMatchObject({
      code: 'CREDENTIALS',
      hint: expect.stringContaining('sso login') as unknown,
    });
  });

  it('says which permission is missing when access is denied', () => {
    const error = toExportError(new AccessDenied({ message: 'Access Denied', $metadata: metadata(403) }), context) as ExportError;
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.hint).toContain('s3:PutObject');
    // HEAD answers carry no code: the status alone still says what kind of problem it is.
    expect(toExportError(serviceError('Unknown', 403), context)).toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it('reports throttling that outlasted the retries with the number of attempts', () => {
    expect(toExportError(serviceError('SlowDown', 503, 5), context)).toMatchObject({
      code: 'THROTTLED',
      message: expect.stringContaining('SlowDown) after 5 attempts') as unknown,
    });
  });

  it('reports network failures as an unreachable endpoint', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', $metadata: { attempts: 3 } });
    expect(toExportError(refused, context)).toMatchObject({
      code: 'UNREACHABLE',
      message: expect.stringContaining('cannot reach https://s3.example.net (ECONNREFUSED) after 3 attempts') as unknown,
    });
    const idle = Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
    expect(toExportError(idle, context)).toMatchObject({ code: 'UNREACHABLE' });
  });

  it('explains missing credentials and archived objects', () => {
    const chain = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    expect(toExportError(chain, context)).toMatchObject({ code: 'CREDENTIALS', hint: expect.stringContaining('AWS_PROFILE') as unknown });
    expect(toExportError(new InvalidObjectState({ message: 'archived', $metadata: metadata(403) }), context)).toMatchObject({ code: 'ARCHIVED' });
  });

  it('passes our own errors and cancellations through', () => {
    const own = new ExportError('x', { code: 'VERIFY' });
    expect(toExportError(own, context)).toBe(own);
    const abort = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    expect(toExportError(abort, context)).toBe(abort);
  });
});

describe('isNotFound', () => {
  it('is true for a missing key, not for a missing bucket', () => {
    expect(isNotFound(new NoSuchKey({ message: 'x', $metadata: metadata(404) }))).toBe(true);
    expect(isNotFound(serviceError('NotFound', 404))).toBe(true);
    expect(isNotFound(new NoSuchBucket({ message: 'x', $metadata: metadata(404) }))).toBe(false);
  });
});
