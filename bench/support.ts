// Shared helpers of the benchmarks:
// - measuring a process from outside: `measure` (wall time and peak RSS of any command);
// - a measurement in a child process of its own (so its peak RSS is its own and one case's memory
//   cannot hide another's) that times itself and reports its figures as one JSON line on stdout:
//   `runChild` in the parent, `startFigures` in the child;
// - the input the benchmarks use (`writeHalfRandomHalfZeros`), keeping runs apart
//   (`settleDisk`), the machine's load (`loadAverage`), the command line (`argValue`);
// - figures: `median`, `round`, `mbPerSecond`, `ratio`.
import { execFileSync, spawn } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';

const MiB = 1 << 20;

export interface Measured {
  readonly seconds: number;
  /** Peak resident set size in MB (VmHWM), read while the process runs. */
  readonly peakRssMB: number;
  readonly code: number | null;
  readonly stderr: string;
}

/** Runs a command and measures its wall time and peak RSS. */
export async function measure(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Measured> {
  const started = performance.now();
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  let peakKb = 0;
  const sample = async () => {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
  };
  const timer = setInterval(() => void sample(), 20);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  clearInterval(timer);
  return { seconds: (performance.now() - started) / 1000, peakRssMB: Math.round(peakKb / 1024), code, stderr };
}

/** What a measured child process reports about itself. */
export interface ChildFigures {
  /** Wall time of the measured operation only (no Node start-up, no module loading). */
  readonly seconds: number;
  /** CPU time (user + system, every thread) of the child during the operation. */
  readonly cpuSeconds: number;
  /**
   * CPU time of the main thread (the event loop) alone during the operation: close to
   * `seconds` means the event loop was the bottleneck. Linux only (/proc), else undefined.
   */
  readonly mainThreadCpuSeconds: number | undefined;
  /** Peak resident set size of the child over its whole life, in MiB (getrusage maxRSS). */
  readonly peakRssMB: number;
}

/**
 * Runs `script` again in a child process with `args` (and the parent's Node flags, e.g.
 * `--conditions=hyperexport-source`), and returns the JSON object it printed last on stdout.
 * `label` names the run in the error thrown when it fails.
 */
export async function runChild<T>(script: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, label = args[0] ?? script): Promise<T> {
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`${label} failed (exit ${code}):\n${stderr.slice(-4000)}`);
  return JSON.parse(last) as T;
}

/** Starts measuring in the child: call the result when the operation is done. */
export function startFigures(): () => ChildFigures {
  const cpuBefore = process.cpuUsage();
  const mainBefore = mainThreadCpuSeconds();
  const started = performance.now();
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const mainAfter = mainThreadCpuSeconds();
    return {
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      mainThreadCpuSeconds: mainBefore === undefined || mainAfter === undefined ? undefined : mainAfter - mainBefore,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  };
}

/** utime + stime of the main thread (its task id is the process id), from /proc, in seconds. */
function mainThreadCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, hence the last ')'): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Writes the benchmark input: half pseudo-random bytes (an AES-CTR keystream:
 * incompressible and quick to make), half zeros, in MiB blocks. `halves`: the random half first,
 * then the zeros; `alternating`: a random MiB, a zero MiB, and so on (every part of the file
 * alike, for stages that cut it into frames or hand parts to threads).
 */
export async function writeHalfRandomHalfZeros(path: string, bytes: number, layout: 'halves' | 'alternating' = 'halves'): Promise<void> {
  const keystream = createCipheriv('aes-128-ctr', randomBytes(16), Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  const out = createWriteStream(path);
  const finished = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
  });
  finished.catch(() => undefined); // awaited below; this only keeps an early error from counting as unhandled
  for (let offset = 0, block = 0; offset < bytes; offset += MiB, block++) {
    const length = Math.min(MiB, bytes - offset);
    const random = layout === 'halves' ? offset < bytes / 2 : block % 2 === 0;
    const chunk = random ? keystream.update(zeros.subarray(0, length)) : zeros.subarray(0, length);
    if (!out.write(chunk)) await Promise.race([new Promise<void>((resolve) => out.once('drain', () => resolve())), finished]);
  }
  out.end();
  await finished;
}

/**
 * Flushes every dirty page to disk, so a measurement does not start while the previous one's
 * writes are still going out (which would make the order of the cases decide who pays for them).
 */
export function settleDisk(): void {
  execFileSync('sync');
}

/** The 1-minute load average, as `uptime` shows it (runnable processes; compare with the CPU count). */
export function loadAverage(): number {
  return Math.round(loadavg()[0]! * 100) / 100;
}

/** The value of `--name VALUE` on the command line, if given. */
export function argValue(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export const mbPerSecond = (bytes: number, seconds: number) => Math.round((bytes / 1e6 / seconds) * 10) / 10;
export const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
