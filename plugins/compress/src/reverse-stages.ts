// The way back for `hyperexport restore`: a stored `NAME.gz` or `NAME.zst` is decompressed to
// NAME. Files written by the `gzip` and `zstd` programs are read the same way.
import type { ReverseStage } from '@hyperexport/core';
import { CODECS } from './codecs.ts';

export const reverseStages: readonly ReverseStage[] = Object.freeze([
  { name: 'gunzip', undoes: 'gzip', suffix: CODECS.gzip.suffix, ovfCompression: CODECS.gzip.ovfCompression, create: async () => CODECS.gzip.decompress() },
  { name: 'zstd-decompress', undoes: 'zstd', suffix: CODECS.zstd.suffix, create: async () => CODECS.zstd.decompress() },
]);
