// `qemu-img check` of a disk image, either a file of its own (an OVF folder) or a byte range of
// another file (a disk inside an OVA), checked in place: core's qemuImageOptions() opens it with
// --image-opts, an explicit driver and, for an OVA member, the raw driver's offset and size.
import { execFile } from 'node:child_process';
import { extname } from 'node:path';
import { findOnPath, qemuImageOptions } from '@hyperexport/core';
import type { ImageLocation } from '@hyperexport/core';

/** qemu-img block drivers by file extension, for the formats qemu-img can check. */
const DRIVERS: Readonly<Record<string, string>> = {
  '.vmdk': 'vmdk',
  '.qcow2': 'qcow2',
  '.vhdx': 'vhdx',
  '.vhd': 'vpc',
  '.vdi': 'vdi',
};

/** The qemu-img driver for a disk file name, or undefined for files qemu-img cannot check. */
export function imageDriverFor(name: string): string | undefined {
  return DRIVERS[extname(name).toLowerCase()];
}

/**
 * The qemu-img program the `qemuImg` option asks for: `true` (or undefined) finds `qemu-img` on
 * PATH and gives undefined when it is not installed; a string is the program itself; `false`
 * turns the check off.
 */
export async function resolveQemuImg(option: boolean | string | undefined): Promise<string | undefined> {
  if (option === false) return undefined;
  if (typeof option === 'string') return option;
  return findOnPath('qemu-img');
}

export type QemuImgStatus = 'ok' | 'leaks' | 'corrupt' | 'failed' | 'unsupported';

export interface QemuImgResult {
  readonly status: QemuImgStatus;
  /** What qemu-img printed, trimmed (its own explanation of the problem). */
  readonly output: string;
}

// qemu-img check's exit codes (qemu-img(1)): 0 no errors, 1 the check could not be completed
// (the image does not even open), 2 corruptions, 3 leaked clusters only, 63 the format has no check.
const STATUS_BY_EXIT_CODE: Readonly<Record<number, QemuImgStatus>> = { 0: 'ok', 1: 'failed', 2: 'corrupt', 3: 'leaks', 63: 'unsupported' };

/** Runs `qemu-img check` on one image. Throws only when the program cannot be run at all. */
export function qemuImgCheck(program: string, driver: string, location: ImageLocation, signal?: AbortSignal): Promise<QemuImgResult> {
  return new Promise((resolve, reject) => {
    execFile(program, ['check', '--image-opts', qemuImageOptions(driver, location)], { signal, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      const output = `${stderr}\n${stdout}`.trim();
      if (!error) return resolve({ status: 'ok', output });
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number') return resolve({ status: STATUS_BY_EXIT_CODE[code] ?? 'failed', output });
      reject(error);
    });
  });
}
