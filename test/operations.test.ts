// Operating exports against the vSphere simulator: snapshots, batches, --validate-only,
// vm info and profiles, through the built CLI as a user runs them.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/cli.ts';
import { useSimulatorCli } from './support/simulator-cli.ts';

const harness = useSimulatorCli(['-disk-mb', '8,4', '-running-disk-mb', '4'], 'hyperexport-ops-');
const { cli, outDir, snapshotsOf } = harness;

describe('snapshots', () => {
  it('exports a powered-on VM with --snapshot-before and leaves no snapshot behind', async () => {
    const out = outDir();
    const run = await cli(['export', '--vm', harness.onVm.path, '--snapshot-before', '--format', 'ovf', '--output', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const infos = run.events.filter((e) => e.type === 'info').map((e) => String(e.message));
    expect(infos.some((m) => /taking snapshot "hyperexport-DC0_H0_VM1-/.test(m))).toBe(true);
    expect(infos.some((m) => /removed snapshot "hyperexport-DC0_H0_VM1-/.test(m))).toBe(true);
    expect(await readdir(join(out, 'DC0_H0_VM1'))).toContain('DC0_H0_VM1-disk0.vmdk');
    expect(await snapshotsOf(harness.onVm)).toEqual([]);
  });

  it('removes the snapshot it took also when the download fails', async () => {
    // Every download is cut and the server ignores Range: the file restarts until it gives up.
    await harness.sim.setFaults({ stream: true, cutAfterBytes: 64 * 1024, cutEvery: true });
    const out = outDir();
    const run = await cli(['export', '--vm', harness.onVm.path, '--snapshot-before', '--output', out]);
    expect(run.code).toBe(1);
    expect(await snapshotsOf(harness.onVm)).toEqual([]);
    await expect(readdir(out)).resolves.toEqual([]);
  });

  it('exports from a named snapshot and keeps it; --keep-snapshot keeps the one it took', async () => {
    const kept = await cli([
      'export',
      '--vm',
      harness.onVm.path,
      '--snapshot-before',
      '--snapshot-name',
      'nightly-{vm}',
      '--snapshot-quiesce',
      '--keep-snapshot',
      '--output',
      outDir(),
      '--json',
    ]);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.events.some((e) => e.type === 'info' && /taking snapshot "nightly-DC0_H0_VM1" of DC0_H0_VM1, quiesced/.test(String(e.message)))).toBe(true);
    const [name] = await snapshotsOf(harness.onVm);
    expect(name).toBe('nightly-DC0_H0_VM1');
    const fromNamed = await cli(['export', '--vm', harness.onVm.path, '--snapshot', name!, '--output', outDir(), '--json']);
    expect(fromNamed.code, fromNamed.stderr).toBe(0);
    expect(await snapshotsOf(harness.onVm)).toEqual([name]);
  });

  it('the config can ask for a snapshot before every export, and the checks accept a running VM then', async () => {
    const config = join(harness.work, 'snapshot.config.mjs');
    await writeFile(
      config,
      `import snapshot from ${JSON.stringify(join(REPO_ROOT, 'plugins/snapshot/dist/index.js'))};\nexport default { plugins: [snapshot({ before: true, name: 'from-config' })] };\n`,
    );
    const run = await cli(['export', '--vm', harness.onVm.path, '--config', config, '--output', outDir(), '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.events.some((e) => e.type === 'info' && /taking snapshot "from-config"/.test(String(e.message)))).toBe(true);
    expect(await snapshotsOf(harness.onVm)).not.toContain('from-config');
  });

  it('a snapshot name that does not exist is a clear error', async () => {
    const run = await cli(['export', '--vm', harness.offVm.path, '--snapshot', 'no-such-snapshot', '--output', outDir()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('DC0_H0_VM0 has no snapshot named "no-such-snapshot"');
  });
});

describe('batch', () => {
  it('a batch of three VMs with one bad path exports the two good ones and exits 1', async () => {
    const out = outDir();
    const run = await cli([
      'export',
      '--vm',
      harness.offVm.path,
      '--vm',
      '/DC0/vm/no-such-vm',
      '--vm',
      harness.onVm.path,
      '--snapshot-before',
      '--format',
      'ovf',
      '--output',
      out,
      '--concurrency',
      '2',
    ]);
    expect(run.code).toBe(1);
    expect((await readdir(out)).sort()).toEqual(['DC0_H0_VM0', 'DC0_H0_VM0.ovf.hyperexport.json', 'DC0_H0_VM1', 'DC0_H0_VM1.ovf.hyperexport.json']);
    expect(run.stdout).toMatch(/\/DC0\/vm\/no-such-vm\s+failed/);
    expect(run.stdout).toContain('2 of 3 exported');
  });

  it('reads a batch file, reports a bad line by its number and runs the rest', async () => {
    const file = join(harness.work, 'vms.txt');
    await writeFile(file, `# production VMs\n${harness.offVm.path}\n\n--vm oops   # a flag by mistake\n`);
    const out = outDir();
    const run = await cli(['export', '--batch', file, '--output', out, '--json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${file}:4: "--vm oops" looks like a flag`);
    const summary = run.events.find((e) => e.type === 'summary')!;
    expect(summary).toMatchObject({ total: 1, succeeded: 1 });
    expect((await readdir(out)).sort()).toEqual(['DC0_H0_VM0.ova', 'DC0_H0_VM0.ova.hyperexport.json']);
  });

  it('names each export of a batch with a {vm} template, and refuses a name every VM would share, from a flag or a profile', async () => {
    const out = outDir();
    const named = await cli([
      'export',
      '--vm',
      harness.offVm.path,
      '--vm',
      harness.onVm.path,
      '--snapshot-before',
      '--format',
      'ovf',
      '--output',
      out,
      '--name',
      'nightly-{vm}',
      '--json',
    ]);
    expect(named.code, named.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual([
      'nightly-DC0_H0_VM0',
      'nightly-DC0_H0_VM0.ovf.hyperexport.json',
      'nightly-DC0_H0_VM1',
      'nightly-DC0_H0_VM1.ovf.hyperexport.json',
    ]);

    const shared = await cli(['export', '--vm', harness.offVm.path, '--vm', harness.onVm.path, '--output', outDir(), '--name', 'nightly-{date}']);
    expect(shared.code).toBe(2);
    expect(shared.stderr).toContain('the export name "nightly-{date}" would be the same for every VM of the batch');
    expect((await cli(['profiles', 'save', 'shared-name', '--name', 'nightly'])).code).toBe(0);
    const fromProfile = await cli(['export', '--vm', harness.offVm.path, '--vm', harness.onVm.path, '--output', outDir(), '--profile', 'shared-name']);
    expect(fromProfile.code).toBe(2);
    expect(fromProfile.stderr).toContain('the export name "nightly" would be the same for every VM of the batch');
    // A bad placeholder from a profile fails before anything starts, as one from --name does.
    expect((await cli(['profiles', 'save', 'bad-name', '--name', '{vm}-{host}'])).code).toBe(0);
    const bad = await cli(['export', '--vm', harness.offVm.path, '--output', outDir(), '--profile', 'bad-name', '--validate-only']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown placeholder {host} in the export name "{vm}-{host}"');
    for (const name of ['shared-name', 'bad-name']) expect((await cli(['profiles', 'delete', name])).code).toBe(0);
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
    const running = await cli(['export', '--vm', harness.onVm.path, '--output', outDir(), '--validate-only']);
    expect(running.code).toBe(1);
    expect(running.stdout).toMatch(/power-state: .*is powered on/);
    const ready = await cli(['export', '--vm', harness.offVm.path, '--output', outDir(), '--validate-only']);
    expect(ready.code, ready.stdout + ready.stderr).toBe(0);
    expect(ready.stdout).toContain('ready to export');
  });

  it('vm info shows power state, CPUs, memory, guest, disks and CBT', async () => {
    const run = await cli(['vm', 'info', '--vm', harness.offVm.path, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const info = run.events[0]!;
    expect(info).toMatchObject({ name: 'DC0_H0_VM0', powerState: 'poweredOff', changeTrackingEnabled: false });
    expect(info.cpus as number).toBeGreaterThan(0);
    expect(info.memoryMB as number).toBeGreaterThan(0);
    expect((info.disks as Array<{ capacityBytes: number }>).map((disk) => disk.capacityBytes)).toEqual(harness.offVm.disks.map((disk) => disk.capacity));
  });
});

describe('profiles', () => {
  it("a profile plus an overriding flag produces the flag's value", async () => {
    // development: OVF folders. --format ova on the command line wins.
    const asProfile = outDir();
    expect((await cli(['export', '--vm', harness.offVm.path, '--profile', 'development', '--output', asProfile])).code).toBe(0);
    expect((await readdir(asProfile)).sort()).toEqual(['DC0_H0_VM0', 'DC0_H0_VM0.ovf.hyperexport.json']);
    const overridden = outDir();
    expect((await cli(['export', '--vm', harness.offVm.path, '--profile', 'development', '--format', 'ova', '--output', overridden])).code).toBe(0);
    expect((await readdir(overridden)).sort()).toEqual(['DC0_H0_VM0.ova', 'DC0_H0_VM0.ova.hyperexport.json']);
  });

  it('a profile setting that no configured plugin handles is an error, not ignored', async () => {
    // A config that leaves the built-ins out and configures no compression plugin. It names
    // packages, which resolve next to the config: it lives inside the repository.
    await mkdir(join(REPO_ROOT, '.tmp'), { recursive: true });
    const configDirectory = await mkdtemp(join(REPO_ROOT, '.tmp', 'ops-config-'));
    const config = join(configDirectory, 'no-compress.config.json');
    await writeFile(config, JSON.stringify({ builtins: false, plugins: ['@hyperexport/source-vsphere', '@hyperexport/store-local'] }));
    const run = await cli(['export', '--vm', harness.offVm.path, '--profile', 'production-backup', '--output', outDir(), '--config', config]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/"compress" \(from --profile production-backup\).* no configured plugin handles/);
    await rm(configDirectory, { recursive: true, force: true });
  });

  it('production-backup writes a verified, zstd-compressed OVA that restore turns back into the VM', async () => {
    const out = outDir();
    const run = await cli(['export', '--vm', harness.offVm.path, '--profile', 'production-backup', '--output', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['DC0_H0_VM0.ova.hyperexport.json', 'DC0_H0_VM0.ova.zst']);
    const restored = outDir();
    const back = await cli(['restore', join(out, 'DC0_H0_VM0.ova.zst'), '--output', restored]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/manifest verified/);
    expect(await readdir(restored)).toEqual(['DC0_H0_VM0.ova']);
  });

  it('encrypted-backup needs a passphrase before any data moves, and encrypts with it', async () => {
    const refused = await cli(['export', '--vm', harness.offVm.path, '--profile', 'encrypted-backup', '--output', outDir()]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/passphrase/);
    expect(refused.stderr).toMatch(/HYPEREXPORT_PASSPHRASE/);
    const out = outDir();
    const withPassphrase = await cli(['export', '--vm', harness.offVm.path, '--profile', 'encrypted-backup', '--output', out], {
      env: { ...harness.env, HYPEREXPORT_PASSPHRASE: 'profile test passphrase' },
    });
    expect(withPassphrase.code, withPassphrase.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['DC0_H0_VM0.ova.hyperexport.json', 'DC0_H0_VM0.ova.zst.hxe']);
    const restored = outDir();
    const back = await cli(['restore', join(out, 'DC0_H0_VM0.ova.zst.hxe'), '--output', restored], {
      env: { ...harness.env, HYPEREXPORT_PASSPHRASE: 'profile test passphrase' },
    });
    expect(back.code, back.stderr).toBe(0);
  });

  it('cloud-backup streams to the --upload target with no local copy', async () => {
    const target = outDir();
    const run = await cli(['export', '--vm', harness.offVm.path, '--profile', 'cloud-backup', '--upload', `file://${target}`]);
    expect(run.code, run.stderr).toBe(0);
    expect((await readdir(target)).sort()).toEqual(['DC0_H0_VM0.ova.hyperexport.json', 'DC0_H0_VM0.ova.zst']);
  });
});
