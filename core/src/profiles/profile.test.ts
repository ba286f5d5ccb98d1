import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { BUILTIN_PROFILE_NAMES, BUILTIN_PROFILES, builtinProfile } from './builtin-profiles.ts';
import { SAMPLE_PROFILE_SCHEMA } from '../testing/sample-settings.ts';
import { checkProfile as checkWith, validateProfileName } from './profile.ts';

/** Profiles checked against the core's settings and plugin-like ones (see testing/sample-settings.ts). */
const checkProfile = (value: unknown) => checkWith(value, SAMPLE_PROFILE_SCHEMA);

function problemsOf(value: unknown): string[] {
  const checked = checkProfile(value);
  if (checked.ok) throw new Error('expected problems');
  return checked.problems;
}

describe('checkProfile', () => {
  it('accepts every field and returns them in canonical order', () => {
    const checked = checkProfile({
      targets: ['s3://bucket/vms', 'file:///backups'],
      encrypt: 'pgp',
      compress: 'gzip:6',
      keepSnapshot: true,
      snapshotBefore: true,
      output: './exports',
      overwrite: false,
      parallel: 64,
      format: 'ovf',
      description: 'all of it',
    });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    expect(Object.keys(checked.profile)).toEqual([
      'description',
      'format',
      'parallel',
      'overwrite',
      'output',
      'snapshotBefore',
      'keepSnapshot',
      'compress',
      'encrypt',
      'targets',
    ]);
  });

  it('migrates a key written under a former name of a setting, and refuses both names at once', () => {
    expect(checkProfile({ before: true, uploads: ['s3://b/p'] })).toEqual({ ok: true, profile: { snapshotBefore: true, targets: ['s3://b/p'] } });
    expect(problemsOf({ before: true, snapshotBefore: false })).toEqual([
      '"before" is the former name of "snapshotBefore", and both are set; keep only "snapshotBefore"',
    ]);
  });

  it('without the plugins that declare them, their keys are refused, or kept and named for the caller to report', () => {
    expect(checkWith({ format: 'ova', compress: 'zstd' })).toEqual({
      ok: false,
      problems: [
        '"compress" is not a known profile field (got "zstd"); remove it or check its spelling (known: description, format, parallel, overwrite, output, name, tags); no loaded plugin declares it',
      ],
    });
    expect(checkWith({ compress: 'zstd', format: 'ova' }, undefined, { undeclared: 'keep' })).toEqual({
      ok: true,
      profile: { format: 'ova', compress: 'zstd' },
      undeclared: ['compress'],
    });
  });

  it('accepts an empty profile', () => {
    expect(checkProfile({})).toEqual({ ok: true, profile: {} });
  });

  it('rejects an unknown field and names it', () => {
    expect(problemsOf({ format: 'ova', compres: 'zstd' })).toEqual([
      expect.stringMatching(/"compres" is not a known profile field \(got "zstd"\); remove it or check its spelling \(known: description, format/),
    ]);
  });

  it('lists every problem at once: wrong types, ranges, enums and unknown fields', () => {
    const problems = problemsOf({ format: 'zip', parallel: 0, overwrite: 'yes', encrypt: 'rot13', targets: ['s3://ok', 3], extra: 1 });
    expect(problems).toHaveLength(6);
    expect(problems.join('\n')).toMatch(/^"format": .*"ova" or "ovf".*"zip"/m);
    expect(problems.join('\n')).toMatch(/^"parallel": .*range/m);
    expect(problems.join('\n')).toMatch(/^"overwrite": Expected a boolean/m);
    expect(problems.join('\n')).toMatch(/^"encrypt": .*"aes" or "pgp"/m);
    expect(problems.join('\n')).toMatch(/^"targets\[1\]": Expected a string/m);
    expect(problems.join('\n')).toMatch(/"extra" is not a known profile field/);
  });

  it('rejects a parallel that is not an integer in 1..64', () => {
    expect(problemsOf({ parallel: 2.5 })).toEqual([expect.stringMatching(/^"parallel": .*integer/)]);
    expect(problemsOf({ parallel: 65 })).toEqual([expect.stringMatching(/^"parallel": /)]);
    expect(problemsOf({ parallel: '4' })).toEqual([expect.stringMatching(/^"parallel": Expected a number/)]);
  });

  it("checks each plugin setting with the plugin's schema, element by element for a list", () => {
    expect(checkProfile({ compress: 'zstd' }).ok).toBe(true);
    expect(checkProfile({ compress: 'gzip:9' }).ok).toBe(true);
    expect(problemsOf({ compress: 'gzip 9' })).toEqual([expect.stringMatching(/^"compress": Expected to match the pattern .* \(got "gzip 9"\)/)]);
    expect(problemsOf({ targets: ['/backups', 's3://b/p', 'C:\\backups'] })).toEqual([
      expect.stringMatching(/^"targets\[0\]": Expected to match the pattern .*"\/backups"/),
      expect.stringMatching(/^"targets\[2\]": /),
    ]);
  });

  it('rejects values that are not an object', () => {
    for (const value of [null, 'ova', 3, ['format']]) {
      expect(problemsOf(value)).toEqual([expect.stringMatching(/a profile is a JSON object/)]);
    }
  });
});

describe('validateProfileName', () => {
  it('accepts letters, digits, ".", "_" and "-" up to 64 characters', () => {
    for (const name of ['nightly', 'prod.v2', 'a_b-c', 'X', '0', 'a..b', 'n'.repeat(64)]) expect(() => validateProfileName(name)).not.toThrow();
  });

  it.each([
    ['', /cannot be empty/],
    ['../x', /starts with "\."/],
    ['..', /starts with "\."/],
    ['.hidden', /starts with "\."/],
    ['a/b', /contains "\/"/],
    ['a\\b', /contains "\\\\"/],
    ['with space', /contains " "/],
    ['nul\0', /contains/],
    ['n'.repeat(65), /at most 64/],
  ])('rejects %j with a ConfigError', (name, message) => {
    let caught: unknown;
    try {
      validateProfileName(name);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toMatch(message);
  });
});

describe('built-in profiles', () => {
  it('are the five documented ones, each valid and described', () => {
    expect(BUILTIN_PROFILE_NAMES).toEqual(['quick-export', 'production-backup', 'encrypted-backup', 'cloud-backup', 'development']);
    for (const name of BUILTIN_PROFILE_NAMES) {
      const checked = checkProfile(BUILTIN_PROFILES[name]);
      expect(checked.ok, name).toBe(true);
      expect(BUILTIN_PROFILES[name]?.description, name).toBeTruthy();
    }
  });

  it('set what their names promise', () => {
    expect(builtinProfile('quick-export')).toMatchObject({ format: 'ovf' });
    expect(builtinProfile('quick-export')).not.toHaveProperty('compress');
    expect(builtinProfile('production-backup')).toMatchObject({ format: 'ova', compress: 'zstd' });
    expect(builtinProfile('encrypted-backup')).toMatchObject({ format: 'ova', compress: 'zstd', encrypt: 'aes' });
    expect(builtinProfile('cloud-backup')).toMatchObject({ format: 'ova', compress: 'zstd', targets: [] });
    expect(builtinProfile('development')).toMatchObject({ format: 'ovf', parallel: 2, overwrite: true });
  });

  it('cannot be changed through the table or a copy', () => {
    expect(Object.isFrozen(BUILTIN_PROFILES['cloud-backup'])).toBe(true);
    expect(Object.isFrozen(BUILTIN_PROFILES['cloud-backup']?.targets)).toBe(true);
    const copy = builtinProfile('cloud-backup');
    (copy?.targets as string[] | undefined)?.push('s3://mine');
    expect(builtinProfile('cloud-backup')?.targets).toEqual([]);
    expect(builtinProfile('toString')).toBeUndefined();
  });
});
