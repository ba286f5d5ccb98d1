// One entry per algorithm: how a stored name changes, how the OVF records it, and the streams
// both ways.
import type { Duplex } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { Algorithm } from './compression-spec.ts';
import { ParallelGzip } from './parallel-gzip.ts';
import { createZstdCompressStream, createZstdDecompressStream } from './zstd-streams.ts';

export interface Codec {
  readonly suffix: string;
  /** The OVF spelling (`ovf:compression`); only gzip has one in the OVF standard (DSP0243). */
  readonly ovfCompression?: string | undefined;
  compress(level: number, threads: number): Duplex;
  decompress(): Duplex;
}

export const CODECS: Readonly<Record<Algorithm, Codec>> = {
  gzip: {
    suffix: '.gz',
    ovfCompression: 'gzip',
    compress: (level, threads) => (threads > 1 ? new ParallelGzip(level, threads) : createGzip({ level })),
    // Reads multi-member files too (what `cat a.gz b.gz` or some parallel tools write).
    decompress: () => createGunzip(),
  },
  zstd: {
    suffix: '.zst',
    compress: (level, threads) => createZstdCompressStream(level, threads),
    decompress: () => createZstdDecompressStream(),
  },
};
