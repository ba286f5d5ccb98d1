import { describe, expect, it } from 'vitest';
import { buildJobSpec } from '../config.ts';
import { applyProfile, profileJobSettings } from './apply-profile.ts';
import { builtinProfile } from './builtin-profiles.ts';
import type { ExportProfile } from './profile.ts';

const profile: ExportProfile = {
  description: 'not a job setting',
  format: 'ovf',
  parallel: 2,
  overwrite: true,
  output: '/profile/out',
  snapshotBefore: true,
  compress: 'zstd',
  targets: ['s3://bucket/vms'],
};

describe('profileJobSettings', () => {
  it('holds only the keys the profile sets, plugin settings under extra', () => {
    expect(profileJobSettings(profile)).toEqual({
      format: 'ovf',
      parallel: 2,
      overwrite: true,
      output: '/profile/out',
      extra: { snapshotBefore: true, compress: 'zstd', targets: ['s3://bucket/vms'] },
    });
    expect(profileJobSettings({ format: 'ova' })).toEqual({ format: 'ova' });
    expect(profileJobSettings({ description: 'only words' })).toEqual({});
  });
});

describe('applyProfile', () => {
  it('gives a flag on the command line precedence over the profile', () => {
    const merged = applyProfile(profile, { format: 'ova', parallel: 8, overwrite: false, extra: { compress: 'gzip:6' } });
    expect(merged.format).toBe('ova');
    expect(merged.parallel).toBe(8);
    // --no-overwrite is a value given, not an absent flag.
    expect(merged.overwrite).toBe(false);
    expect(merged.extra).toEqual({ snapshotBefore: true, compress: 'gzip:6', targets: ['s3://bucket/vms'] });
  });

  it('keeps the profile value where a flag is unset', () => {
    const merged = applyProfile(profile, {
      source: './vm',
      format: undefined,
      parallel: undefined,
      overwrite: undefined,
      output: undefined,
      extra: { compress: undefined, connection: { url: 'x' } },
    });
    expect(merged).toEqual({
      source: './vm',
      format: 'ovf',
      parallel: 2,
      overwrite: true,
      output: '/profile/out',
      extra: { snapshotBefore: true, compress: 'zstd', targets: ['s3://bucket/vms'], connection: { url: 'x' } },
    });
  });

  it('without a profile passes the flags through, minus undefined ones', () => {
    expect(applyProfile(undefined, { vm: 'web01', format: undefined, extra: {} })).toEqual({ vm: 'web01' });
  });

  it('does not share arrays with the profile', () => {
    const merged = applyProfile(profile, {});
    (merged.extra?.targets as string[]).push('s3://other');
    expect(profile.targets).toEqual(['s3://bucket/vms']);
  });

  it('with buildJobSpec: flags over the profile over the config export section over the defaults', () => {
    const config = { format: 'ova' as const, output: '/config/out', parallel: 6, name: 'from-config' };
    const spec = buildJobSpec(config, applyProfile(builtinProfile('development'), { source: './vm', output: '/flag/out' }));
    expect(spec).toEqual({
      source: './vm',
      vm: undefined,
      format: 'ovf', // profile over config
      output: '/flag/out', // flag over profile and config
      name: 'from-config', // profile is silent: config
      parallel: 2, // profile over config
      overwrite: true, // profile over default
      extra: {},
    });
    const plain = buildJobSpec({}, applyProfile(builtinProfile('quick-export'), { source: './vm' }));
    expect(plain).toMatchObject({ format: 'ovf', parallel: 4, overwrite: false, extra: {} });
  });
});
