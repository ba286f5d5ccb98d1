import { describe, expect, it } from 'vitest';
import type { JobSpec } from '../model.ts';
import { StorageRegistry } from './storage-registry.ts';

const job = (output?: string) => ({ spec: { format: 'ova', parallel: 1, overwrite: false, extra: {}, output } satisfies JobSpec });

describe('StorageRegistry local outputs', () => {
  it('answers the first folder a registered plugin names, and undefined when none does', () => {
    const registry = new StorageRegistry();
    expect(registry.localOutputOf(job('/out'))).toBeUndefined();
    registry.registerLocalOutput('store-local', (candidate) => candidate.spec.output ?? '/configured');
    registry.registerLocalOutput('other', () => '/other');
    expect(registry.localOutputOf(job('/out'))).toBe('/out');
    expect(registry.localOutputOf(job())).toBe('/configured');
  });

  it('refuses a registration after setup', () => {
    const registry = new StorageRegistry();
    registry.seal();
    expect(() => registry.registerLocalOutput('late', () => undefined)).toThrow('local output of "late" registered after setup; register it in setup()');
  });
});

describe('parseTargetUrl', () => {
  it('quotes an invalid target URL without any part of its password, a raw @ in it included', async () => {
    const { parseTargetUrl } = await import('./storage-registry.ts');
    let caught: unknown;
    try {
      parseTargetUrl('sftp://backup:p@ss@nas:99999/exports?key=SECRET');
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ name: 'ConfigError', message: '"sftp://backup:***@nas:99999/exports?***" is not a valid target URL' });
  });
});
