// What a command says and how it exits when it was interrupted: the operation and the reason
// ("restore cancelled: interrupted by SIGINT"), not Node's bare "The operation was aborted" of a
// stream that saw the signal first; and the exit code shells expect of a process that a signal
// ended, 128 + the signal's number (SIGINT 130, SIGTERM 143), also when it cleaned up first.
import { constants } from 'node:os';
import type { Writable } from 'node:stream';
import { HyperExportError, brandError, isAbortError } from '../errors.ts';

/** 128 + the signal's number, as a shell reports a process that the signal ended. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** The reason a signal gives to the work it cancels: says which signal, and how to exit for it. */
export class InterruptedError extends Error {
  static {
    brandError(this, 'hyperexport.InterruptedError');
  }

  readonly signal: NodeJS.Signals;
  readonly exitCode: number;
  constructor(signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = 'InterruptedError';
    this.signal = signal;
    this.exitCode = signalExitCode(signal);
  }
}

/** The exit code of the signal that cancelled `error` (found along its causes), if one did. */
export function interruptionExitCode(error: unknown): number | undefined {
  let current = error;
  for (let depth = 0; depth < 10 && current !== undefined && current !== null; depth++) {
    if (current instanceof InterruptedError) return current.exitCode;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Until the returned function is called, the first SIGINT or SIGTERM aborts `controller` with an
 * InterruptedError (after `announce` said so) and a second one exits at once with that signal's
 * code: with a handler installed Node no longer exits on Ctrl-C, so work that does not stop on
 * the first would otherwise hang until SIGKILL.
 */
export function abortOnSignals(controller: AbortController, announce: (signal: NodeJS.Signals) => void): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signalExitCode(signal));
    announce(signal);
    controller.abort(new InterruptedError(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/**
 * Runs `body` with a signal aborted by Ctrl-C or SIGTERM; when that cancels it, rejects with a
 * CANCELLED error naming `what` and the signal, and saying what was left (`leftover`).
 */
export async function runCancellable<T>(what: string, leftover: string, body: (signal: AbortSignal) => Promise<T>, stderr?: Writable): Promise<T> {
  const controller = new AbortController();
  const stop = abortOnSignals(controller, (signal) => stderr?.write(`\n${signal}: cancelling the ${what} (again to quit at once)\n`));
  try {
    return await body(controller.signal);
  } catch (error) {
    throw cancellationError(what, leftover, controller.signal, error);
  } finally {
    stop();
  }
}

/** `error` as the user should read it when `signal` cancelled the work; else `error` itself. */
export function cancellationError(what: string, leftover: string, signal: AbortSignal, error: unknown): unknown {
  if (!signal.aborted || !(isAbortError(error) || error === signal.reason)) return error;
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  // The signal's reason is the cause: it carries the exit code (an InterruptedError).
  return new HyperExportError('CANCELLED', `${what} cancelled: ${reason}; ${leftover}`, { cause: signal.reason ?? error });
}
