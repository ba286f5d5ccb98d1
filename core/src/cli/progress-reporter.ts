// Shows a job's events: NDJSON on stdout with --json, progress bars on a terminal, and one line
// per event otherwise (logs, CI). Observers only: nothing here can change or fail the export.
import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { EventBus } from '../events.ts';
import { formatBytes } from './format.ts';

export type ReporterMode = 'json' | 'tty' | 'lines' | 'quiet';

export function chooseReporterMode(json: boolean, quiet: boolean, stderr: Writable): ReporterMode {
  if (json) return 'json';
  if (quiet) return 'quiet';
  return (stderr as Writable & { isTTY?: boolean }).isTTY ? 'tty' : 'lines';
}

/** Attaches to the bus; returns a function that detaches and stops any bars. */
export function attachReporter(bus: EventBus, mode: ReporterMode, stdout: Writable, stderr: Writable): () => void {
  if (mode === 'json') {
    return bus.onAny((event, payload) => {
      stdout.write(`${JSON.stringify({ type: event, time: new Date().toISOString(), ...payload })}\n`);
    });
  }
  if (mode === 'quiet') {
    return bus.onAny((event, payload) => {
      if (event === 'warning') stderr.write(`warning: ${(payload as { message: string }).message}\n`);
    });
  }
  if (mode === 'tty') return attachBars(bus, stderr);
  return attachLines(bus, stderr);
}

function attachLines(bus: EventBus, stderr: Writable): () => void {
  const lastLine = new Map<string, number>();
  const LINE_INTERVAL_MS = 5000;
  const detach = [
    bus.onAny((event, payload) => {
      switch (event) {
        case 'stage:start':
          break;
        case 'file:start': {
          const { name, size } = payload as { name: string; size?: number };
          stderr.write(`writing ${name}${size === undefined ? '' : ` (${formatBytes(size)})`}\n`);
          break;
        }
        case 'file:progress': {
          const { name, bytes, total, bytesPerSecond } = payload as { name: string; bytes: number; total?: number; bytesPerSecond: number };
          const now = Date.now();
          if (now - (lastLine.get(name) ?? now) < LINE_INTERVAL_MS) break;
          if (!lastLine.has(name)) {
            lastLine.set(name, now);
            break;
          }
          lastLine.set(name, now);
          const percent = total ? ` ${Math.floor((bytes / total) * 100)}%` : '';
          stderr.write(`  ${name}: ${formatBytes(bytes)}${percent} at ${formatBytes(bytesPerSecond)}/s\n`);
          break;
        }
        case 'file:end': {
          const { name, size, sha256 } = payload as { name: string; size: number; sha256: string };
          stderr.write(`  ${name}: ${formatBytes(size)} sha256 ${sha256}\n`);
          break;
        }
        case 'warning':
          stderr.write(`warning: ${(payload as { message: string; plugin?: string }).plugin ? `[${(payload as { plugin: string }).plugin}] ` : ''}${(payload as { message: string }).message}\n`);
          break;
        case 'info':
          stderr.write(`${(payload as { message: string }).message}\n`);
          break;
        default:
          break;
      }
    }),
  ];
  return () => detach.forEach((fn) => fn());
}

function attachBars(bus: EventBus, stderr: Writable): () => void {
  const bars = new cliProgress.MultiBar({
    stream: stderr as NodeJS.WritableStream,
    format: ' {bar} {percentage}% | {name} | {done} of {size} | {speed}/s',
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    autopadding: true,
  }, cliProgress.Presets.shades_classic);
  const byName = new Map<string, cliProgress.SingleBar>();
  const detach = bus.onAny((event, payload) => {
    switch (event) {
      case 'file:start': {
        const { name, size } = payload as { name: string; size?: number };
        byName.set(name, bars.create(size ?? 0, 0, { name, done: formatBytes(0), size: size === undefined ? '?' : formatBytes(size), speed: formatBytes(0) }));
        break;
      }
      case 'file:progress': {
        const { name, bytes, total, bytesPerSecond } = payload as { name: string; bytes: number; total?: number; bytesPerSecond: number };
        const bar = byName.get(name);
        if (!bar) break;
        if (total === undefined) bar.setTotal(Math.max(bytes, 1));
        bar.update(bytes, { done: formatBytes(bytes), speed: formatBytes(bytesPerSecond) });
        break;
      }
      case 'file:end': {
        const { name, size } = payload as { name: string; size: number };
        const bar = byName.get(name);
        if (bar) {
          bar.setTotal(Math.max(size, 1));
          bar.update(Math.max(size, 1), { done: formatBytes(size), size: formatBytes(size) });
        }
        break;
      }
      case 'warning':
        bars.log(`warning: ${(payload as { message: string }).message}\n`);
        break;
      case 'info':
        bars.log(`${(payload as { message: string }).message}\n`);
        break;
      default:
        break;
    }
  });
  return () => {
    detach();
    bars.stop();
  };
}
