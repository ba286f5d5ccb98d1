// `--debug` / HYPEREXPORT_DEBUG: a trace of what goes over the wire (each SOAP call with its
// duration and fault, each disk GET), for what an error message alone does not explain, as
// govc's `-debug` does. Lines go to stderr, or appended to a file (`--debug=FILE`), which keeps
// them apart from progress bars and can be attached to a bug report.
//
// Every line is redacted before it is written: passwords in URLs, vSphere session cookies,
// `<password>` elements, and every secret registered with `addTraceSecret` (the vSphere
// password, before Login is sent). The state lives on globalThis so that every copy of core a
// config or plugin may load writes to the one sink the CLI opened.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { ConfigError } from './errors.ts';
import { redactUrlCredentials } from './redact-credentials.ts';

export const DEBUG_VARIABLE = 'HYPEREXPORT_DEBUG';

interface TraceState {
  write: ((line: string) => void) | undefined;
  readonly secrets: Set<string>;
}

const STATE_KEY = Symbol.for('hyperexport.debug-trace');

function state(): TraceState {
  const holder = globalThis as typeof globalThis & { [STATE_KEY]?: TraceState };
  return (holder[STATE_KEY] ??= { write: undefined, secrets: new Set() });
}

/** Whether a trace is being written: callers skip building costly trace text otherwise. */
export function isDebugTracing(): boolean {
  return state().write !== undefined;
}

/** Writes one trace line, `debug HH:MM:SS.mmm TOPIC: MESSAGE`, redacted. Does nothing when tracing is off. */
export function debugTrace(topic: string, message: string): void {
  const { write } = state();
  if (!write) return;
  write(`debug ${new Date().toISOString().slice(11, 23)} ${topic}: ${redactTrace(message)}\n`);
}

/** A secret that must never appear in a trace line (masked as `***` wherever it would). */
export function addTraceSecret(secret: string): void {
  // Very short strings would mask half of every line; they are not worth hiding from a trace.
  if (secret.length >= 4) state().secrets.add(secret);
}

export function redactTrace(text: string): string {
  let redacted = redactUrlCredentials(text)
    .replace(/(vmware_soap_session=)("?)[^";\s]+/gi, '$1$2***')
    .replace(/(<password\b[^>]*>)[\s\S]*?(<\/password>)/gi, '$1***$2');
  for (const secret of state().secrets) redacted = redacted.split(secret).join('***');
  return redacted;
}

/**
 * Where the trace goes: the `--debug` option (`true` for stderr, a string for a file), else
 * HYPEREXPORT_DEBUG (`1`/`true`/`yes`/`on` for stderr, `0`/`false`/`no`/`off` or empty for none,
 * anything else a file path). Undefined: no trace.
 */
export function debugDestination(option: string | boolean | undefined, env: NodeJS.ProcessEnv): 'stderr' | { file: string } | undefined {
  if (option === false) return undefined;
  if (option === true) return 'stderr';
  if (typeof option === 'string') {
    if (option === '') throw new ConfigError('--debug= names no file', { hint: 'write --debug for stderr, or --debug=FILE' });
    return { file: option };
  }
  const raw = env[DEBUG_VARIABLE]?.trim();
  if (raw === undefined || raw === '' || /^(0|false|no|off)$/i.test(raw)) return undefined;
  if (/^(1|true|yes|on)$/i.test(raw)) return 'stderr';
  return { file: raw };
}

/** Starts the trace; the returned function stops it (and closes the file). */
export function startDebugTrace(destination: 'stderr' | { file: string }, stderr: Writable): () => void {
  const traceState = state();
  if (destination === 'stderr') {
    traceState.write = (line) => stderr.write(line);
    return () => {
      traceState.write = undefined;
    };
  }
  let fd: number;
  try {
    // Owner-only: the trace names hosts, users and inventory paths.
    fd = openSync(destination.file, 'a', 0o600);
  } catch (error) {
    throw new ConfigError(`cannot open the debug trace file ${destination.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: 'give a writable path with --debug=FILE (or HYPEREXPORT_DEBUG=FILE), or --debug alone for stderr',
      cause: error,
    });
  }
  // Synchronous: a crash must not lose the lines that explain it; the trace is a few lines per call.
  traceState.write = (line) => writeSync(fd, line);
  return () => {
    traceState.write = undefined;
    closeSync(fd);
  };
}
