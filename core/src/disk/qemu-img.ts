// What every plugin that runs qemu-img needs (convert-qemu converts, validate checks): the
// `--image-opts` string that opens an image, and finding the program. Images are opened with
// --image-opts and an explicit driver, so nothing is probed, a file name with a colon is never
// taken for a protocol such as `nbd:`, and a disk inside an OVA is read in place through the raw
// driver's offset and size, without extracting gigabytes first.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

/** Where the bytes of a disk image are: a whole file, or `size` bytes at `offset` of it (an OVA member). */
export interface ImageLocation {
  readonly path: string;
  readonly offset?: number | undefined;
  readonly size?: number | undefined;
}

/**
 * The `--image-opts` string for an image read by the qemu block driver `driver` (vmdk, qcow2,
 * vpc, ...). In these options a comma is written as two commas.
 */
export function qemuImageOptions(driver: string, location: ImageLocation): string {
  const filename = location.path.replaceAll(',', ',,');
  if (location.offset === undefined && location.size === undefined) {
    return `driver=${driver},file.driver=file,file.filename=${filename}`;
  }
  const range = [location.offset === undefined ? '' : `,file.offset=${location.offset}`, location.size === undefined ? '' : `,file.size=${location.size}`].join(
    '',
  );
  return `driver=${driver},file.driver=raw${range},file.file.driver=file,file.file.filename=${filename}`;
}

/**
 * The full path of `program` found on `path` (default: $PATH), or undefined. An absolute
 * `program` is returned when it is executable. Only executables count, not plain files.
 */
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
