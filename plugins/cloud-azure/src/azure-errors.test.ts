import { describe, expect, it } from 'vitest';
import { redactSecrets, toStorageError } from './azure-errors.ts';

const context = {
  target: { account: 'acct', container: 'backups', prefix: '' },
  endpoint: 'https://acct.blob.core.windows.net',
  credential: 'the SAS token in AZURE_STORAGE_SAS_TOKEN',
  credentialHint: 'check the token',
  maxTries: 5,
};

function restError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), { name: 'RestError', ...fields });
}

describe('toStorageError', () => {
  it("leaves errors that are not the service's alone", () => {
    const source = new Error('source failed');
    expect(toStorageError(source, 'uploading to', 'azure://acct/backups/x', context)).toBe(source);
  });

  it('says a busy service was retried, and what to change', () => {
    const error = toStorageError(
      restError('busy', { statusCode: 503, code: 'ServerBusy', details: { errorCode: 'ServerBusy' } }),
      'uploading to',
      'azure://acct/backups/x',
      context,
    );
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('after 5 tries'), hint: expect.stringContaining('concurrency') });
  });

  it('never repeats a SAS signature or account key the SDK put in a message', () => {
    const error = toStorageError(
      restError('Server said no for https://acct.blob.core.windows.net/backups/x?sv=1&sig=SECRETSIG and AccountKey=SECRETKEY;', {
        statusCode: 400,
        code: 'InvalidQueryParameterValue',
      }),
      'uploading to',
      'azure://acct/backups/x',
      context,
    ) as Error;
    expect(error.message).toContain('InvalidQueryParameterValue, HTTP 400');
    expect(error.message).not.toMatch(/SECRET/);
    expect(redactSecrets('a?sig=abc&x=1 AccountKey=k==;')).toBe('a?sig=***&x=1 AccountKey=***;');
  });

  it('turns a failed Microsoft Entra ID sign-in into an AUTH error with the hint', () => {
    const failure = Object.assign(new Error('ChainedTokenCredential authentication failed.\nCredentialUnavailableError: …'), {
      name: 'AggregateAuthenticationError',
    });
    expect(toStorageError(failure, 'listing', 'azure://acct/backups', { ...context, credential: 'Microsoft Entra ID (DefaultAzureCredential)' })).toMatchObject(
      {
        code: 'AUTH',
        message: 'no token from Microsoft Entra ID (DefaultAzureCredential) for listing azure://acct/backups: ChainedTokenCredential authentication failed.',
        hint: 'check the token',
      },
    );
  });
});
