import { ConfigError } from '@hyperexport/core';
import { describe, expect, it } from 'vitest';
import { parseCompressSpec, resolveCompression } from './compression-spec.ts';

describe('parseCompressSpec', () => {
  it('reads every accepted form', () => {
    expect(parseCompressSpec('gzip')).toEqual({ algorithm: 'gzip', level: undefined });
    expect(parseCompressSpec('zstd')).toEqual({ algorithm: 'zstd', level: undefined });
    expect(parseCompressSpec('gzip:9')).toEqual({ algorithm: 'gzip', level: 9 });
    expect(parseCompressSpec('ZSTD:19')).toEqual({ algorithm: 'zstd', level: 19 });
    expect(parseCompressSpec(' zstd:1 ')).toEqual({ algorithm: 'zstd', level: 1 });
    expect(parseCompressSpec('none')).toBe('none');
    expect(parseCompressSpec('off')).toBe('none');
  });

  it.each([
    ['gzip:10', 'gzip levels are 1 to 9'],
    ['gzip:0', 'gzip levels are 1 to 9'],
    ['zstd:20', 'zstd levels are 1 to 19'],
    ['zstd:fast', 'the level "fast" is not a whole number'],
    ['zstd:1.5', 'the level "1.5" is not a whole number'],
    ['zstd:', 'the level "" is not a whole number'],
    ['bzip2', 'unknown algorithm'],
    ['', 'unknown algorithm'],
    [3, 'it is not a string'],
  ])('rejects %j, naming the value and the accepted forms', (value, why) => {
    let caught: unknown;
    try {
      parseCompressSpec(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as ConfigError).message;
    expect(message).toContain(`bad compression "${String(value)}": ${why}`);
    expect(message).toContain('accepted forms: gzip, zstd, gzip:LEVEL (1-9), zstd:LEVEL (1-19), or none/off');
  });
});

describe('resolveCompression', () => {
  it('does nothing unless the options or the job ask for it', () => {
    expect(resolveCompression({}, undefined)).toBeUndefined();
    expect(resolveCompression({ level: 5 }, undefined)).toBeUndefined();
  });

  it('uses the configured algorithm for every export, with the default level', () => {
    expect(resolveCompression({ algorithm: 'zstd', threads: 2 }, undefined)).toEqual({ algorithm: 'zstd', level: 3, threads: 2 });
    expect(resolveCompression({ algorithm: 'gzip', threads: 1 }, undefined)).toEqual({ algorithm: 'gzip', level: 1, threads: 1 });
  });

  it('lets --compress override the config, and turn it off for one job', () => {
    const options = { algorithm: 'zstd' as const, level: 12, threads: 2 };
    expect(resolveCompression(options, 'gzip')).toEqual({ algorithm: 'gzip', level: 1, threads: 2 });
    expect(resolveCompression(options, 'gzip:9')).toEqual({ algorithm: 'gzip', level: 9, threads: 2 });
    expect(resolveCompression(options, 'zstd')).toEqual({ algorithm: 'zstd', level: 12, threads: 2 });
    expect(resolveCompression(options, 'zstd:5')).toEqual({ algorithm: 'zstd', level: 5, threads: 2 });
    expect(resolveCompression(options, 'none')).toBeUndefined();
  });

  it('applies a configured level without an algorithm to whichever --compress picks', () => {
    expect(resolveCompression({ level: 9, threads: 2 }, 'gzip')).toEqual({ algorithm: 'gzip', level: 9, threads: 2 });
    expect(() => resolveCompression({ level: 15, threads: 2 }, 'gzip')).toThrow('bad compression "level: 15 in the compress options": gzip levels are 1 to 9');
  });

  it('threads default to the CPUs and must be a positive whole number', () => {
    expect(resolveCompression({ algorithm: 'zstd' }, undefined)!.threads).toBeGreaterThanOrEqual(1);
    expect(() => resolveCompression({ algorithm: 'zstd', threads: 0 }, undefined)).toThrow('threads must be a whole number of at least 1 (got 0)');
  });
});
