// Shared helpers of the benchmarks: timing child processes and their peak memory.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

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

export const mbPerSecond = (bytes: number, seconds: number) => Math.round((bytes / 1e6 / seconds) * 10) / 10;
export const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
