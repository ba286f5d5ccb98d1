import { describe, expect, it } from 'vitest';
import { ConfigError } from '@hyperexport/core';
import { checkOptions, plainDiskConflict, resolveConversion } from './settings.ts';
import { DEFAULT_FORMAT_SETTINGS, outputArguments } from './target-formats.ts';

describe('resolveConversion', () => {
  it('does nothing without a format in the config or on the command line', () => {
    expect(resolveConversion({}, {})).toBeUndefined();
    expect(resolveConversion({ qcow2: { compress: true } }, {})).toBeUndefined();
  });

  it('takes the format from --convert over the config, with the documented defaults', () => {
    expect(resolveConversion({ format: 'vdi' }, { convert: 'QCOW2 ' })).toEqual({
      format: 'qcow2',
      formats: DEFAULT_FORMAT_SETTINGS,
      keepExport: true,
      qemuImg: 'qemu-img',
    });
    expect(resolveConversion({ format: 'vhdx', keepExport: false, qemuImg: '/opt/qemu/bin/qemu-img', vhdx: { subformat: 'fixed' } }, {})).toMatchObject({
      format: 'vhdx',
      keepExport: false,
      qemuImg: '/opt/qemu/bin/qemu-img',
      formats: { vhdx: { subformat: 'fixed' } },
    });
  });

  it('turns a configured conversion off with --convert none', () => {
    for (const off of ['none', 'off', false]) expect(resolveConversion({ format: 'raw' }, { convert: off })).toBeUndefined();
  });

  it('rejects an unknown format with the accepted ones', () => {
    expect(() => resolveConversion({}, { convert: 'vmdk' })).toThrow(ConfigError);
    expect(() => resolveConversion({}, { convert: 'vmdk' })).toThrow('accepted: qcow2, vhd, vhdx, vdi, raw');
    expect(() => resolveConversion({}, { convert: 3 })).toThrow('--convert 3 is not a format');
  });
});

describe('checkOptions', () => {
  it('accepts a power-of-two cluster size from 512 B to 2 MiB and nothing else', () => {
    expect(checkOptions({ qcow2: { clusterSize: 65536 } })).toEqual([]);
    expect(checkOptions({ qcow2: { clusterSize: 512 } })).toEqual([]);
    expect(checkOptions({ qcow2: { clusterSize: 2 * 1024 * 1024 } })).toEqual([]);
    for (const bad of [256, 65535, 4 * 1024 * 1024, 1.5]) expect(checkOptions({ qcow2: { clusterSize: bad } })).toHaveLength(1);
  });
});

describe('plainDiskConflict', () => {
  it('is silent without compression or encryption, and for none/off', () => {
    expect(plainDiskConflict({})).toBeUndefined();
    expect(plainDiskConflict({ compress: 'none', encrypt: 'off', other: 'x' })).toBeUndefined();
    expect(plainDiskConflict({ compress: false, encrypt: '' })).toBeUndefined();
  });

  it('names what is set', () => {
    expect(plainDiskConflict({ compress: 'zstd:3' })).toMatch(/^conversion needs uncompressed, unencrypted disks, but --compress zstd:3 is set;/);
    expect(plainDiskConflict({ compress: 'gzip', encrypt: 'pgp' })).toContain('--compress gzip and --encrypt pgp are set');
    expect(plainDiskConflict({ encrypt: true })).toContain('--encrypt on is set');
  });
});

describe('outputArguments', () => {
  it('maps each format and its options to qemu-img convert arguments', () => {
    const defaults = DEFAULT_FORMAT_SETTINGS;
    expect(outputArguments('qcow2', defaults)).toEqual(['-O', 'qcow2']);
    expect(outputArguments('qcow2', { ...defaults, qcow2: { compress: true, clusterSize: 2097152 } })).toEqual([
      '-O',
      'qcow2',
      '-c',
      '-o',
      'cluster_size=2097152',
    ]);
    expect(outputArguments('vhd', defaults)).toEqual(['-O', 'vpc', '-o', 'subformat=dynamic,force_size=on']);
    expect(outputArguments('vhd', { ...defaults, vhd: { subformat: 'fixed', forceSize: false } })).toEqual([
      '-O',
      'vpc',
      '-o',
      'subformat=fixed,force_size=off',
    ]);
    expect(outputArguments('vhdx', defaults)).toEqual(['-O', 'vhdx', '-o', 'subformat=dynamic']);
    expect(outputArguments('vdi', defaults)).toEqual(['-O', 'vdi']);
    expect(outputArguments('vdi', { ...defaults, vdi: { subformat: 'fixed' } })).toEqual(['-O', 'vdi', '-o', 'static=on']);
    expect(outputArguments('raw', defaults)).toEqual(['-O', 'raw']);
  });
});
