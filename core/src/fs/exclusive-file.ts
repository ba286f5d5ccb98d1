// Temporary and staged files are created, never opened: `wx` (O_CREAT | O_EXCL) fails on anything
// already at the name, a symbolic link included, and never follows it. In a shared output folder
// another user could otherwise plant a link at the name and have the write (by root, perhaps)
// overwrite whatever file the link points to. Unique names keep two runs from colliding.
import { randomBytes } from 'node:crypto';
import type { WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DiskFullAwareWriteStream } from './disk-full.ts';
import type { DiskFullContext } from './disk-full.ts';

/** A hidden name beside `path` that no other run uses: `.NAME.PURPOSE-PID-RANDOM`. */
export function temporaryPathBeside(path: string, purpose: string): string {
  return join(dirname(path), `.${basename(path)}.${purpose}-${process.pid}-${randomBytes(6).toString('hex')}`);
}

export interface ExclusiveWriteOptions {
  /** fsync before the stream reports it closed. */
  readonly flush?: boolean | undefined;
  /** File mode of the new file (default 0o666, less the umask). */
  readonly mode?: number | undefined;
  /** What a full disk's error says besides the file: its expected size, the folder to name. */
  readonly diskFull?: Omit<DiskFullContext, 'path' | 'written'> | undefined;
}

/**
 * A write stream to a file it creates; it errors with EEXIST when anything, even a dangling link,
 * is at `path`. A full disk is an error naming the file and the space needed (disk-full.ts).
 */
export function createExclusiveWriteStream(path: string, options: ExclusiveWriteOptions = {}): WriteStream {
  return new DiskFullAwareWriteStream(
    path,
    { flags: 'wx', flush: options.flush ?? false, ...(options.mode === undefined ? {} : { mode: options.mode }) },
    options.diskFull,
  );
}

/**
 * A write stream to a fresh file at `path`, for a file that is written again from the start (a
 * restart, a rerun): whatever is at the name is removed first (a link itself, not its target),
 * and the new file is created exclusively.
 */
export async function recreateExclusively(path: string, options: ExclusiveWriteOptions = {}): Promise<WriteStream> {
  await rm(path, { force: true });
  return createExclusiveWriteStream(path, options);
}
