// Finding a command: a typo gets one suggestion and exit code 2 (not every usage line), a bare
// group lists its commands (exit 0), `help [COMMAND...]` prints the same pages as -h, and nothing
// is listed twice.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';
import { runInProcess } from './support/cli-in-process.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-commands-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('a mistyped command', () => {
  it('names the closest command and exits 2, from the installed program too', async () => {
    const run = await runCli(['exprot', '--vm', 'x'], { cwd: work });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('error: unknown command "exprot"; did you mean `hyperexport export`?\nhint: run `hyperexport help` for the list of commands\n');
  });

  it.each([
    [['remote', 'sl', 's3://b/x'], 'unknown command "remote sl"; did you mean `hyperexport remote ls`?'],
    [['history', 'clerr'], 'unknown command "history clerr"; did you mean `hyperexport history clear`?'],
    [['retention', 'aply'], 'unknown command "retention aply"; did you mean `hyperexport retention apply`?'],
    [['prfiles', 'list'], 'unknown command "prfiles"; did you mean `hyperexport profiles`?'],
  ])('%j', async (args, message) => {
    const run = await runInProcess(args);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(`error: ${message}`);
  });

  it('suggests nothing when no command is close, and lists no usage lines', async () => {
    const run = await runInProcess(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: unknown command "frobnicate"\nhint: run `hyperexport help` for the list of commands\n');
  });

  it('an unknown option of a known command names the command once, never every usage, never #0', async () => {
    const bogus = await runInProcess(['export', '--bogus']);
    expect(bogus.code).toBe(2);
    // The command once, then the hint that a plugin's flag exists only with its plugin configured.
    expect(bogus.stderr).toMatch(
      /^error: export: unsupported option name \("--bogus"\)\nhint: run `hyperexport help export` for its options\nhint: no command flag and no setting of a loaded plugin is --bogus \(config: [^\n]+\); a plugin's flags exist only when it is configured: see `hyperexport plugins list`\n$/,
    );
    const invalid = await runInProcess(['history', '--last', 'many']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toBe(
      'error: history: Invalid value for --last: expected a number (got "many")\nhint: run `hyperexport help history` for its options\n',
    );
    const missing = await runInProcess(['restore', 'web01.ova']);
    expect(missing.stderr).toContain('error: restore: missing --output,-o DIR');
    const topLevel = await runInProcess(['--bogus']);
    expect(topLevel.code).toBe(2);
    // The error, its hint, and the hint that a plugin's flag exists only with its plugin configured.
    expect(topLevel.stderr.split('\n').filter(Boolean)).toHaveLength(3);
    expect(topLevel.stderr).toMatch(/\nhint: no command flag and no setting of a loaded plugin is --bogus /);
    expect(topLevel.stderr).not.toContain('#0');
  });
});

describe('a bare group lists its commands', () => {
  it.each([
    ['remote', ['remote get <URL>', 'remote ls <URL>', 'remote rm <URL>']],
    ['vm', ['vm info']],
    ['retention', ['retention apply']],
  ])('%s', async (group, members) => {
    const run = await runInProcess([group]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).not.toContain('While running');
    expect(run.stdout.split('\n')[0]).toBe(`hyperexport ${group}: a group of commands`);
    for (const member of members) expect(run.stdout).toMatch(new RegExp(`^  hyperexport ${member} +\\S`, 'm'));
  });
});

describe('hyperexport help [COMMAND...]', () => {
  it('prints the list of commands, a command page, or a group listing; an unknown topic exits 2', async () => {
    const overview = await runInProcess(['help']);
    expect(overview.code).toBe(0);
    expect(overview.stdout).toBe((await runInProcess(['-h'])).stdout);
    expect(overview.stdout).toContain('hyperexport help ...');

    const exportPage = await runInProcess(['help', 'export']);
    expect(exportPage.code).toBe(0);
    expect(exportPage.stdout).toBe((await runInProcess(['export', '-h'])).stdout);
    expect(exportPage.stdout).toContain('--output,-o DIR');

    const nested = await runInProcess(['help', 'remote', 'ls']);
    expect(nested.stdout).toContain('$ hyperexport remote ls <URL>');

    expect((await runInProcess(['help', 'remote'])).stdout).toBe((await runInProcess(['remote'])).stdout);

    const unknown = await runInProcess(['help', 'exprot']);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain('did you mean `hyperexport export`?');
  });
});

describe('nothing is listed twice', () => {
  it('in the list of commands, nor in the error of an unknown top-level option', async () => {
    for (const args of [['-h'], ['help'], ['-X']]) {
      const run = await runInProcess(args);
      const lines = `${run.stdout}${run.stderr}`.split('\n').filter((line) => line.trim().startsWith('hyperexport ') || line.startsWith('$ '));
      expect(lines.length, args.join(' ')).toBe(new Set(lines).size);
    }
  });
});
