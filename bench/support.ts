// Shared helpers of the benchmarks:
// - measuring a process from outside: `measure` (wall time, peak RSS and CPU time of any command,
//   from its rusage), and `interleave` / `summarise` for rounds of cases and their medians;
// - a measurement in a child process of its own (so its peak RSS is its own and one case's memory
//   cannot hide another's) that times itself and reports its figures as one JSON line on stdout:
//   `runChild` in the parent, `startFigures` in the child;
// - the input the benchmarks use (`writeHalfRandomHalfZeros`), keeping runs apart
//   (`settleDisk`), the machine's load (`loadAverage`), the command line (`argValue`);
// - figures: `median`, `round`, `mbPerSecond`, `ratio`.
import { execFileSync, spawn } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const MiB = 1 << 20;

export interface Measured {
  readonly seconds: number;
  /**
   * Peak resident set size in MB: the process's own maxRSS from the kernel when it ended
   * (getrusage, as GNU time reports it), the largest of it and of any child it waited for.
   */
  readonly peakRssMB: number;
  /** CPU time (user + system) the process used, its waited-for children included. */
  readonly cpuSeconds: number;
  readonly code: number | null;
  readonly stderr: string;
}

/** GNU time: the one tool that hands over a finished process's rusage (Node only has its own). */
const GNU_TIME = '/usr/bin/time';

/**
 * Runs a command and measures its wall time, peak RSS and CPU time. The process runs under GNU
 * time, which reads its rusage when it ends: sampling /proc while it runs could miss a process
 * that ended between two samples (and reported a peak of 0).
 */
export async function measure(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Measured> {
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} (GNU time) is missing: the benchmarks read peak RSS from it. Install it: apt-get install -y time`);
  const folder = await mkdtemp(join(tmpdir(), 'hyperexport-bench-rusage-'));
  try {
    const report = join(folder, 'rusage');
    const started = performance.now();
    // %M: maxRSS in KiB; %U %S: user and system CPU seconds. -o: into a file, so that the
    // command's own stderr stays as it wrote it.
    const child = spawn(GNU_TIME, ['-o', report, '-f', '%M %U %S', '--', command, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString();
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (exitCode) => resolve(exitCode));
    });
    const seconds = (performance.now() - started) / 1000;
    // The last line: above it GNU time may say "Command exited with non-zero status N".
    const figures = /(\d+) ([\d.]+) ([\d.]+)\s*$/.exec(await readFile(report, 'utf8'));
    if (!figures) throw new Error(`${GNU_TIME} reported no figures for ${command} (exit ${code}):\n${stderr.slice(-2000)}`);
    const peakRssMB = Math.round(Number(figures[1]) / 1024);
    return { seconds, peakRssMB, cpuSeconds: Number(figures[2]) + Number(figures[3]), code, stderr };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** What the runs of one case add up to: median time, the highest peak RSS of any run. */
export interface Summary {
  readonly seconds: number;
  readonly MBps: number;
  readonly cpuSeconds: number;
  readonly peakRssMB: number;
  /** MB/s of every round, in order: how much the machine moved them. */
  readonly allMBps: number[];
}

export function summarise(runs: readonly Measured[], bytes: number): Summary {
  const seconds = median(runs.map((run) => run.seconds));
  return {
    seconds: round(seconds),
    MBps: mbPerSecond(bytes, seconds),
    cpuSeconds: round(median(runs.map((run) => run.cpuSeconds))),
    peakRssMB: Math.max(...runs.map((run) => run.peakRssMB)),
    allMBps: runs.map((run) => mbPerSecond(bytes, run.seconds)),
  };
}

/**
 * Runs every case `rounds` times, interleaved: one run of each case per round, in the given order
 * on even rounds and the reverse on odd ones, so that neither side always goes first (into a
 * cooler cache or a quieter machine). `beforeEach` runs before every run (e.g. `settleDisk`).
 * Returns the runs of each case, in round order.
 */
export async function interleave<Name extends string, T>(
  cases: Record<Name, () => Promise<T>>,
  rounds: number,
  beforeEach: () => void | Promise<void> = () => undefined,
): Promise<Record<Name, T[]>> {
  const names = Object.keys(cases) as Name[];
  const runs = Object.fromEntries(names.map((name) => [name, [] as T[]])) as Record<Name, T[]>;
  for (let index = 0; index < rounds; index++) {
    for (const name of index % 2 === 0 ? names : [...names].reverse()) {
      await beforeEach();
      runs[name].push(await cases[name]());
    }
  }
  return runs;
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
