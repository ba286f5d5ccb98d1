// The built `hyperexport` with the validate plugin built in: an export passes its checks, and a
// second export to the same place is stopped by the pre-export check before any byte moves.
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

let work: string;
let vm: MadeVm;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-validate-cli-'));
  await chmod(work, 0o755);
  vm = await makeVmFolder(join(work, 'vms', 'web01'), 'web01', [4, 2]);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('hyperexport export with the built-in validate plugin', () => {
  it('is listed among the built-in plugins', async () => {
    const run = await runCli(['plugins', 'list'], { cwd: work });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^\s+validate\s+0\.1\.0\s+default\s+checks before an export/m);
  });

  it('an export passes the checks; the same export again without --overwrite fails the pre-export check', async () => {
    const out = join(work, 'out');
    // --name: the local source does not describe the VM before the export, so the pre-check
    // only knows the export's name when it is given.
    const first = await runCli(['export', '--source', vm.directory, '--output', out, '--name', 'web01', '--json'], { cwd: work });
    expect(first.code, first.stderr).toBe(0);
    const stages = first.events.filter((event) => event.type === 'stage:end').map((event) => event.stage);
    expect(stages).toEqual(expect.arrayContaining(['validate', 'postValidate', 'commit']));
    expect(first.events.at(-1)).toMatchObject({ type: 'result', status: 'succeeded', locations: [join(out, 'web01.ova')] });

    const second = await runCli(['export', '--source', vm.directory, '--output', out, '--name', 'web01'], { cwd: work });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('pre-export checks failed');
    expect(second.stderr).toContain(
      `[validate] existing-export: an export already exists at ${join(out, 'web01.ova')}: give --overwrite to replace it, or --name to write another`,
    );
    expect(second.stdout).not.toContain('writing');
    expect((await readdir(out)).sort()).toEqual(['web01.ova', 'web01.ova.hyperexport.json']);

    const replaced = await runCli(['export', '--source', vm.directory, '--output', out, '--name', 'web01', '--overwrite'], { cwd: work });
    expect(replaced.code, replaced.stderr).toBe(0);
  });

  it('an OVF folder export passes the post-export checks too', async () => {
    const out = join(work, 'out-ovf');
    const run = await runCli(['export', '--source', vm.directory, '--output', out, '--format', 'ovf', '--json'], { cwd: work });
    expect(run.code, run.stderr).toBe(0);
    const errors = run.events.filter((event) => event.type === 'stage:end' && event.error !== undefined);
    expect(errors).toEqual([]);
    expect((await readdir(join(out, 'web01'))).sort()).toEqual(['web01.mf', 'web01.ovf', 'web01.vmdk', 'web01_1.vmdk']);
  });
});
