// planReversal: which reverse stages undo a stored file, read from its name's suffixes.
import { describe, expect, it } from 'vitest';
import type { ReverseStage } from '../model.ts';
import { planReversal } from './reversal.ts';

const stage = (name: string, suffix: string): ReverseStage => ({ name, suffix, create: () => Promise.reject(new Error('not run in these tests')) });
const zstd = stage('zstd', '.zst');
const gzip = stage('gzip', '.gz');
const aes = stage('aes', '.hxe');
const stages = [zstd, gzip, aes];

describe('planReversal', () => {
  it('undoes the outermost transform first: decrypt, then decompress', () => {
    const plan = planReversal('disk1.vmdk.zst.hxe', stages);
    expect(plan.steps.map((step) => step.name)).toEqual(['aes', 'zstd']);
    expect(plan.plainName).toBe('disk1.vmdk');
  });

  it('runs a stage once per time its suffix appears', () => {
    const plan = planReversal('disk1.vmdk.gz.gz', stages);
    expect(plan.steps.map((step) => step.name)).toEqual(['gzip', 'gzip']);
    expect(plan.plainName).toBe('disk1.vmdk');
  });

  it('leaves a name without a known suffix as it is, with nothing to run', () => {
    expect(planReversal('web01.ovf', stages)).toEqual({ steps: [], plainName: 'web01.ovf' });
    expect(planReversal('web01.ovf', [])).toEqual({ steps: [], plainName: 'web01.ovf' });
  });

  it('never strips a name down to nothing: a file named only ".hxe" is a plain file', () => {
    expect(planReversal('.hxe', stages)).toEqual({ steps: [], plainName: '.hxe' });
    const plan = planReversal('.zst.hxe', stages);
    expect(plan.steps.map((step) => step.name)).toEqual(['aes']);
    expect(plan.plainName).toBe('.zst');
  });

  it('matches a suffix at the end of the name only', () => {
    expect(planReversal('disk1.zst.vmdk', stages)).toEqual({ steps: [], plainName: 'disk1.zst.vmdk' });
  });
});
