// convert-qemu's setting: `--convert FORMAT`, a profile's `convert`, `convertQemu({ convert: 'qcow2' })`
// in the config (the option `format` remains, under it: the setting wins). `none` or `off` turns a
// conversion the config asks for off for one export.
import { defineSettings, isParsedBy, setting } from '@hyperexport/core';
import { resolveConversion } from './settings.ts';

export const CONVERT_QEMU_SETTINGS = defineSettings({
  convert: setting.string({
    description: 'Convert the disks with qemu-img: qcow2, vhd, vhdx, vdi or raw (none: no conversion)',
    placeholder: 'FORMAT',
    schema: isParsedBy((value) => resolveConversion({}, { convert: value })),
    profile: true,
  }),
});
