// Cancelling an export at its awkward moments leaves nothing behind on the vSphere side or on
// disk: Ctrl-C while the snapshot is being taken or the export lease opened, a reader that
// closes stdout mid-export, and a crash followed by a rerun. Against the simulator (test/vcsim),
// through the built CLI; the harness makes the snapshot task and ExportVm take time so that the
// cancel lands inside those windows, as it does on a real vCenter.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CLI_PATH } from './support/cli.ts';
import { useSimulatorCli } from './support/simulator-cli.ts';

const harness = useSimulatorCli(['-disk-mb', '8,4', '-running-disk-mb', '8'], 'hyperexport-cancel-');
const { cli, outDir, snapshotsOf } = harness;

/** Leases made after `since` (an index into the harness's list) that were neither completed nor aborted. */
async function leasesLeftOpen(since: number): Promise<Array<Record<string, unknown>>> {
  return (await harness.sim.leases()).slice(since).filter((lease) => lease.outcome !== 'completed' && lease.outcome !== 'aborted');
}

const STACK_FRAME = /^\s+at .+[(:]\d+/m;

/**
 * Runs the CLI with stdout a pipe whose reading end is closed as a reader like `grep -m1 -q`
 * or `true` does: at once, or after the first line matching `closeAfter`.
 */
function runWithStdoutClosed(args: readonly string[], closeAfter?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: harness.work,
      env: { ...process.env, ...harness.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    if (!closeAfter) child.stdout.destroy();
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
      if (closeAfter?.test(stdout)) child.stdout.destroy();
    });
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('cancel and cleanup', () => {
  it('Ctrl-C while the snapshot is being taken: the snapshot is removed once its task ends', async () => {
    // The SIGINT must land inside the task: 5 s of slack after it, for a loaded machine.
    const taskMs = 6000;
    await harness.sim.setFaults({ snapshotTaskMs: taskMs });
    let takingAt = 0;
    const out = outDir();
    const run = await cli(['export', '--vm', harness.onVm.path, '--snapshot-before', '--format', 'ovf', '--output', out, '--json'], {
      whenOutput: { pattern: /taking snapshot \\"hyperexport-DC0_H0_VM1-/, action: () => (takingAt = Date.now()) },
      // Inside the task's 6 s: the call has answered, the snapshot does not exist yet.
      signalAfter: { pattern: /taking snapshot \\"hyperexport-DC0_H0_VM1-/, signal: 'SIGINT', delayMs: 1000 },
    });
    expect(run.code, run.stdout + run.stderr).toBe(130);
    expect(run.events.at(-1)).toMatchObject({ type: 'result', status: 'cancelled' });
    // Whatever the CLI did, the simulator's task has ended by now: had it left the snapshot, it would be there.
    await sleep(Math.max(0, takingAt + taskMs + 500 - Date.now()));
    expect(await snapshotsOf(harness.onVm)).toEqual([]);
    const infos = run.events.filter((e) => e.type === 'info').map((e) => String(e.message));
    expect(
      infos.some((m) => /waiting for snapshot "hyperexport-DC0_H0_VM1-[^"]+" to be made, to remove it/.test(m)),
      infos.join('\n'),
    ).toBe(true);
    expect(
      infos.some((m) => /removed snapshot "hyperexport-DC0_H0_VM1-/.test(m)),
      infos.join('\n'),
    ).toBe(true);
  });

  it('Ctrl-C while the export lease is being opened: the lease is aborted once the server made it', async () => {
    // The SIGINT must land inside the delay: 4 s of slack after it, for a loaded machine.
    const delayMs = 5000;
    await harness.sim.setFaults({ exportDelayMs: delayMs });
    const leasesBefore = (await harness.sim.leases()).length;
    let askedAt = 0;
    const out = outDir();
    const run = await cli(['export', '--vm', harness.offVm.path, '--format', 'ovf', '--output', out, '--json'], {
      whenOutput: { pattern: /exporting \/DC0\/vm\/DC0_H0_VM0/, action: () => (askedAt = Date.now()) },
      // Inside ExportVm: the server has the call, the client does not know the lease yet.
      signalAfter: { pattern: /exporting \/DC0\/vm\/DC0_H0_VM0/, signal: 'SIGINT', delayMs: 800 },
    });
    expect(run.code, run.stdout + run.stderr).toBe(130);
    expect(run.events.at(-1)).toMatchObject({ type: 'result', status: 'cancelled' });
    // By now the server has made the lease whatever the CLI did.
    await sleep(Math.max(0, askedAt + delayMs + 500 - Date.now()));
    const made = (await harness.sim.leases()).slice(leasesBefore);
    expect(made).toHaveLength(1);
    expect(await leasesLeftOpen(leasesBefore)).toEqual([]);
    expect(made[0]).toMatchObject({ outcome: 'aborted', bytesServed: 0 });
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });

  it('SIGTERM during the disk download: exit 143, the lease aborted, and the cancellation said once, without the hook it landed in', async () => {
    await harness.sim.setFaults({ rateBytesPerSec: 1024 * 1024 });
    const leasesBefore = (await harness.sim.leases()).length;
    const out = outDir();
    const run = await cli(['export', '--vm', harness.offVm.path, '--format', 'ovf', '--output', out], {
      signalAfter: { pattern: /exporting \/DC0\/vm\/DC0_H0_VM0/, signal: 'SIGTERM', delayMs: 1500 },
    });
    expect(run.code, run.stderr).toBe(143);
    expect(run.stderr).toContain('error: DC0_H0_VM0: export cancelled: interrupted by SIGTERM\n');
    expect(run.stderr.match(/cancelled/g), run.stderr).toHaveLength(1);
    expect(run.stderr).not.toContain('[source-vsphere]');
    expect(await leasesLeftOpen(leasesBefore)).toEqual([]);
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });

  it('a VM that does not exist: the failure is said once, with the plugin and step that found it', async () => {
    const run = await cli(['export', '--vm', '/DC0/vm/NO_SUCH_VM', '--output', outDir()]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/^error: export failed: \[source-vsphere\] inspect: no VM at inventory path \/DC0\/vm\/NO_SUCH_VM\n/);
  });

  it('a reader that closes stdout mid-export (--json | grep -m1 -q file:progress) cancels it: cleaned up, exit 1, no stack trace', async () => {
    await harness.sim.setFaults({ rateBytesPerSec: 1024 * 1024 });
    const leasesBefore = (await harness.sim.leases()).length;
    const out = outDir();
    const run = await runWithStdoutClosed(
      ['export', '--vm', harness.onVm.path, '--snapshot-before', '--format', 'ova', '--output', out, '--json'],
      /"type":"file:progress"/,
    );
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.stderr).toMatch(/standard output was closed.*cancelling/);
    expect(await snapshotsOf(harness.onVm)).toEqual([]);
    expect(await leasesLeftOpen(leasesBefore)).toEqual([]);
    expect((await harness.sim.leases()).slice(leasesBefore)).toMatchObject([{ outcome: 'aborted' }]);
    // No staging folder, no spooled disk.
    expect(await readdir(out)).toEqual([]);
  });

  it('without --json, a closed stdout (| true) prints no stack trace; the export it finished stands', async () => {
    const out = outDir();
    const run = await runWithStdoutClosed(['export', '--vm', harness.offVm.path, '--format', 'ovf', '--output', out]);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.stderr).not.toMatch(/EPIPE/);
    expect(run.code, run.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['DC0_H0_VM0', 'DC0_H0_VM0.ovf.hyperexport.json']);
  });

  it('a crash with --snapshot-before, then the same command again: the checkpoint names the snapshot, the rerun removes it', async () => {
    await harness.sim.setFaults({ rateBytesPerSec: 1024 * 1024 });
    const out = outDir();
    const args = ['export', '--vm', harness.onVm.path, '--snapshot-before', '--format', 'ovf', '--output', out, '--json'];
    // Killed mid-download: no cleanup at all runs.
    const crashed = await cli(args, { signalAfter: { pattern: /"type":"file:progress"/, signal: 'SIGKILL' } });
    expect(crashed.code).toBe(null);
    const taking = crashed.events.find((e) => e.type === 'info' && /^taking snapshot/.test(String(e.message)));
    const taken = /^taking snapshot "([^"]+)"/.exec(String(taking?.message))?.[1];
    expect(taken).toMatch(/^hyperexport-DC0_H0_VM1-/);
    expect(await snapshotsOf(harness.onVm)).toEqual([taken]);
    const staging = await readdir(out);
    expect(staging).toEqual([expect.stringMatching(/^\.hyperexport-[0-9a-f]{16}-[0-9a-f]{16}\.partial$/)]);
    const checkpoint = JSON.parse(await readFile(join(out, staging[0]!, 'checkpoint.json'), 'utf8')) as { snapshot?: Record<string, unknown> };
    expect(checkpoint.snapshot).toMatchObject({ name: taken, id: expect.stringMatching(/\S/), created: true, provider: 'snapshot' });
    await harness.sim.resetFaults();

    const rerun = await cli(args);
    expect(rerun.code, rerun.stderr).toBe(0);
    const infos = rerun.events.filter((e) => e.type === 'info').map((e) => String(e.message));
    expect(infos, infos.join('\n')).toContain(`the interrupted run of this export took snapshot "${taken}": removing it`);
    expect(infos).toContain(`removed snapshot "${taken}"`);
    // Its own snapshot is gone too: none is left.
    expect(await snapshotsOf(harness.onVm)).toEqual([]);
    // The rerun took another snapshot yet is the same job: it used the crashed run's staging folder, and removed it.
    expect((await readdir(out)).sort()).toEqual(['DC0_H0_VM1', 'DC0_H0_VM1.ovf.hyperexport.json']);
  });
});
