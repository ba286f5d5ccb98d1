// Help as a user reads it: named option values instead of clipanion's `#0`, and colour codes only
// for a terminal that wants them (not in a pipe, not with NO_COLOR).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PLUGINS } from '@hyperexport/cli';
import { createCli, renderMarkdown } from '@hyperexport/core/cli';
import { CLI_PATH, runCli } from './support/cli.ts';
import { runInProcess } from './support/cli-in-process.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-help-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const ESCAPE = '\u001b[';

/** Runs the CLI with exactly `env` on top of PATH/HOME (runCli pins FORCE_COLOR=0, which this test must not). */
function runRaw(args: string[], env: NodeJS.ProcessEnv, viaTerminal: boolean): Promise<{ code: number | null; out: string }> {
  const base = { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color', ...env };
  const [command, argv] = viaTerminal
    ? ['script', ['-qfec', [process.execPath, CLI_PATH, ...args].join(' '), '/dev/null']]
    : [process.execPath, [CLI_PATH, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv as string[], { cwd: work, env: base, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (data: Buffer) => (out += data.toString()));
    child.stderr.on('data', (data: Buffer) => (out += data.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out }));
  });
}

describe('option values are named in help', () => {
  it('shows --output,-o DIR and --config,-c FILE, never #0', async () => {
    const run = await runCli(['export', '-h'], { cwd: work });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ {2}--output,-o DIR {2,}Directory to write the export to$/m);
    expect(run.stdout).toMatch(/^ {2}--config,-c FILE {2,}Path of the config file/m);
    expect(run.stdout).not.toContain('#0');
    // The list of commands holds one short line per command: its path and positionals.
    const overview = await runCli(['-h'], { cwd: work });
    expect(overview.stdout).toMatch(/^ {2}hyperexport export\n {4}export a VM/m);
    expect(overview.stdout).toMatch(/^ {2}hyperexport restore <PATH>$/m);
    expect(overview.stdout).not.toContain('#0');
  });

  it('names the value of every option of every command (none is left as VALUE)', async () => {
    const reference = renderMarkdown(await createCli({ defaultPlugins: DEFAULT_PLUGINS }));
    const unnamed = reference.split('\n').filter((line) => /\bVALUE\b|#0/.test(line));
    expect(unnamed).toEqual([]);
    for (const [args, expected] of [
      [['remote', 'get', '-h'], '--output,-o DIR'],
      [['remote', 'get', '-h'], 'remote get <URL>'],
      [['retention', 'apply', '-h'], '--keep-last N '],
      [['restore', '-h'], '<PATH>'],
      [['export', '-h'], '--keep-local[=BOOL]'],
      [['history', '-h'], '--since DATE '],
    ] as const) {
      expect((await runInProcess(args)).stdout).toContain(expected);
    }
  });
});

describe('--json says what each command prints', () => {
  const jsonHelp = async (args: string[]) => (await runInProcess([...args, '-h'])).stdout.split('\n').find((line) => line.trim().startsWith('--json'));

  it('promises NDJSON events only where they come, one object where one comes, and keeps it', async () => {
    expect(await jsonHelp(['export'])).toContain('progress events, then a final result object');
    expect(await jsonHelp(['vms'])).toContain('one JSON object per VM');
    for (const command of [
      ['profiles', 'list'],
      ['plugins', 'list'],
      ['history', 'clear'],
    ]) {
      expect(await jsonHelp(command), command.join(' ')).toContain('Print the result as one JSON object on stdout');
    }
    // Kept: these print exactly one JSON object (history clear printed a sentence before).
    const env = { HYPEREXPORT_HISTORY: join(work, 'history.jsonl'), HYPEREXPORT_PROFILES_DIR: join(work, 'profiles') };
    for (const args of [
      ['profiles', 'list', '--json'],
      ['plugins', 'list', '--json'],
      ['history', 'clear', '--yes', '--json'],
    ]) {
      const run = await runCli(args, { cwd: work, env });
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout.trim().split('\n');
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toBeTypeOf('object');
    }
  });
});

describe('colour codes only for a terminal', () => {
  it('writes none into a pipe', async () => {
    const run = await runRaw(['export', '-h'], {}, false);
    expect(run.out).toContain('--output,-o DIR');
    expect(run.out).not.toContain(ESCAPE);
  });

  it('colours a terminal, but not with NO_COLOR set', async () => {
    const coloured = await runRaw(['export', '-h'], {}, true);
    expect(coloured.out).toContain(ESCAPE);
    const plain = await runRaw(['export', '-h'], { NO_COLOR: '1' }, true);
    expect(plain.out).toContain('--output,-o DIR');
    expect(plain.out).not.toContain(ESCAPE);
  });
});
