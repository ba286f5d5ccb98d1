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
