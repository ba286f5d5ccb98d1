// Runs the built `hyperexport` command as a user would, in a child process.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI_PATH = fileURLToPath(new URL('../../cli/bin/hyperexport.js', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as NDJSON (lines that are not JSON are skipped). */
  readonly events: Array<Record<string, unknown>>;
}

export interface CliOptions {
  cwd: string;
  /** The program (and its first arguments) to run instead of `node cli/bin/hyperexport.js`: an installed or single-executable `hyperexport`. */
  command?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Run as another user id (tests of permissions, which root ignores). */
  uid?: number;
  gid?: number;
  /** Sends `signal` once the output matches `pattern` (`delayMs` after, to land inside a slow step). */
  signalAfter?: { pattern: RegExp; signal: NodeJS.Signals; delayMs?: number };
  /** Runs `action` once, the first time the output matches `pattern`. */
  whenOutput?: { pattern: RegExp; action: () => void };
}

// Tests never write the user's own history or profiles: both default into a temporary folder of
// the test file's, removed once its tests are done (the CLI creates it on first use).
const TEST_STATE = join(tmpdir(), `hyperexport-test-state-${process.pid}-${randomBytes(4).toString('hex')}`);
// Only under vitest: the benchmarks import CLI_PATH from here too, with plain node.
if (process.env.VITEST) (await import('vitest')).afterAll(() => rm(TEST_STATE, { recursive: true, force: true }));

export function runCli(args: readonly string[], options: CliOptions): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const [program, ...leading] = options.command ?? [process.execPath, CLI_PATH];
    const child = spawn(program!, [...leading, ...args], {
      cwd: options.cwd,
      env: {
        ...process.env,
        HYPEREXPORT_HISTORY: join(TEST_STATE, 'history.jsonl'),
        HYPEREXPORT_PROFILES_DIR: join(TEST_STATE, 'profiles'),
        ...options.env,
        FORCE_COLOR: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    let acted = false;
    const maybeSignal = () => {
      if (options.whenOutput && !acted && options.whenOutput.pattern.test(stdout + stderr)) {
        acted = true;
        options.whenOutput.action();
      }
      if (options.signalAfter && !signalled && options.signalAfter.pattern.test(stdout + stderr)) {
        signalled = true;
        const { signal, delayMs } = options.signalAfter;
        if (delayMs) setTimeout(() => child.kill(signal), delayMs);
        else child.kill(signal);
      }
    };
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
      maybeSignal();
    });
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString();
      maybeSignal();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const events = stdout.split('\n').flatMap((line) => {
        try {
          return line.trim() ? [JSON.parse(line) as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      });
      resolve({ code, stdout, stderr, events });
    });
  });
}
