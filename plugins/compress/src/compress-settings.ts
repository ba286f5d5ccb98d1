// The compress plugin's setting: `--compress`, a profile's `compress`, `compress({ compress: 'zstd:5' })`
// in the config. The options `algorithm` and `level` remain, under it: the setting wins.
import { defineSettings, isParsedBy, setting } from '@hyperexport/core';
import { parseCompressSpec } from './compression-spec.ts';

export const COMPRESS_SETTINGS = defineSettings({
  compress: setting.string({
    description: 'Compress disks or the OVA: gzip or zstd, with an optional level (zstd:3, gzip:6), or none',
    placeholder: 'ALGO[:LEVEL]',
    schema: isParsedBy(parseCompressSpec),
    profile: true,
  }),
});
