// A bound on checks that should take a moment: a pre-check stuck on a hung NFS mount, a pseudo
// file system or a server that does not answer fails with a message that names it, instead of
// holding the export (and the user's Ctrl-C) for ever.
import { HyperExportError, brandError } from './errors.ts';

/** What a check that ran out of time fails with; `check` names it. */
export class TimeLimitError extends HyperExportError {
  static {
    brandError(this, 'hyperexport.TimeLimitError');
  }

  readonly check: string;
  constructor(check: string, limitMs: number) {
    super('TIME_LIMIT', `${check} did not finish within ${formatLimit(limitMs)}`, {
      hint: 'a file system or server it reaches does not answer; check it, or choose another one',
    });
    this.name = 'TimeLimitError';
    this.check = check;
  }
}

/**
 * Resolves as `work` does, or rejects with a TimeLimitError naming `check` when it has not
 * settled after `limitMs`. The work itself cannot always be stopped (a system call); it is left
 * behind, and its outcome ignored.
 */
export async function withTimeLimit<T>(check: string, limitMs: number, work: Promise<T> | (() => Promise<T>)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeLimitError(check, limitMs)), limitMs);
  });
  try {
    return await Promise.race([typeof work === 'function' ? work() : work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function formatLimit(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
