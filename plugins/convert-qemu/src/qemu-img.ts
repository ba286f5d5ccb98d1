// Runs qemu-img: spawned with an argument array (never a shell), killed when the job's signal
// aborts, its progress read from stdout as it runs. Every image is opened with core's
// qemuImageOptions() (--image-opts and an explicit driver; a disk inside an OVA read in place).
import { spawn } from 'node:child_process';
import { isAbsolute } from 'node:path';
import { ExportError, qemuImageOptions } from '@hyperexport/core';
import type { ImageLocation } from '@hyperexport/core';
import { QemuProgressParser } from './progress-parser.ts';

/** An image and the qemu block driver that reads it (vmdk, qcow2, vpc, ...). */
export interface ImageRef {
  readonly driver: string;
  readonly location: ImageLocation;
  /** How messages name it, e.g. `web01.vmdk in /exports/web01.ova`; default: the path. */
  readonly label?: string | undefined;
}

export const QEMU_IMG_INSTALL_HINT =
  'install qemu-img: apt-get install qemu-utils (Debian, Ubuntu) or dnf install qemu-img (Fedora, RHEL); or set the convert-qemu option qemuImg to its path';

/** The `--image-opts` string for an image. */
export function imageOptions(image: ImageRef): string {
  return qemuImageOptions(image.driver, image.location);
}

export interface QemuImgRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface RunOptions {
  readonly signal?: AbortSignal | undefined;
  /** Gets stdout as it arrives (progress); stdout is then not collected. */
  readonly onStdout?: ((text: string) => void) | undefined;
}

/** Output kept for messages; qemu-img's own explanations are short. */
const MAX_OUTPUT = 256 * 1024;
/** How long qemu-img gets to stop after SIGTERM before it is killed outright. */
const KILL_GRACE_MS = 5000;

/**
 * Runs qemu-img with `args` and resolves with its exit code and output, whatever the code. Rejects
 * with an ExportError when the program cannot be run at all, and with the signal's reason when the
 * job is cancelled, only after the process has exited (so a caller can remove its files safely).
 */
export function runQemuImg(program: string, args: readonly string[], options: RunOptions = {}): Promise<QemuImgRun> {
  const { signal, onStdout } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let spawnError: Error | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      if (onStdout) onStdout(text);
      else stdout = keepTail(stdout + text);
    });
    child.stderr.on('data', (text: string) => {
      stderr = keepTail(stderr + text);
    });
    const onAbort = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    child.on('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (signal?.aborted) return reject(abortReason(signal));
      if (spawnError) return reject(cannotRun(program, spawnError));
      if (code === null) return reject(new ExportError(`qemu-img was stopped by ${killedBy ?? 'a signal'} (qemu-img ${args[0] ?? ''})`, { code: 'QEMU_IMG' }));
      resolve({ code, stdout, stderr });
    });
  });
}

