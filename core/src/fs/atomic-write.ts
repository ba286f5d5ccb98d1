// Writing a small file so that a reader, or a crash, only ever sees the old or the new content:
// the content goes to a temporary dot file beside it, is fsynced, then takes the final name, and
// the folder is fsynced so the new name is durable too.
import { randomBytes } from 'node:crypto';
import { link, lstat, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of a new file (default 0o600: configs, history and checkpoints are private). */
  mode?: number;
  /** Only create: when `path` already exists nothing is written and the call returns false. */
  ifAbsent?: boolean;
}

/** Writes `content` to `path` atomically; returns false when `ifAbsent` found the file there. */
export async function writeFileAtomic(path: string, content: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<boolean> {
  const folder = dirname(path);
  // A dot file, so that folder listings never show a temporary file left by a crash.
  const temporary = join(folder, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', options.mode ?? 0o600);
  try {
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.ifAbsent) {
      if (!(await linkIfAbsent(temporary, path))) return false;
    } else {
      await rename(temporary, path);
    }
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  await syncPath(folder);
  return true;
}

/** fsyncs a file or folder; some filesystems cannot fsync a folder, which is fine there. */
export async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Gives `temporary` the name `path` unless `path` exists, in one step (a hard link fails with
 * EEXIST), so two writers racing cannot both win. Filesystems without hard links fall back to a
 * check and a rename.
 */
async function linkIfAbsent(temporary: string, path: string): Promise<boolean> {
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
  }
  const exists = await lstat(path).then(
    () => true,
    (statError: NodeJS.ErrnoException) => {
      if (statError.code === 'ENOENT') return false;
      throw statError;
    },
  );
  if (exists) return false;
  await rename(temporary, path);
  return true;
}
