// A reader that goes away (`| head`, `| grep -m1 -q`, `| true`) closes the pipe behind stdout.
// Node ignores SIGPIPE, so the only sign is the next write failing with EPIPE, emitted as an
// 'error' event on the stream; unheard, that event crashes the process with a stack trace and
// none of the export's cleanup (snapshot, lease, staging folder) runs.
import type { Writable } from 'node:stream';

function isClosedPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}

/** Keeps an EPIPE on `stream` from crashing the process (what is written after it is lost); other errors still do. */
export function tolerateClosedOutput(stream: Writable): void {
  if (typeof stream.on !== 'function') return;
  stream.on('error', (error: unknown) => {
    if (!isClosedPipe(error)) throw error;
  });
}

/** Calls `onClosed` once, when `stream` reports that its reader went away; returns a function that stops watching. */
export function watchClosedOutput(stream: Writable, onClosed: () => void): () => void {
  if (typeof stream.on !== 'function') return () => undefined;
  let told = false;
  const listener = (error: unknown) => {
    if (!isClosedPipe(error) || told) return;
    told = true;
    onClosed();
  };
  stream.on('error', listener);
  return () => stream.off('error', listener);
}
