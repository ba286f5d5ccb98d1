import { describe, expect, it } from 'vitest';
import { formatAzureUrl, parseAzureUrl } from './azure-target-url.ts';

describe('parseAzureUrl', () => {
  it('reads account, container and prefix', () => {
    expect(parseAzureUrl(new URL('azure://myaccount/backups/vms/prod'))).toEqual({ account: 'myaccount', container: 'backups', prefix: 'vms/prod/' });
    expect(parseAzureUrl(new URL('azure://myaccount/backups/vms/'))).toEqual({ account: 'myaccount', container: 'backups', prefix: 'vms/' });
    expect(parseAzureUrl(new URL('azure://myaccount/backups'))).toEqual({ account: 'myaccount', container: 'backups', prefix: '' });
    expect(parseAzureUrl(new URL('azure://myaccount/backups/a%20b'))).toMatchObject({ prefix: 'a b/' });
  });

  it('refuses a query string (a SAS token) and says where the token goes, without echoing it', () => {
    const call = () => parseAzureUrl(new URL('azure://myaccount/backups?sv=1&sig=SECRET'));
    expect(call).toThrow(expect.objectContaining({ code: 'CONFIG', hint: expect.stringContaining('AZURE_STORAGE_SAS_TOKEN') }));
    expect(call).toThrow(expect.not.objectContaining({ message: expect.stringContaining('SECRET') }));
  });

  it('refuses credentials, ports, host names and invalid names', () => {
    expect(() => parseAzureUrl(new URL('azure://user:key@myaccount/backups'))).toThrow(/credentials/);
    expect(() => parseAzureUrl(new URL('azure://myaccount:443/backups'))).toThrow(/port/);
    expect(() => parseAzureUrl(new URL('azure://myaccount.blob.core.windows.net/backups'))).toThrow(
      expect.objectContaining({ hint: expect.stringContaining('azure://myaccount/backups') }),
    );
    expect(() => parseAzureUrl(new URL('azure://MyAccount/backups'))).toThrow(/storage account name/);
    expect(() => parseAzureUrl(new URL('azure://myaccount/Backups'))).toThrow(/container name/);
    expect(() => parseAzureUrl(new URL('azure://myaccount/ab'))).toThrow(/container name/);
    expect(() => parseAzureUrl(new URL('azure://myaccount/a--b'))).toThrow(/container name/);
    expect(() => parseAzureUrl(new URL('azure://myaccount'))).toThrow(/container name/);
    expect(() => parseAzureUrl(new URL('s3://bucket/x'))).toThrow(/not an azure/);
  });
});

describe('formatAzureUrl', () => {
  it('gives the target and blob URLs, encoded by segment', () => {
    const target = { account: 'myaccount', container: 'backups', prefix: 'vms/' };
    expect(formatAzureUrl(target, 'vms/')).toBe('azure://myaccount/backups/vms');
    expect(formatAzureUrl(target, 'vms/web 01/disk#1.vmdk')).toBe('azure://myaccount/backups/vms/web%2001/disk%231.vmdk');
    expect(formatAzureUrl({ ...target, prefix: '' }, '')).toBe('azure://myaccount/backups');
  });
});
