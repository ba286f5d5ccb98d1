// Helpers of bench/chain.ts and bench/storage.ts: each measurement runs in a child process of its
// own (so its peak RSS is its own and one case's memory cannot hide another's), which reports
// its figures as one JSON line on stdout.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

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
 */
export async function runChild<T>(script: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<T> {
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
  if (code !== 0 || !last.startsWith('{')) throw new Error(`${args[0] ?? script} failed (exit ${code}):\n${stderr.slice(-4000)}`);
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

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** The value of `--name VALUE` on the command line, if given. */
export function argValue(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}