function keepTail(text: string): string {
  return text.length > MAX_OUTPUT ? text.slice(-MAX_OUTPUT) : text;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

function cannotRun(program: string, error: NodeJS.ErrnoException): ExportError {
  if (error.code === 'ENOENT') {
    const where = isAbsolute(program) ? `at ${program}` : `on PATH (looked for ${JSON.stringify(program)})`;
    return new ExportError(`qemu-img was not found ${where}; disk conversion needs it`, {
      code: 'QEMU_IMG_MISSING',
      hint: QEMU_IMG_INSTALL_HINT,
      cause: error,
    });
  }
  if (error.code === 'EACCES') {
    return new ExportError(`qemu-img at ${program} cannot be run (permission denied)`, {
      code: 'QEMU_IMG_MISSING',
      hint: `make it executable, or ${QEMU_IMG_INSTALL_HINT}`,
      cause: error,
    });
  }
  return new ExportError(`qemu-img (${program}) cannot be run: ${error.message}`, { code: 'QEMU_IMG', hint: QEMU_IMG_INSTALL_HINT, cause: error });
}

/** What qemu-img said, trimmed to its last lines, for an error message. */
function explanation(run: QemuImgRun): string {
  const text = `${run.stderr}\n${run.stdout}`.trim();
  return text === '' ? `exit code ${run.code}` : text.split('\n').slice(-5).join(' / ');
}

/** `qemu-img --version`: the version, e.g. `7.2.22`. Throws when qemu-img cannot run. */
export async function qemuImgVersion(program: string, signal?: AbortSignal): Promise<string> {
  const run = await runQemuImg(program, ['--version'], { signal });
  const version = /qemu-img version (\S+)/.exec(run.stdout)?.[1];
  if (run.code !== 0 || version === undefined) {
    throw new ExportError(`${program} --version did not answer like qemu-img: ${explanation(run)}`, { code: 'QEMU_IMG', hint: QEMU_IMG_INSTALL_HINT });
  }
  return version;
}

export interface ImageInfo {
  readonly format: string;
  readonly virtualSize: number;
}

/** `qemu-img info --output=json` of an image opened with its driver. */
export async function imageInfo(program: string, image: ImageRef, signal?: AbortSignal): Promise<ImageInfo> {
  const run = await runQemuImg(program, ['info', '--output=json', '--image-opts', imageOptions(image)], { signal });
  if (run.code !== 0) throw new ExportError(`qemu-img cannot read ${describeImage(image)}: ${explanation(run)}`, { code: 'QEMU_IMG' });
  const info = JSON.parse(run.stdout) as { format?: unknown; 'virtual-size'?: unknown };
  if (typeof info.format !== 'string' || typeof info['virtual-size'] !== 'number') {
    throw new ExportError(`qemu-img info of ${describeImage(image)} gave no format or virtual size`, { code: 'QEMU_IMG' });
  }
  return { format: info.format, virtualSize: info['virtual-size'] };
}

/**
 * `qemu-img convert -p`: writes `output` (a plain absolute path) from `source`. `outputArgs` choose
 * the format and its options (see target-formats.ts). `onPercent` gets each progress update.
 */
export async function convertImage(
  program: string,
  source: ImageRef,
  output: string,
  outputArgs: readonly string[],
  options: { signal?: AbortSignal; onPercent?: (percent: number) => void } = {},
): Promise<void> {
  if (!isAbsolute(output)) throw new Error(`convertImage: the output path must be absolute (${output})`);
  const parser = new QemuProgressParser();
  const run = await runQemuImg(program, ['convert', '-p', '--image-opts', imageOptions(source), ...outputArgs, output], {
    signal: options.signal,
    onStdout: (text) => {
      const percent = parser.push(text);
      if (percent !== undefined) options.onPercent?.(percent);
    },
  });
  if (run.code !== 0) throw new ExportError(`qemu-img could not convert ${describeImage(source)}: ${explanation(run)}`, { code: 'CONVERT_FAILED' });
}

export interface Comparison {
  readonly identical: boolean;
  /** qemu-img's words: "Images are identical." or where the content differs. */
  readonly message: string;
}

/**
 * `qemu-img compare`: whether two images have the same guest-visible content (not the same
 * bytes on disk). qemu-img exits 0 for identical, 1 for different, anything else for an error.
 */
export async function compareImages(program: string, first: ImageRef, second: ImageRef, signal?: AbortSignal): Promise<Comparison> {
  const run = await runQemuImg(program, ['compare', '--image-opts', imageOptions(first), imageOptions(second)], { signal });
  if (run.code === 0) return { identical: true, message: run.stdout.trim() };
  if (run.code === 1) return { identical: false, message: explanation(run) };
  throw new ExportError(`qemu-img could not compare ${describeImage(first)} with ${describeImage(second)}: ${explanation(run)}`, { code: 'QEMU_IMG' });
}

export function describeImage(image: ImageRef): string {
  if (image.label !== undefined) return image.label;
  const { path, offset, size } = image.location;
  return offset === undefined ? path : `bytes ${offset} to ${offset + (size ?? 0)} of ${path}`;
}
