// Operating exports against the vSphere simulator: snapshots, batches, --validate-only,
// vm info and profiles, through the built CLI as a user runs them.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from './support/cli.ts';
import { startVcsim } from './support/vcsim.ts';
import type { Vcsim, VcsimVm } from './support/vcsim.ts';

let sim: Vcsim;
let work: string;
let offVm: VcsimVm;
let onVm: VcsimVm;
let env: Record<string, string>;
let counter = 0;
const outDir = () => join(work, `out-${++counter}`);

beforeAll(async () => {
  sim = await startVcsim(['-disk-mb', '8,4', '-running-disk-mb', '4']);
  offVm = sim.vms.find((vm) => vm.powerState === 'poweredOff')!;
  onVm = sim.vms.find((vm) => vm.powerState === 'poweredOn')!;
  work = await mkdtemp(join(tmpdir(), 'hyperexport-ops-'));
  env = { ...sim.env, HYPEREXPORT_HISTORY: join(work, 'history.jsonl'), HYPEREXPORT_PROFILES_DIR: join(work, 'profiles') };
});

afterEach(async () => {
  await sim.resetFaults();
});

afterAll(async () => {
  await sim?.stop();
  await rm(work, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(args, { cwd: work, env });

async function snapshotsOf(vm: VcsimVm): Promise<string[]> {
  const info = await cli(['vm', 'info', '--vm', vm.path, '--json']);
  expect(info.code, info.stderr).toBe(0);
  return (info.events[0]!.snapshots as Array<{ path: string }>).map((snapshot) => snapshot.path);
}

describe('snapshots', () => {
  it('exports a powered-on VM with --snapshot-before and leaves no snapshot behind', async () => {
    const out = outDir();
    const run = await cli(['export', '--vm', onVm.path, '--snapshot-before', '--format', 'ovf', '--output', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const infos = run.events.filter((e) => e.type === 'info').map((e) => String(e.message));
    expect(infos.some((m) => /taking snapshot "hyperexport-DC0_H0_VM1-/.test(m))).toBe(true);
    expect(infos.some((m) => /removed snapshot "hyperexport-DC0_H0_VM1-/.test(m))).toBe(true);
    expect(await readdir(join(out, 'DC0_H0_VM1'))).toContain('DC0_H0_VM1-disk0.vmdk');
    expect(await snapshotsOf(onVm)).toEqual([]);
  });

  it('removes the snapshot it took also when the download fails', async () => {
    // Every download is cut and the server ignores Range: the file restarts until it gives up.
    await sim.setFaults({ stream: true, cutAfterBytes: 64 * 1024, cutEvery: true });
    const out = outDir();
    const run = await cli(['export', '--vm', onVm.path, '--snapshot-before', '--output', out]);
    expect(run.code).toBe(1);
    expect(await snapshotsOf(onVm)).toEqual([]);
    await expect(readdir(out)).resolves.toEqual([]);
  });

  it('exports from a named snapshot and keeps it; --keep-snapshot keeps the one it took', async () => {
    const kept = await cli(['export', '--vm', onVm.path, '--snapshot-before', '--snapshot-name', 'nightly-{vm}', '--snapshot-quiesce', '--keep-snapshot', '--output', outDir(), '--json']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.events.some((e) => e.type === 'info' && /taking snapshot "nightly-DC0_H0_VM1" of DC0_H0_VM1, quiesced/.test(String(e.message)))).toBe(true);
    const [name] = await snapshotsOf(onVm);
    expect(name).toBe('nightly-DC0_H0_VM1');
    const fromNamed = await cli(['export', '--vm', onVm.path, '--snapshot', name!, '--output', outDir(), '--json']);
    expect(fromNamed.code, fromNamed.stderr).toBe(0);
    expect(await snapshotsOf(onVm)).toEqual([name]);
  });

  it('the config can ask for a snapshot before every export, and the checks accept a running VM then', async () => {
    const config = join(work, 'snapshot.config.mjs');
    await writeFile(config, `import snapshot from ${JSON.stringify(join(REPO_ROOT, 'plugins/snapshot/dist/index.js'))};\nexport default { plugins: [snapshot({ before: true, name: 'from-config' })] };\n`);
    const run = await cli(['export', '--vm', onVm.path, '--config', config, '--output', outDir(), '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.events.some((e) => e.type === 'info' && /taking snapshot "from-config"/.test(String(e.message)))).toBe(true);
    expect(await snapshotsOf(onVm)).not.toContain('from-config');
  });

  it('a snapshot name that does not exist is a clear error', async () => {
    const run = await cli(['export', '--vm', offVm.path, '--snapshot', 'no-such-snapshot', '--output', outDir()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('DC0_H0_VM0 has no snapshot named "no-such-snapshot"');
  });
});

describe('batch', () => {
  it('a batch of three VMs with one bad path exports the two good ones and exits 1', async () => {
    const out = outDir();
    const run = await cli(['export', '--vm', offVm.path, '--vm', '/DC0/vm/no-such-vm', '--vm', onVm.path, '--snapshot-before', '--format', 'ovf', '--output', out, '--concurrency', '2']);
    expect(run.code).toBe(1);
    expect((await readdir(out)).sort()).toEqual(['DC0_H0_VM0', 'DC0_H0_VM1']);
    expect(run.stdout).toMatch(/\/DC0\/vm\/no-such-vm\s+failed/);
    expect(run.stdout).toContain('2 of 3 exported');
  });

  it('reads a batch file, reports a bad line by its number and runs the rest', async () => {
    const file = join(work, 'vms.txt');
    await writeFile(file, `# production VMs\n${offVm.path}\n\n--vm oops   # a flag by mistake\n`);
    const out = outDir();
    const run = await cli(['export', '--batch', file, '--output', out, '--json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${file}:4: "--vm oops" looks like a flag`);
    const summary = run.events.find((e) => e.type === 'summary')!;
    expect(summary).toMatchObject({ total: 1, succeeded: 1 });
    expect(await readdir(out)).toEqual(['DC0_H0_VM0.ova']);
  });

  it('--folder with --filter selects VMs by name', async () => {
    const out = outDir();
    const run = await cli(['export', '--folder', '/DC0/vm', '--filter', 'H0_VM0$', '--output', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.events.find((e) => e.type === 'summary')).toMatchObject({ total: 1, succeeded: 1 });
  });
});

describe('--validate-only and vm info', () => {
  it('reports the power-state problem of a running VM without a snapshot option and exits 1; a ready VM exits 0', async () => {
    const running = await cli(['export', '--vm', onVm.path, '--output', outDir(), '--validate-only']);
    expect(running.code).toBe(1);
    expect(running.stdout).toMatch(/power-state: .*is powered on/);
    const ready = await cli(['export', '--vm', offVm.path, '--output', outDir(), '--validate-only']);
    expect(ready.code, ready.stdout + ready.stderr).toBe(0);
    expect(ready.stdout).toContain('ready to export');
  });

  it('vm info shows power state, CPUs, memory, guest, disks and CBT', async () => {
    const run = await cli(['vm', 'info', '--vm', offVm.path, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const info = run.events[0]!;
    expect(info).toMatchObject({ name: 'DC0_H0_VM0', powerState: 'poweredOff', changeTrackingEnabled: false });
    expect(info.cpus as number).toBeGreaterThan(0);
    expect(info.memoryMB as number).toBeGreaterThan(0);
    expect((info.disks as Array<{ capacityBytes: number }>).map((disk) => disk.capacityBytes)).toEqual(offVm.disks.map((disk) => disk.capacity));
  });
});

describe('profiles', () => {
  it('a profile plus an overriding flag produces the flag\'s value', async () => {
    // development: OVF folders. --format ova on the command line wins.
    const asProfile = outDir();
    expect((await cli(['export', '--vm', offVm.path, '--profile', 'development', '--output', asProfile])).code).toBe(0);
    expect(await readdir(asProfile)).toEqual(['DC0_H0_VM0']);
    const overridden = outDir();
    expect((await cli(['export', '--vm', offVm.path, '--profile', 'development', '--format', 'ova', '--output', overridden])).code).toBe(0);
    expect(await readdir(overridden)).toEqual(['DC0_H0_VM0.ova']);
  });

  it('a profile setting that no configured plugin handles is an error, not ignored', async () => {
    const run = await cli(['export', '--vm', offVm.path, '--profile', 'encrypted-backup', '--output', outDir()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/"encrypt" \(from --profile encrypted-backup\).* no configured plugin handles/);
  });
});
