// @hyperexport/compress: compresses the disks of an OVF folder, or a whole OVA, with zstd or gzip
// as a streaming transform stage. Nothing happens unless the config's options or `--compress`
// (a profile's `compress`) ask for it.
import { ConfigError, Stage, definePlugin, t } from '@hyperexport/core';
import type { Job, StageArtifactKind, TransformStage } from '@hyperexport/core';
import { CODECS } from './codecs.ts';
import { LEVELS, resolveCompression } from './compression-spec.ts';
import type { CompressOptions, Compression } from './compression-spec.ts';
import { loadZstdNapi } from './zstd-streams.ts';

const PLUGIN_NAME = 'compress';

import { COMPRESS_SETTINGS } from './compress-settings.ts';
import { reverseStages } from './reverse-stages.ts';

export { reverseStages, COMPRESS_SETTINGS };
export { parseCompressSpec, resolveCompression, LEVELS } from './compression-spec.ts';
export type { Algorithm, Compression, CompressOptions, CompressRequest } from './compression-spec.ts';
export { CODECS } from './codecs.ts';
export type { Codec } from './codecs.ts';
export { ParallelGzip } from './parallel-gzip.ts';
export { createZstdCompressStream, createZstdDecompressStream, preferredZstdBackend } from './zstd-streams.ts';
export type { ZstdBackend } from './zstd-streams.ts';

/** Disks and whole OVAs; the descriptor and manifest stay readable, the record is never touched. */
const COMPRESSED_KINDS: readonly StageArtifactKind[] = ['disk', 'package'];

export function compressionStage(compression: Compression): TransformStage {
  const codec = CODECS[compression.algorithm];
  return {
    name: compression.algorithm,
    stage: Stage.COMPRESS,
    effect: 'changes-bytes',
    artifacts: COMPRESSED_KINDS,
    rename: (name) => `${name}${codec.suffix}`,
    ovfCompression: codec.ovfCompression,
    create: () => codec.compress(compression.level, compression.threads),
    // The post-export read-back decompresses with the codec the reverse stages (restore) use.
    reverse: async () => codec.decompress(),
  };
}

export default definePlugin<CompressOptions, typeof COMPRESS_SETTINGS>({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'compresses disks (OVF) or the whole OVA with zstd or gzip (.zst/.gz)',
  provides: ['transform:compress'],
  settings: COMPRESS_SETTINGS,
  reverseStages,
  options: t.isObject({
    algorithm: t.isOptional(t.isEnum(['gzip', 'zstd'] as const)),
    level: t.isOptional(t.isNumber()),
    threads: t.isOptional(t.isNumber()),
  }),
  setup(exporter, options, jobSettings) {
    const settings: CompressOptions = options ?? {};
    // A level the configured algorithm cannot take fails at start-up, not at the first export.
    resolveCompression(settings, jobSettings.configured.compress);
    const { level } = settings;
    if (level !== undefined && !Object.values(LEVELS).some(({ min, max }) => Number.isInteger(level) && level >= min && level <= max)) {
      throw new ConfigError(`compress: level ${level} is not a level of gzip (1-9) or zstd (1-19)`);
    }
    const compressionOf = (job: Job) => resolveCompression(settings, jobSettings.of(job.spec).compress);

    // The usage check: a bad `--compress` is a usage error (exit 2) before anything connects.
    exporter.hooks.checkSettings.tap(PLUGIN_NAME, (spec) => {
      resolveCompression(settings, jobSettings.of(spec).compress);
    });

    exporter.hooks.transform.tapPromise(PLUGIN_NAME, async (plan, job) => {
      const compression = compressionOf(job);
      if (!compression) return plan;
      if (compression.algorithm === 'zstd') {
        const napi = loadZstdNapi();
        if (napi instanceof Error)
          job.info(`the zstd-napi binding did not load (${napi.message.split('\n')[0]}); compressing with node:zlib's zstd, which is slower`, PLUGIN_NAME);
      }
      job.info(`compressing with ${compression.algorithm} level ${compression.level} on ${compression.threads} thread(s)`, PLUGIN_NAME);
      plan.stages.push(compressionStage(compression));
      return plan;
    });
  },
});
