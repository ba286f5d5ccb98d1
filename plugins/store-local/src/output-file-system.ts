// The output folder must be on a file system that keeps files: a folder under /proc, /sys or
// /dev is refused as a usage error before anything connects (as root, Node's recursive mkdir
// under /proc loops at 100% CPU instead of failing). The check is bounded in time, as every
// pre-check is: a hung mount fails it with a message naming it.
import { resolve } from 'node:path';
import { ConfigError, pseudoFileSystemOf, withTimeLimit } from '@hyperexport/core';

/** How long finding the output's file system may take (a stat per missing level, one read of mountinfo). */
export const OUTPUT_FILE_SYSTEM_CHECK_MS = 5000;

/** Throws a ConfigError when `directory` is (or would be created) on a pseudo file system. */
export async function refusePseudoFileSystem(directory: string, limitMs = OUTPUT_FILE_SYSTEM_CHECK_MS): Promise<void> {
  const target = resolve(directory);
  const pseudo = await withTimeLimit(`the check of the file system of ${target}`, limitMs, () => pseudoFileSystemOf(target));
  if (pseudo === undefined) return;
  const where = pseudo.mountPoint === undefined ? '' : ` mounted at ${pseudo.mountPoint}`;
  throw new ConfigError(`output directory ${target} is on ${pseudo.type}${where}, a kernel pseudo file system that cannot hold an export`, {
    hint: 'choose an --output folder on a disk or a network share',
  });
}
