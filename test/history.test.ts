// End to end: the built CLI records exports in the history (HYPEREXPORT_HISTORY points into a
// temporary folder), and `history`, `report` and `history clear` read and manage it.
import { appendFile, chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from './support/cli.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

let work: string;
let vm: MadeVm;
let historyPath: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-history-'));
  await chmod(work, 0o755);
  vm = await makeVmFolder(join(work, 'vms', 'web01'), 'web01', [4]);
  historyPath = join(work, 'state', 'history.jsonl');
  env = { HYPEREXPORT_HISTORY: historyPath };
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const cli = (args: string[], cwd = work) => runCli(args, { cwd, env });

describe('export history', () => {
  it('records a successful and a failed export, and `history --json` shows both', async () => {
    const ok = await cli(['export', '--source', vm.directory, '--output', join(work, 'out')]);
    expect(ok.code, ok.stderr).toBe(0);
    const failed = await cli(['export', '--source', join(work, 'vms', 'missing'), '--output', join(work, 'out')]);
    expect(failed.code).toBe(1);

    expect((await stat(join(work, 'state'))).mode & 0o777).toBe(0o700);
    expect((await stat(historyPath)).mode & 0o777).toBe(0o600);

    const shown = await cli(['history', '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stderr).toBe('');
    expect(shown.events.map((entry) => [entry.vm, entry.status])).toEqual([
      ['web01', 'succeeded'],
      ['missing', 'failed'],
    ]);
    const [succeeded, failure] = shown.events;
    expect(succeeded).toMatchObject({ version: 1, format: 'ova', locations: [join(work, 'out', 'web01.ova')], warnings: expect.any(Number) as number });
    expect(succeeded!.bytesStored as number).toBeGreaterThan(0);
    expect(failure).toMatchObject({ bytesStored: 0, files: [], error: { plugin: 'source-local' } });
    expect((failure!.error as { message: string }).message).toContain('source not found');
  });

  it('shows a table and filters by status, VM and time', async () => {
    const table = await cli(['history']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^TIME\s+VM\s+STATUS\s+SIZE\s+DURATION\s+THROUGHPUT/);
    expect(table.stdout).toMatch(/web01\s+succeeded\s+[\d.]+ [KM]iB/);
    expect((await cli(['history', '--json', '--status', 'failed'])).events.map((entry) => entry.vm)).toEqual(['missing']);
    expect((await cli(['history', '--json', '--vm', 'WEB'])).events.map((entry) => entry.vm)).toEqual(['web01']);
    expect((await cli(['history', '--json', '--vm', '=web0'])).events).toEqual([]);
    expect((await cli(['history', '--json', '--since', '1h'])).events).toHaveLength(2);
    expect((await cli(['history', '--json', '--until', '2000-01-01'])).events).toEqual([]);
    expect((await cli(['history', '--json', '--last', '1'])).events.map((entry) => entry.vm)).toEqual(['missing']);
  });

  it('refuses bad filter values with exit code 2', async () => {
    const badDate = await cli(['history', '--since', 'last tuesday']);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain('--since');
    expect((await cli(['history', '--status', 'exploded'])).code).toBe(2);
    expect((await cli(['report', '--format', 'pdf'])).code).toBe(2);
  });

  it('writes a Markdown report with a success rate of 50%, and JSON by extension', async () => {
    const markdown = join(work, 'r.md');
    const run = await cli(['report', '--output', markdown]);
    expect(run.code, run.stderr).toBe(0);
    const text = await readFile(markdown, 'utf8');
    expect(text).toMatch(/^# HyperExport report/);
    expect(text).toContain('| Success rate | 50% (1 of 2) |');
    expect(text).toMatch(/\| web01 \| 1 \| 1 \| 0 \| succeeded \|/);
    expect(text).toMatch(/\| missing \| 1 \| 0 \| 1 \| failed \| never \|/);

    const json = join(work, 'r.json');
    expect((await cli(['report', '--output', json])).code).toBe(0);
    expect(JSON.parse(await readFile(json, 'utf8'))).toMatchObject({ exports: 2, succeeded: 1, failed: 1, successRate: 0.5 });

    const stdout = await cli(['report', '--vm', 'web01']);
    expect(stdout.stdout).toMatch(/Success rate:\s+100% \(1 of 1\)/);
  });

  it('skips a corrupt line with a warning, and keeps every valid entry', async () => {
    await appendFile(historyPath, '{"version":1,"id":"torn","vm":"x"\n');
    const shown = await cli(['history', '--json']);
    expect(shown.code).toBe(0);
    expect(shown.stderr).toMatch(/warning: .*skipped 1 corrupt line \(line 3\)/);
    expect(shown.events.map((entry) => entry.vm)).toEqual(['web01', 'missing']);
    const report = await cli(['report']);
    expect(report.stderr).toContain('skipped 1 corrupt line');
    expect(report.stdout).toMatch(/Success rate:\s+50%/);

    // The next export appends after it without losing anything.
    await cli(['export', '--source', join(work, 'vms', 'missing2'), '--output', join(work, 'out')]);
    expect((await cli(['history', '--json'])).events.map((entry) => entry.vm)).toEqual(['web01', 'missing', 'missing2']);
  });

  it('`history clear` refuses without a terminal or --yes (exit 2), and empties the history with --yes', async () => {
    const refused = await cli(['history', 'clear']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect((await cli(['history', '--json'])).events).toHaveLength(3);

    const cleared = await cli(['history', 'clear', '--yes']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout).toContain('deleted 3 entries');
    expect(await readFile(historyPath, 'utf8')).toBe('');
    const empty = await cli(['history']);
    expect(empty.stdout).toContain('the history is empty');
  });

  it('uses the path the config gives the history plugin, for exports and for the commands', async () => {
    const project = join(work, 'project');
    await rm(project, { recursive: true, force: true });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(project);
    const pluginUrl = pathToFileURL(join(REPO_ROOT, 'plugins', 'history', 'dist', 'index.js')).href;
    await writeFile(
      join(project, 'hyperexport.config.mjs'),
      `import history from ${JSON.stringify(pluginUrl)};\nexport default { plugins: [history({ path: './configured.jsonl', keep: 5 })] };\n`,
    );
    const run = await cli(['export', '--source', vm.directory, '--output', join(project, 'out')], project);
    expect(run.code, run.stderr).toBe(0);
    expect((await readFile(join(project, 'configured.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(1);
    expect((await cli(['history', '--json'], project)).events.map((entry) => entry.vm)).toEqual(['web01']);
    // --history reads another file.
    expect((await cli(['history', '--json', '--history', historyPath], project)).events).toEqual([]);
  });
});
