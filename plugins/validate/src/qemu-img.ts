// `qemu-img check` of a disk image, either a file of its own (an OVF folder) or a byte range of
// another file (a disk inside an OVA). qemu-img's raw driver takes an offset and a size, so a disk
// member of an OVA is checked in place, without extracting gigabytes first. Every image is opened
// with --image-opts and an explicit driver: nothing is probed, and a file name with a colon is
// never taken for a protocol such as `nbd:`.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, extname, isAbsolute, join } from 'node:path';

/** Where the bytes of a disk image are: a whole file, or `size` bytes at `offset` of it. */
export interface ImageLocation {
  readonly path: string;
  readonly offset?: number | undefined;
  readonly size?: number | undefined;
}

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

/** The full path of an executable found on PATH, or undefined. */
export async function findOnPath(program: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  if (isAbsolute(program)) return (await isExecutable(program)) ? program : undefined;
  for (const directory of path.split(delimiter)) {
    if (!directory) continue;
    const candidate = join(directory, program);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
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

/** The `--image-opts` string for an image. In these options a comma is written as two commas. */
export function imageOptions(driver: string, location: ImageLocation): string {
  const filename = location.path.replaceAll(',', ',,');
  if (location.offset === undefined && location.size === undefined) {
    return `driver=${driver},file.driver=file,file.filename=${filename}`;
  }
  const range = [
    location.offset === undefined ? '' : `,file.offset=${location.offset}`,
    location.size === undefined ? '' : `,file.size=${location.size}`,
  ].join('');
  return `driver=${driver},file.driver=raw${range},file.file.driver=file,file.file.filename=${filename}`;
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
    execFile(program, ['check', '--image-opts', imageOptions(driver, location)], { signal, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      const output = `${stderr}\n${stdout}`.trim();
      if (!error) return resolve({ status: 'ok', output });
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number') return resolve({ status: STATUS_BY_EXIT_CODE[code] ?? 'failed', output });
      reject(error);
    });
  });
}
