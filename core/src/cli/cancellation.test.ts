import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HyperExportError } from '../errors.ts';
import { cancellationError } from './cancellation.ts';

const CANCELLATION = fileURLToPath(new URL('./cancellation.ts', import.meta.url));

describe('runCancellable', () => {
  it('quits at once (exit 130) on a second Ctrl-C when the work does not stop on the first', async () => {
    // The body ignores its signal and keeps the process alive, as a stuck stream would.
    const script = `
      const { runCancellable } = await import(${JSON.stringify(CANCELLATION)});
      await runCancellable('restore', 'nothing partial was left', () => {
        setInterval(() => undefined, 1000);
        process.stdout.write('ready\\n');
        return new Promise(() => undefined);
      }, process.stderr);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    await once(child.stdout, 'data');
    child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill('SIGINT');
    const timeout = setTimeout(() => child.kill('SIGKILL'), 5000);
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    clearTimeout(timeout);
    expect({ code, signal }, stderr).toEqual({ code: 130, signal: null });
    expect(stderr).toContain('SIGINT: cancelling the restore (again to quit at once)');
  });
});

it('exits with 143 on a second SIGTERM', async () => {
  const script = `
      const { runCancellable } = await import(${JSON.stringify(CANCELLATION)});
      await runCancellable('restore', 'nothing partial was left', () => {
        setInterval(() => undefined, 1000);
        process.stdout.write('ready\\n');
        return new Promise(() => undefined);
      }, process.stderr);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  await once(child.stdout, 'data');
  child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 200));
  child.kill('SIGTERM');
  const timeout = setTimeout(() => child.kill('SIGKILL'), 5000);
  const [code] = (await exited) as [number | null];
  clearTimeout(timeout);
  expect(code).toBe(143);
});

describe('cancellationError', () => {
  it('names the operation, the signal and what was left when the signal cancelled the work; otherwise keeps the error', () => {
    const controller = new AbortController();
    const failure = new Error('disk unreadable');
    expect(cancellationError('restore', 'nothing left', controller.signal, failure)).toBe(failure);
    controller.abort(new Error('interrupted by SIGTERM'));
    const cancelled = cancellationError('restore', 'nothing partial was left in the output', controller.signal, controller.signal.reason);
    expect(cancelled).toBeInstanceOf(HyperExportError);
    expect(cancelled).toMatchObject({ code: 'CANCELLED', message: 'restore cancelled: interrupted by SIGTERM; nothing partial was left in the output' });
    expect(cancellationError('restore', 'nothing left', controller.signal, failure)).toBe(failure);
  });
});
