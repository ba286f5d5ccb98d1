// Runs the CLI under a pseudo-terminal (util-linux `script`), and replays what it wrote the way a
// terminal shows it, to check what a user would see: bars redrawn in place, lines overwritten.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI_PATH } from './cli.ts';

const exec = promisify(execFile);

/** True when util-linux `script` is installed (tests that need a terminal say so when it is not). */
export async function hasScript(): Promise<boolean> {
  return exec('script', ['--version']).then(
    () => true,
    () => false,
  );
}

export interface TerminalRun {
  readonly code: number | null;
  /** Everything written to the terminal (stdout and stderr together), escapes included. */
  readonly raw: string;
}

/** Runs `hyperexport ARGS` with a terminal as stdin, stdout and stderr. */
export function runCliInTerminal(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<TerminalRun> {
  const command = [process.execPath, CLI_PATH, ...args].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    // -e: the command's exit code; -f: flush as it goes; -q: no "Script started" lines.
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env, FORCE_COLOR: '0', COLUMNS: '160', LINES: '50' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let raw = '';
    child.stdout.on('data', (data: Buffer) => {
      raw += data.toString();
    });
    child.stderr.on('data', (data: Buffer) => {
      raw += data.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, raw }));
  });
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The screen after `raw` was written to a terminal: lines as shown at the end. Handles what the
 * progress bars use (CR, LF, cursor up/down/column, erase line, erase below); other escapes
 * (cursor visibility, line wrapping) change nothing visible and are dropped.
 */
export function replayTerminal(raw: string): string[] {
  const lines: string[][] = [[]];
  let row = 0;
  let column = 0;
  const line = () => (lines[row] ??= []);
  for (let at = 0; at < raw.length; at++) {
    const char = raw[at]!;
    if (char === '\u001b') {
      const match = /^\u001b(?:\[([?\d;]*)([A-Za-z])|[78])/.exec(raw.slice(at, at + 16));
      if (!match) continue;
      at += match[0].length - 1;
      const count = Number(match[1] || '1') || 1;
      switch (match[2]) {
        case 'A':
          row = Math.max(0, row - count);
          break;
        case 'B':
          row += count;
          break;
        case 'G':
          column = count - 1;
          break;
        case 'K':
          line().length = Math.min(line().length, column);
          break;
        case 'J':
          line().length = Math.min(line().length, column);
          lines.length = row + 1;
          break;
        default:
          break;
      }
      continue;
    }
    if (char === '\r') column = 0;
    else if (char === '\n') {
      row += 1;
      column = 0;
    } else {
      const current = line();
      while (current.length < column) current.push(' ');
      current[column++] = char;
    }
  }
  return Array.from({ length: lines.length }, (_, index) => (lines[index] ?? []).join('').trimEnd());
}
