// What a command says when it was interrupted: the operation and the reason ("restore cancelled:
// interrupted by SIGINT"), not Node's bare "The operation was aborted" of a stream that saw the
// signal first.
import type { Writable } from 'node:stream';
import { HyperExportError, isAbortError } from '../errors.ts';

/**
 * Runs `body` with a signal aborted by Ctrl-C or SIGTERM; when that cancels it, rejects with a
 * CANCELLED error naming `what` and the signal, and saying what was left (`leftover`). A second
 * signal exits at once (130), as the export does: with a handler installed Node no longer exits
 * on Ctrl-C, so work that does not stop on the first would otherwise hang until SIGKILL.
 */
export async function runCancellable<T>(what: string, leftover: string, body: (signal: AbortSignal) => Promise<T>, stderr?: Writable): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130); // 128 + SIGINT, as `export` quits
    stderr?.write(`\n${signal}: cancelling the ${what} (again to quit at once)\n`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await body(controller.signal);
  } catch (error) {
    throw cancellationError(what, leftover, controller.signal, error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `error` as the user should read it when `signal` cancelled the work; else `error` itself. */
export function cancellationError(what: string, leftover: string, signal: AbortSignal, error: unknown): unknown {
  if (!signal.aborted || !(isAbortError(error) || error === signal.reason)) return error;
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  return new HyperExportError('CANCELLED', `${what} cancelled: ${reason}; ${leftover}`, { cause: error });
}
