// The bandwidth plugin's setting: `--bwlimit`, a profile's `bwlimit`, `bandwidth({ bwlimit: '10M' })`
// in the config (its former name there, `limit`, still loads).
import { defineSettings, isParsedBy, setting } from '@hyperexport/core';
import { parseBandwidthSpec } from './bandwidth-spec.ts';

export const BANDWIDTH_SETTINGS = defineSettings({
  bwlimit: setting.string({
    description: 'Bandwidth cap, rclone syntax: 10M, 512k, or a timetable "08:00,512k 19:00,off"',
    placeholder: 'RATE',
    schema: isParsedBy((value) => parseBandwidthSpec(value as string)),
    profile: true,
    formerNames: ['limit'],
  }),
});
