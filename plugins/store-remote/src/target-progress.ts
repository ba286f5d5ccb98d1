// `target:progress` for one file sent to one target, at most every 250 ms (and the last count at
// the end): backends report every chunk they write (file://, sftp:// every 64 KiB to 1 MiB), and
// `--json` prints every event, so unthrottled a 100 GiB disk made hundreds of thousands of lines.
import type { EventBus } from '@hyperexport/core';

const INTERVAL_MS = 250;

export interface TargetProgress {
  /** What the backend's `onProgress` gets. */
  readonly report: (bytes: number) => void;
  /** Sends the last count, if it was held back. */
  readonly finish: () => void;
}

export function targetProgress(bus: EventBus, event: { jobId: string; target: string; name: string; total: number | undefined }): TargetProgress {
  let lastAt = Number.NEGATIVE_INFINITY;
  let lastBytes = 0;
  let sentBytes = -1;
  const send = () => {
    sentBytes = lastBytes;
    bus.emit('target:progress', { ...event, bytes: lastBytes });
  };
  return {
    report(bytes) {
      lastBytes = bytes;
      const now = performance.now();
      if (now - lastAt >= INTERVAL_MS || bytes === event.total) {
        lastAt = now;
        send();
      }
    },
    finish() {
      if (sentBytes !== lastBytes) send();
    },
  };
}
