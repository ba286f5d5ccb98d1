// Which compression a job uses: the config's options, overridden by `--compress` (or a profile's
// `compress`), which is a string such as `zstd`, `gzip:9` or `none`.
import { availableParallelism } from 'node:os';
import { ConfigError } from '@hyperexport/core';

export type Algorithm = 'gzip' | 'zstd';

export interface Compression {
  readonly algorithm: Algorithm;
  readonly level: number;
  /** Threads compressing one stream (zstd workers, parallel gzip blocks). */
  readonly threads: number;
}

export interface CompressOptions {
  /** Compress every export with this algorithm. */
  algorithm?: Algorithm | undefined;
  /** Level for `algorithm` (or for the algorithm `--compress` picks without a level). */
  level?: number | undefined;
  /** Threads per stream; default: the number of CPUs. */
  threads?: number | undefined;
}

/**
 * Accepted levels and the defaults. zstd 3 is zstd's own default. gzip 1, not gzip's usual 6:
 * on a file-system image bench/compress.ts measured level 6 at a third to three fifths of level
 * 1's speed for output only 4% smaller (see the README); smaller files are zstd's job.
 */
export const LEVELS: Readonly<Record<Algorithm, { readonly min: number; readonly max: number; readonly default: number }>> = {
  gzip: { min: 1, max: 9, default: 1 },
  zstd: { min: 1, max: 19, default: 3 },
};

const ACCEPTED_FORMS = 'gzip, zstd, gzip:LEVEL (1-9), zstd:LEVEL (1-19), or none/off';

/** `--compress` says: compress this way (level undefined: the configured or default level), or not at all. */
export type CompressRequest = { readonly algorithm: Algorithm; readonly level: number | undefined } | 'none';

/** Parses the `--compress` value. Throws a ConfigError that names the value and the accepted forms. */
export function parseCompressSpec(value: unknown): CompressRequest {
  if (typeof value !== 'string') throw badSpec(value, 'it is not a string');
  const text = value.trim().toLowerCase();
  if (text === 'none' || text === 'off') return 'none';
  const match = /^([a-z0-9]+)(?::(.*))?$/.exec(text);
  const algorithm = match?.[1];
  if (!match || (algorithm !== 'gzip' && algorithm !== 'zstd')) throw badSpec(value, 'unknown algorithm');
  if (match[2] === undefined) return { algorithm, level: undefined };
  if (!/^\d+$/.test(match[2])) throw badSpec(value, `the level "${match[2]}" is not a whole number`);
  const level = Number(match[2]);
  checkLevel(algorithm, level, value);
  return { algorithm, level };
}

/**
 * The compression for one job, or undefined when the job is not compressed. `extra` is
 * `job.spec.extra.compress` (CLI or profile), which wins over the config's options.
 */
export function resolveCompression(options: CompressOptions, extra: unknown): Compression | undefined {
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new ConfigError(`compress: threads must be a whole number of at least 1 (got ${String(options.threads)})`, { hint: 'e.g. compress({ threads: 2 })' });
  }
  const request: CompressRequest | undefined = extra === undefined ? undefined : parseCompressSpec(extra);
  if (request === 'none') return undefined;
  const algorithm = request?.algorithm ?? options.algorithm;
  if (algorithm === undefined) return undefined;
  // The configured level belongs to the configured algorithm (or to any, when none is configured).
  const configuredLevel = options.algorithm === undefined || options.algorithm === algorithm ? options.level : undefined;
  const level = request?.level ?? configuredLevel ?? LEVELS[algorithm].default;
  if (request?.level === undefined && configuredLevel !== undefined) checkLevel(algorithm, level, `level: ${configuredLevel} in the compress options`);
  // Both compress blocks on every CPU (zstd in worker threads, gzip on libuv's pool).
  const threads = options.threads ?? availableParallelism();
  return { algorithm, level, threads };
}

function checkLevel(algorithm: Algorithm, level: number, given: unknown): void {
  const { min, max } = LEVELS[algorithm];
  if (!Number.isInteger(level) || level < min || level > max) throw badSpec(given, `${algorithm} levels are ${min} to ${max}`);
}

function badSpec(value: unknown, why: string): ConfigError {
  return new ConfigError(`bad compression "${String(value)}": ${why}; accepted forms: ${ACCEPTED_FORMS}`, {
    hint: 'e.g. --compress zstd, --compress zstd:9 or --compress gzip:1',
  });
}
