// A second Ctrl-C quits at once (process.exit), so no `finally` of the work runs: a restore's
// staged file, possibly as large as a disk, would stay behind under a hidden unique name that
// no later run looks for. What is registered here is removed synchronously as the process exits.
import { rmSync } from 'node:fs';

/** Removes `path` (a file or a folder) if the process exits before the returned function is called. */
export function removeOnExit(path: string): () => void {
  const remove = () => rmSync(path, { recursive: true, force: true });
  process.on('exit', remove);
  return () => {
    process.off('exit', remove);
  };
}
