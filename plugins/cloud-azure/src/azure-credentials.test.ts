import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionStringAccount, credentialHint, resolveCredentialSource } from './azure-credentials.ts';
import { mergeOptions } from './azure-options.ts';

const options = (given: Record<string, unknown> = {}) => mergeOptions({}, given, 'azure://a/c');
const CS = 'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=S2V5;EndpointSuffix=core.windows.net';

describe('resolveCredentialSource', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hyperexport-azure-cred-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes the standard variables in order: connection string, account key, SAS token', async () => {
    const all = { AZURE_STORAGE_CONNECTION_STRING: CS, AZURE_STORAGE_KEY: 'a2V5', AZURE_STORAGE_SAS_TOKEN: 'sv=1&sig=x' };
    expect(await resolveCredentialSource(options(), all)).toEqual({
      kind: 'connection-string',
      secret: CS,
      description: 'the connection string in AZURE_STORAGE_CONNECTION_STRING',
    });
    expect(await resolveCredentialSource(options(), { ...all, AZURE_STORAGE_CONNECTION_STRING: '' })).toMatchObject({ kind: 'account-key', secret: 'a2V5' });
    expect(await resolveCredentialSource(options(), { AZURE_STORAGE_SAS_TOKEN: 'sv=1&sig=x' })).toMatchObject({
      kind: 'sas-token',
      description: 'the SAS token in AZURE_STORAGE_SAS_TOKEN',
    });
  });

  it('falls back to Microsoft Entra ID when no secret is given', async () => {
    const source = await resolveCredentialSource(options(), {});
    expect(source).toEqual({ kind: 'identity', description: 'Microsoft Entra ID (DefaultAzureCredential)' });
    expect(credentialHint(source, 'acct', 'backups')).toMatch(/Storage Blob Data Contributor/);
  });

  it('uses a source the options name before the standard variables, and a missing one is an error', async () => {
    const file = join(dir, 'sas');
    await writeFile(file, '?sv=1&sig=fromfile\n');
    const env = { AZURE_STORAGE_CONNECTION_STRING: CS, MY_KEY: 'a2V5' };
    expect(await resolveCredentialSource(options({ sasTokenFile: file }), env)).toEqual({
      kind: 'sas-token',
      secret: '?sv=1&sig=fromfile',
      description: `the SAS token in the file ${file}`,
    });
    expect(await resolveCredentialSource(options({ accountKeyEnv: 'MY_KEY' }), env)).toMatchObject({
      kind: 'account-key',
      secret: 'a2V5',
      description: 'the account key in MY_KEY',
    });
    await expect(resolveCredentialSource(options({ accountKeyEnv: 'UNSET_KEY' }), env)).rejects.toMatchObject({
      code: 'CONFIG',
      message: expect.stringContaining('UNSET_KEY'),
    });
    await expect(resolveCredentialSource(options({ connectionStringFile: join(dir, 'missing') }), env)).rejects.toMatchObject({ code: 'CONFIG' });
  });
});

describe('connectionStringAccount', () => {
  it('reads AccountName, and knows the development storage shortcut', () => {
    expect(connectionStringAccount(CS)).toBe('acct');
    expect(connectionStringAccount('UseDevelopmentStorage=true')).toBe('devstoreaccount1');
    expect(connectionStringAccount('BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=1&sig=x')).toBeUndefined();
  });
});

describe('mergeOptions', () => {
  it("overlays a target's options on the plugin's and applies defaults", () => {
    const merged = mergeOptions({ accessTier: 'Cool', concurrency: 2 }, { accessTier: 'Archive' }, 'azure://a/c');
    expect(merged).toMatchObject({ accessTier: 'Archive', concurrency: 2, blockSize: 8 * 1024 * 1024, maxTries: 5, retryDelayMs: 2000 });
  });

  it('lists every wrong or unknown option of a target', () => {
    expect(() => mergeOptions({}, { accessTier: 'Frozen', blockSizeMiB: 0, acessTier: 'Cool' }, 'azure://a/c')).toThrow(
      expect.objectContaining({
        code: 'CONFIG',
        problems: expect.arrayContaining([
          expect.stringContaining('accessTier'),
          expect.stringContaining('blockSizeMiB'),
          expect.stringContaining('acessTier'),
        ]),
      }),
    );
  });
});
