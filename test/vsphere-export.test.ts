// Exports from VMware's own simulator (test/vcsim), through the built CLI, exactly as a user
// runs them: GOVC_* in the environment, no config file.
import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';
import { GpgHome } from './support/gpg.ts';
import { startVcsim } from './support/vcsim.ts';
import type { Vcsim, VcsimVm } from './support/vcsim.ts';

const exec = promisify(execFile);
const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

let sim: Vcsim;
let work: string;
let offVm: VcsimVm;
let onVm: VcsimVm;
let counter = 0;
const outDir = () => join(work, `out-${++counter}`);

beforeAll(async () => {
  sim = await startVcsim(['-disk-mb', '16,8']);
  offVm = sim.vms.find((vm) => vm.powerState === 'poweredOff')!;
  onVm = sim.vms.find((vm) => vm.powerState === 'poweredOn')!;
  work = await mkdtemp(join(tmpdir(), 'hyperexport-vsphere-'));
});

afterEach(async () => {
  await sim.resetFaults();
});

afterAll(async () => {
  await sim?.stop();
  await rm(work, { recursive: true, force: true });
});

const exportVm = (args: string[], env: Record<string, string> = sim.env, extra: Parameters<typeof runCli>[1] extends infer O ? Partial<O> : never = {}) =>
  runCli(['export', '--vm', offVm.path, ...args], { cwd: work, env, ...extra });

/** The disks of an OVF folder or extracted OVA are byte-identical to what the simulator served. */
async function expectServedDisks(folder: string, vmName: string): Promise<void> {
  for (const [index, disk] of offVm.disks.entries()) {
    const path = join(folder, `${vmName}-disk${index}.vmdk`);
    expect(await sha256(path)).toBe(disk.sha256);
    await exec('qemu-img', ['check', path]);
  }
}

async function expectManifestVerifies(folder: string, manifestName: string): Promise<void> {
  const lines = (await readFile(join(folder, manifestName), 'utf8')).trim().split('\n');
  expect(lines.length).toBe(offVm.disks.length + 1);
  for (const line of lines) {
    const [, name, hex] = /^SHA256\((.+)\)= ([0-9a-f]{64})$/.exec(line)!;
    expect(await sha256(join(folder, name!))).toBe(hex);
  }
}

const lastLease = async () => (await sim.leases()).at(-1)!;
/** The local store's staging folder, named by the job (docs/checkpoint.md). */
const STAGING_FOLDER = /^\.hyperexport-[0-9a-f]{16}-[0-9a-f]{16}\.partial$/;
/** Kills the export (no cleanup at all) right after the small disk is done. */
const KILL_AFTER_SMALL_DISK = { signalAfter: { pattern: /"type":"(?:file:end|info)"[^\n]*DC0_H0_VM0-disk1\.vmdk/, signal: 'SIGKILL' as const } };

describe('export from vSphere', () => {
  it('exports an OVA: descriptor, manifest, then the disks in References order, byte-identical', async () => {
    const out = outDir();
    const run = await exportVm(['--format', 'ova', '--output', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const name = 'DC0_H0_VM0';
    const result = run.events.at(-1)!;
    expect(result).toMatchObject({ type: 'result', status: 'succeeded', vmName: name, locations: [join(out, `${name}.ova`)] });
    const [file] = result.files as Array<{ name: string; size: number; sha256: string }>;
    expect(file!.sha256).toBe(await sha256(join(out, `${name}.ova`)));

    const { stdout } = await exec('tar', ['-tf', join(out, `${name}.ova`)]);
    expect(stdout.trim().split('\n')).toEqual([`${name}.ovf`, `${name}.mf`, `${name}-disk0.vmdk`, `${name}-disk1.vmdk`]);
    const extracted = join(out, 'x');
    await mkdir(extracted);
    await exec('tar', ['-xf', join(out, `${name}.ova`), '-C', extracted]);
    await expectServedDisks(extracted, name);
    await expectManifestVerifies(extracted, `${name}.mf`);
    const ovf = await readFile(join(extracted, `${name}.ovf`), 'utf8');
    expect(ovf.indexOf(`ovf:href="${name}-disk0.vmdk"`)).toBeLessThan(ovf.indexOf(`ovf:href="${name}-disk1.vmdk"`));
    expect(ovf).toContain(`ovf:size="${offVm.disks[0]!.size}"`);
    const lease = await lastLease();
    expect(lease).toMatchObject({ outcome: 'completed' });
  });

  it('exports an OVF folder to DIR/NAME/ with a manifest that verifies', async () => {
    const out = outDir();
    const run = await exportVm(['--format', 'ovf', '--output', out]);
    expect(run.code, run.stderr).toBe(0);
    const folder = join(out, 'DC0_H0_VM0');
    expect((await readdir(folder)).sort()).toEqual(['DC0_H0_VM0-disk0.vmdk', 'DC0_H0_VM0-disk1.vmdk', 'DC0_H0_VM0.mf', 'DC0_H0_VM0.ovf']);
    await expectServedDisks(folder, 'DC0_H0_VM0');
    await expectManifestVerifies(folder, 'DC0_H0_VM0.mf');
  });

  it('keeps a 3-second lease alive through a slow download', async () => {
    await sim.setFaults({ leaseTimeoutSec: 3, rateBytesPerSec: 2 * 1024 * 1024 });
    const out = outDir();
    const run = await exportVm(['--format', 'ovf', '--output', out]);
    expect(run.code, run.stderr).toBe(0);
    const lease = await lastLease();
    expect(lease.outcome).toBe('completed');
    expect(lease.progressCalls as number).toBeGreaterThanOrEqual(2);
    await expectServedDisks(join(out, 'DC0_H0_VM0'), 'DC0_H0_VM0');
  });

  it('resumes a cut download with Range to a byte-identical disk', async () => {
    await sim.setFaults({ cutAfterBytes: 1024 * 1024 });
    const out = outDir();
    const run = await exportVm(['--format', 'ovf', '--output', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const warnings = run.events.filter((e) => e.type === 'warning').map((e) => String(e.message));
    expect(warnings.some((w) => /resuming at byte [1-9]\d*/.test(w))).toBe(true);
    await expectServedDisks(join(out, 'DC0_H0_VM0'), 'DC0_H0_VM0');
  });

  it('in stream mode (no Range, like ESXi) a cut restarts the file instead of appending', async () => {
    for (const format of ['ovf', 'ova']) {
      await sim.setFaults({ stream: true, cutAfterBytes: 1024 * 1024 });
      const out = outDir();
      const run = await exportVm(['--format', format, '--output', out, '--json']);
      expect(run.code, run.stderr).toBe(0);
      const warnings = run.events.filter((e) => e.type === 'warning').map((e) => String(e.message));
      expect(warnings.some((w) => /again from the start/.test(w))).toBe(true);
      if (format === 'ovf') await expectServedDisks(join(out, 'DC0_H0_VM0'), 'DC0_H0_VM0');
      else {
        const extracted = join(out, 'x');
        await mkdir(extracted);
        await exec('tar', ['-xf', join(out, 'DC0_H0_VM0.ova'), '-C', extracted]);
        await expectServedDisks(extracted, 'DC0_H0_VM0');
      }
    }
  });

  it('Ctrl-C aborts the lease and leaves no complete-looking output', async () => {
    await sim.setFaults({ rateBytesPerSec: 1024 * 1024 });
    const out = outDir();
    const run = await exportVm(['--format', 'ovf', '--output', out, '--json'], sim.env, {
      signalAfter: { pattern: /"type":"file:progress"/, signal: 'SIGINT' },
    });
    expect(run.code).toBe(130);
    expect(run.events.at(-1)).toMatchObject({ type: 'result', status: 'cancelled' });
    expect(await readdir(out)).toEqual([]);
    expect(await lastLease()).toMatchObject({ outcome: 'aborted' });
  });

  it('continues an export after a crash from its checkpoint, without downloading finished disks again', async () => {
    for (const format of ['ovf', 'ova']) {
      await sim.setFaults({ rateBytesPerSec: 4 * 1024 * 1024 });
      const out = outDir();
      // The small disk finishes first; the process is killed (no cleanup at all) right after.
      const crashed = await exportVm(['--format', format, '--output', out, '--json', '--parallel', '2'], sim.env, {
        signalAfter: { pattern: /"type":"(?:file:end|info)"[^\n]*DC0_H0_VM0-disk1\.vmdk/, signal: 'SIGKILL' },
      });
      expect(crashed.code).toBe(null);
      expect(await readdir(out)).toEqual([expect.stringMatching(STAGING_FOLDER)]);
      await sim.resetFaults();

      const resumed = await exportVm(['--format', format, '--output', out, '--json']);
      expect(resumed.code, resumed.stderr).toBe(0);
      const infos = resumed.events.filter((e) => e.type === 'info').map((e) => String(e.message));
      expect(infos.some((m) => /continuing an interrupted export: 1 file/.test(m))).toBe(true);
      expect(infos.some((m) => /DC0_H0_VM0-disk1\.vmdk: already (written|downloaded) by the interrupted run and verified/.test(m))).toBe(true);
      // The new lease served the unfinished disk only.
      expect((await lastLease()).bytesServed).toBe(offVm.disks[0]!.size);
      expect((await readdir(out)).sort()).toEqual(
        format === 'ova' ? ['DC0_H0_VM0.ova', 'DC0_H0_VM0.ova.hyperexport.json'] : ['DC0_H0_VM0', 'DC0_H0_VM0.ovf.hyperexport.json'],
      );
      const folder = format === 'ova' ? join(out, 'x') : join(out, 'DC0_H0_VM0');
      if (format === 'ova') {
        await mkdir(folder);
        await exec('tar', ['-xf', join(out, 'DC0_H0_VM0.ova'), '-C', folder]);
      }
      await expectServedDisks(folder, 'DC0_H0_VM0');
      await expectManifestVerifies(folder, 'DC0_H0_VM0.mf');
    }
  });

  it("starts an export over, saying why, when the VM's disks changed between the crash and the rerun", async () => {
    await sim.setFaults({ rateBytesPerSec: 4 * 1024 * 1024 });
    const out = outDir();
    const args = ['--format', 'ovf', '--output', out, '--json'];
    const crashed = await exportVm([...args, '--parallel', '2'], sim.env, KILL_AFTER_SMALL_DISK);
    expect(crashed.code).toBe(null);
    expect(await readdir(out)).toEqual([expect.stringMatching(STAGING_FOLDER)]);
    await sim.resetFaults();
    // What a guest that ran meanwhile leaves on the datastore: the extent of the disk the crashed
    // run kept was written to (its size and modification time change).
    await appendFile(offVm.disks[1]!.backingFiles[1]!, Buffer.alloc(4096, 1));

    const rerun = await exportVm(args);
    expect(rerun.code, rerun.stderr).toBe(0);
    const warnings = rerun.events.filter((e) => e.type === 'warning').map((e) => String(e.message));
    expect(warnings).toContainEqual(
      expect.stringMatching(
        /^starting the interrupted export over \(checkpoint .*\), as it cannot be continued: source: the VM's disks changed since the interrupted run read them/,
      ),
    );
    expect(rerun.events.some((e) => e.type === 'info' && /continuing an interrupted export/.test(String(e.message)))).toBe(false);
    // Both disks came from the new lease: nothing of the earlier state was kept.
    expect((await lastLease()).bytesServed).toBe(offVm.disks[0]!.size + offVm.disks[1]!.size);
    await expectServedDisks(join(out, 'DC0_H0_VM0'), 'DC0_H0_VM0');
  });

  it("starts an export over when the state of the VM's disks cannot be read on the rerun", async () => {
    await sim.setFaults({ rateBytesPerSec: 4 * 1024 * 1024 });
    const out = outDir();
    const args = ['--format', 'ovf', '--output', out, '--json'];
    const crashed = await exportVm([...args, '--parallel', '2'], sim.env, KILL_AFTER_SMALL_DISK);
    expect(crashed.code).toBe(null);
    await sim.resetFaults();
    // The datastore browser no longer lists a disk's descriptor: nothing vouches for the disks.
    const descriptor = offVm.disks[0]!.backingFiles[0]!;
    await rename(descriptor, `${descriptor}.away`);
    try {
      const rerun = await exportVm(args);
      expect(rerun.code, rerun.stderr).toBe(0);
      const warnings = rerun.events.filter((e) => e.type === 'warning').map((e) => String(e.message));
      expect(warnings).toContainEqual(
        expect.stringMatching(
          /as it cannot be continued: source: could not read the state of the VM's disks \(the datastore browser does not list \[LocalDS_0\] DC0_H0_VM0\/disk1\.vmdk\)/,
        ),
      );
      expect((await lastLease()).bytesServed).toBe(offVm.disks[0]!.size + offVm.disks[1]!.size);
      await expectServedDisks(join(out, 'DC0_H0_VM0'), 'DC0_H0_VM0');
    } finally {
      await rename(`${descriptor}.away`, descriptor);
    }
  });

  it("continues an export named with {time} after a crash (under the rerun's time), leaving no staging folder behind", async () => {
    await sim.setFaults({ rateBytesPerSec: 4 * 1024 * 1024 });
    const out = outDir();
    const args = ['--format', 'ovf', '--output', out, '--json', '--name', '{vm}-{time}'];
    const crashed = await exportVm([...args, '--parallel', '2'], sim.env, KILL_AFTER_SMALL_DISK);
    expect(crashed.code).toBe(null);
    const [staging] = await readdir(out);
    expect(staging).toMatch(STAGING_FOLDER);
    await sim.resetFaults();
    await sleep(1100); // {time} has seconds: the rerun renders another name
    const resumed = await exportVm(args);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.events.some((event) => event.type === 'info' && /continuing an interrupted export: 1 file/.test(String(event.message)))).toBe(true);
    expect((await lastLease()).bytesServed).toBe(offVm.disks[0]!.size);
    const names = (await readdir(out)).sort();
    expect(names).toEqual([expect.stringMatching(/^DC0_H0_VM0-\d{6}$/), expect.stringMatching(/^DC0_H0_VM0-\d{6}\.ovf\.hyperexport\.json$/)]);
    await expectServedDisks(join(out, names[0]!), 'DC0_H0_VM0');
  });

  it('an export of a VM with other settings removes the staging folder a dead run of that VM left', async () => {
    await sim.setFaults({ rateBytesPerSec: 4 * 1024 * 1024 });
    const out = outDir();
    const crashed = await exportVm(['--format', 'ovf', '--output', out, '--json', '--parallel', '2'], sim.env, KILL_AFTER_SMALL_DISK);
    expect(crashed.code).toBe(null);
    expect(await readdir(out)).toEqual([expect.stringMatching(STAGING_FOLDER)]);
    await sim.resetFaults();
    const other = await exportVm(['--format', 'ova', '--output', out, '--json']);
    expect(other.code, other.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['DC0_H0_VM0.ova', 'DC0_H0_VM0.ova.hyperexport.json']);
  });

  it('an encrypted export continued after a crash is one export: every file bound to the same export, and it restores', async () => {
    const keyFile = join(work, 'resume.key');
    await writeFile(keyFile, createHash('sha256').update('resume test key').digest());
    await sim.setFaults({ rateBytesPerSec: 4 * 1024 * 1024 });
    const out = outDir();
    const args = ['--format', 'ovf', '--output', out, '--json', '--encrypt', 'aes', '--key-file', keyFile];
    const crashed = await exportVm([...args, '--parallel', '2'], sim.env, {
      signalAfter: { pattern: /"type":"(?:file:end|info)"[^\n]*DC0_H0_VM0-disk1\.vmdk/, signal: 'SIGKILL' },
    });
    expect(crashed.code).toBe(null);
    await sim.resetFaults();
    const resumed = await exportVm(args);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.events.some((event) => event.type === 'info' && /continuing an interrupted export: 1 file/.test(String(event.message)))).toBe(true);
    // The post-export check read every encrypted file back, the disk the first run wrote too (its
    // plain digest came from the checkpoint).
    const readBack = resumed.events.filter((event) => event.type === 'info' && event.plugin === 'validate').map((event) => String(event.message));
    for (const name of ['DC0_H0_VM0.ovf.hxe', 'DC0_H0_VM0-disk0.vmdk.hxe', 'DC0_H0_VM0-disk1.vmdk.hxe']) {
      expect(
        readBack.some((message) => message.startsWith(`${name}: read back through aes-256-gcm: it turns back into`)),
        `${name} read back: ${readBack.join('; ')}`,
      ).toBe(true);
    }
    // The record names the job that began the export, not the one that finished it.
    const record = JSON.parse(await readFile(join(out, 'DC0_H0_VM0.ovf.hyperexport.json'), 'utf8')) as { jobId: string };
    const startedBy = crashed.events.find((event) => event.type === 'job:start')?.jobId;
    expect(record.jobId).toBe(startedBy);
    expect(resumed.events.at(-1)?.id).not.toBe(startedBy);
    // The disk the first run wrote and the files the second wrote restore as one export.
    const restored = await runCli(['restore', join(out, 'DC0_H0_VM0.ovf.hyperexport.json'), '--output', join(out, 'restored'), '--key-file', keyFile], {
      cwd: work,
    });
    expect(restored.code, restored.stderr).toBe(0);
    await expectServedDisks(join(out, 'restored', 'DC0_H0_VM0'), 'DC0_H0_VM0');
  });

  it('an encrypted export continued with the same passphrase is continued (its key check recognised under a new salt)', async () => {
    const passphrase = join(work, 'same.pass');
    await writeFile(passphrase, 'the same words\n', { mode: 0o600 });
    await sim.setFaults({ rateBytesPerSec: 4 * 1024 * 1024 });
    const out = outDir();
    const args = ['--format', 'ovf', '--output', out, '--json', '--encrypt', 'aes', '--passphrase-file', passphrase];
    expect((await exportVm([...args, '--parallel', '2'], sim.env, KILL_AFTER_SMALL_DISK)).code).toBe(null);
    await sim.resetFaults();
    const resumed = await exportVm(args);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.events.some((event) => event.type === 'info' && /continuing an interrupted export: 1 file/.test(String(event.message)))).toBe(true);
    expect((await lastLease()).bytesServed).toBe(offVm.disks[0]!.size);
  });

  it('an encrypted export continued with another passphrase starts over, saying why, and one passphrase restores it all', async () => {
    const [first, second] = [join(work, 'first.pass'), join(work, 'second.pass')];
    await writeFile(first, 'the first words\n', { mode: 0o600 });
    await writeFile(second, 'the second words\n', { mode: 0o600 });
    await sim.setFaults({ rateBytesPerSec: 4 * 1024 * 1024 });
    const out = outDir();
    const args = (file: string) => ['--format', 'ovf', '--output', out, '--json', '--encrypt', 'aes', '--passphrase-file', file];
    expect((await exportVm([...args(first), '--parallel', '2'], sim.env, KILL_AFTER_SMALL_DISK)).code).toBe(null);
    await sim.resetFaults();
    const rerun = await exportVm(args(second));
    expect(rerun.code, rerun.stderr).toBe(0);
    const warnings = rerun.events.filter((event) => event.type === 'warning').map((event) => String(event.message));
    expect(warnings).toContainEqual(
      expect.stringMatching(
        /^starting the interrupted export over \(checkpoint .*\), as it was written with other settings: aes-256-gcm: the interrupted run encrypted with another passphrase$/,
      ),
    );
    expect(rerun.events.some((event) => event.type === 'info' && /continuing an interrupted export/.test(String(event.message)))).toBe(false);
    // Every disk came from the new lease, encrypted with the second passphrase.
    expect((await lastLease()).bytesServed).toBe(offVm.disks.reduce((sum, disk) => sum + disk.size, 0));
    const record = join(out, 'DC0_H0_VM0.ovf.hyperexport.json');
    const restored = await runCli(['restore', record, '--output', join(out, 'restored'), '--passphrase-file', second], { cwd: work });
    expect(restored.code, restored.stderr).toBe(0);
    await expectServedDisks(join(out, 'restored', 'DC0_H0_VM0'), 'DC0_H0_VM0');
    const withFirst = await runCli(['restore', record, '--output', join(out, 'restored-first'), '--passphrase-file', first], { cwd: work });
    expect(withFirst.code).toBe(1);
    expect(withFirst.stderr).toMatch(/cannot be decrypted with this passphrase: wrong passphrase or key/);
  });

  it('an OpenPGP export continued without one of its recipients starts over: the removed recipient reads no disk', async () => {
    const [aliceHome, bobHome] = await Promise.all([GpgHome.create(), GpgHome.create()]);
    try {
      const [alice, bob] = await Promise.all([aliceHome.generateKey('Alice <alice@example.org>'), bobHome.generateKey('Bob <bob@example.org>')]);
      const alicePub = await aliceHome.exportPublicKey(alice, join(work, 'alice.pub.asc'));
      const bobPub = await bobHome.exportPublicKey(bob, join(work, 'bob.pub.asc'));
      await sim.setFaults({ rateBytesPerSec: 4 * 1024 * 1024 });
      const out = outDir();
      const args = ['--format', 'ovf', '--output', out, '--json', '--encrypt', 'pgp', '--recipient', alicePub];
      expect((await exportVm([...args, '--recipient', bobPub, '--parallel', '2'], sim.env, KILL_AFTER_SMALL_DISK)).code).toBe(null);
      await sim.resetFaults();
      const rerun = await exportVm(args);
      expect(rerun.code, rerun.stderr).toBe(0);
      const warnings = rerun.events.filter((event) => event.type === 'warning').map((event) => String(event.message));
      expect(warnings).toContainEqual(expect.stringContaining(`written with other settings: openpgp: recipient ${bob.fingerprint} was removed`));
      expect((await lastLease()).bytesServed).toBe(offVm.disks.reduce((sum, disk) => sum + disk.size, 0));
      for (const index of offVm.disks.keys()) {
        const disk = join(out, 'DC0_H0_VM0', `DC0_H0_VM0-disk${index}.vmdk.gpg`);
        await expect(bobHome.decrypt(disk, join(work, `bob-${counter}-${index}`))).rejects.toThrow(/decryption failed: No secret key|No secret key/);
        await aliceHome.decrypt(disk, join(work, `alice-${counter}-${index}`));
      }
    } finally {
      await Promise.all([aliceHome.close(), bobHome.close()]);
    }
  });

  it('replaces a lost lease and does not download finished disks again', async () => {
    await sim.setFaults({ rateBytesPerSec: 8 * 1024 * 1024 });
    const before = (await sim.leases()).length;
    const out = outDir();
    // One disk at a time: when the first is done, the host drops the lease mid-way through the second.
    const run = await exportVm(['--format', 'ovf', '--output', out, '--json', '--parallel', '1'], sim.env, {
      whenOutput: { pattern: /"type":"file:progress"[^\n]*DC0_H0_VM0-disk1\.vmdk/, action: () => void sim.expireLeases() },
    });
    expect(
      run.code,
      run.stdout
        .split('\n')
        .filter((l) => !l.includes('progress'))
        .join('\n'),
    ).toBe(0);
    const warnings = run.events.filter((e) => e.type === 'warning').map((e) => String(e.message));
    expect(warnings.some((w) => /the export lease (was lost|is no longer ready).*; opening a new one/.test(w))).toBe(true);
    const leases = (await sim.leases()).slice(before);
    expect(leases.map((lease) => lease.outcome)).toEqual(['expired', 'completed']);
    // The new lease served the second disk only, from its first byte.
    expect(leases[1]!.bytesServed).toBe(offVm.disks[1]!.size);
    await expectServedDisks(join(out, 'DC0_H0_VM0'), 'DC0_H0_VM0');
  });

  it("fails, rather than mix disks of two states, when the VM's disks changed while the lease was lost", async () => {
    await sim.setFaults({ rateBytesPerSec: 8 * 1024 * 1024 });
    const out = outDir();
    // The first disk is done; then the lease is lost and, before it is replaced, a guest writes.
    const run = await exportVm(['--format', 'ovf', '--output', out, '--json', '--parallel', '1'], sim.env, {
      whenOutput: {
        pattern: /"type":"file:progress"[^\n]*DC0_H0_VM0-disk1\.vmdk/,
        action: () => {
          appendFileSync(offVm.disks[1]!.backingFiles[1]!, Buffer.alloc(4096, 2));
          void sim.expireLeases();
        },
      },
    });
    expect(run.code).toBe(1);
    const result = run.events.find((event) => event.type === 'result') as
      { status?: string; error?: { code?: string; hint?: string; message?: string } } | undefined;
    expect(result?.status, run.stdout).toBe('failed');
    expect(result?.error).toMatchObject({ code: 'SOURCE_CHANGED', hint: 'run the export again, or export from a snapshot (--snapshot-before)' });
    expect(String(result?.error?.message)).toMatch(
      /the VM's disks changed \(or their state could not be read\) while the export lease was lost: the disks read so far may not match the rest/,
    );
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });

  it('connects with a pinned SHA-256 or SHA-1 thumbprint instead of --insecure', async () => {
    const env = { GOVC_URL: sim.url, GOVC_USERNAME: sim.username, GOVC_PASSWORD: sim.password };
    for (const thumbprint of [sim.thumbprint256, sim.thumbprint]) {
      const run = await exportVm(['--format', 'ova', '--output', outDir(), '--thumbprint', thumbprint], env);
      expect(run.code, run.stderr).toBe(0);
    }
  });

  it('pins the thumbprint govc keeps in GOVC_TLS_KNOWN_HOSTS for the host, as --thumbprint does', async () => {
    // govc's format: `host thumbprint` per line, SHA-1 in colon hex (`govc about.cert -k -thumbprint`).
    const host = new URL(sim.url).host;
    const knownHosts = join(work, 'known_hosts');
    await writeFile(knownHosts, `other.example.com 00:11:22\n${host} ${sim.thumbprint}\n`);
    const env = { GOVC_URL: sim.url, GOVC_USERNAME: sim.username, GOVC_PASSWORD: sim.password, GOVC_TLS_KNOWN_HOSTS: knownHosts };
    const listed = await runCli(['vms', '--json'], { cwd: work, env });
    expect(listed.code, listed.stderr).toBe(0);
    const run = await exportVm(['--format', 'ova', '--output', outDir()], env);
    expect(run.code, run.stderr).toBe(0);
    // The pin is enforced: another certificate's thumbprint for this host fails the connection.
    await writeFile(knownHosts, `${host} ${'AB:'.repeat(19)}AB\n`);
    const refused = await exportVm(['--format', 'ova', '--output', outDir()], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/does not match the pinned thumbprint/);
  });

  it('lists VMs with power state and disks (vms --json)', async () => {
    const run = await runCli(['vms', '--json'], { cwd: work, env: sim.env });
    expect(run.code, run.stderr).toBe(0);
    const vms = run.events.filter((e) => e.type === 'vm');
    expect(vms.map((vm) => vm.path)).toEqual(expect.arrayContaining([offVm.path, onVm.path]));
    const off = vms.find((vm) => vm.path === offVm.path)!;
    expect(off).toMatchObject({ powerState: 'poweredOff' });
    expect((off.disks as Array<{ capacityBytes: number }>).map((d) => d.capacityBytes)).toEqual(offVm.disks.map((d) => d.capacity));
  });

  it('finds a VM by name as well as by path', async () => {
    const out = outDir();
    const run = await runCli(['export', '--vm', 'DC0_H0_VM0', '--format', 'ova', '--output', out], { cwd: work, env: sim.env });
    expect(run.code, run.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['DC0_H0_VM0.ova', 'DC0_H0_VM0.ova.hyperexport.json']);
  });
});

describe('bad input against vSphere', () => {
  const expectFailure = async (args: string[], env: Record<string, string>, message: RegExp, code = 1) => {
    const out = outDir();
    const run = await runCli(['export', '--format', 'ova', '--output', out, ...args], { cwd: work, env });
    expect(run.code, run.stderr).toBe(code);
    expect(run.stderr).toMatch(message);
    await expect(readdir(out)).rejects.toThrow('ENOENT');
    return run;
  };

  it('a wrong password', async () => {
    const run = await expectFailure(['--vm', offVm.path], { ...sim.env, GOVC_PASSWORD: 'wrong-secret' }, /Login failed: InvalidLogin/);
    expect(run.stderr).toContain('check the user name and password');
    expect(run.stderr).not.toContain('wrong-secret');
  });

  it('an unreachable host', async () => {
    await expectFailure(['--vm', offVm.path], { ...sim.env, GOVC_URL: 'https://127.0.0.1:9/sdk' }, /cannot reach 127\.0\.0\.1:9 \(ECONNREFUSED\)/);
  });

  it('a certificate that is not trusted, and one that does not match the pinned thumbprint', async () => {
    const env = { GOVC_URL: sim.url, GOVC_USERNAME: sim.username, GOVC_PASSWORD: sim.password };
    const untrusted = await expectFailure(
      ['--vm', offVm.path],
      env,
      /the server's certificate is not trusted \(self-signed certificate, DEPTH_ZERO_SELF_SIGNED_CERT\)/,
    );
    // The thumbprints to pin, as govc shows them (colon-separated upper-case hex), and the ways on.
    expect(sim.thumbprint).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    expect(untrusted.stderr).toContain(`  SHA-1 thumbprint:   ${sim.thumbprint}\n`);
    expect(untrusted.stderr).toContain(`  SHA-256 thumbprint: ${sim.thumbprint256}\n`);
    expect(untrusted.stderr).toContain(`pin it with --thumbprint ${sim.thumbprint} (or GOVC_TLS_THUMBPRINT)`);
    expect(untrusted.stderr).toContain('GOVC_TLS_CA_CERTS');
    expect(untrusted.stderr).toContain('-k / --insecure');
    expect(untrusted.stderr).not.toContain('--use-system-ca');
    // The thumbprint it printed is one the tool accepts as it is.
    const pinned = await runCli(['export', '--format', 'ova', '--output', outDir(), '--vm', offVm.path, '--thumbprint', sim.thumbprint], { cwd: work, env });
    expect(pinned.code, pinned.stderr).toBe(0);
    await expectFailure(['--vm', offVm.path, '--thumbprint', '00'.repeat(32)], env, /does not match the pinned thumbprint/);
  });

  it('an unknown VM path', async () => {
    await expectFailure(['--vm', '/DC0/vm/no-such-vm'], sim.env, /no VM at inventory path \/DC0\/vm\/no-such-vm/);
  });

  it('a powered-on VM with no snapshot requested', async () => {
    await expectFailure(['--vm', onVm.path], sim.env, /DC0_H0_VM1 is powered on[\s\S]*power it off, or export from a snapshot/);
  });

  it('no URL, no user, no password: exit 2 with what to set', async () => {
    await expectFailure(['--vm', offVm.path], {}, /no vCenter\/ESXi URL: set GOVC_URL/, 2);
    await expectFailure(
      ['--vm', offVm.path],
      { GOVC_URL: sim.url, GOVC_USERNAME: 'user', GOVC_INSECURE: '1' },
      /no password for user: set GOVC_PASSWORD or GOVC_PASSWORD_FILE, or give --password-file FILE/,
      2,
    );
  });

  it('the password from a file', async () => {
    const file = join(work, 'password');
    await writeFile(file, `${sim.password}\n`, { mode: 0o600 });
    const { GOVC_PASSWORD: _, ...env } = sim.env;
    const run = await runCli(['export', '--vm', offVm.path, '--output', outDir(), '--password-file', file], { cwd: work, env });
    expect(run.code, run.stderr).toBe(0);
  });

  it('a full disk: the export fails, the lease is aborted, nothing partial remains', async () => {
    // root only (CI runs as root): a 4 MiB tmpfs is too small for the 12 MiB of disks.
    const tiny = join(work, 'tiny');
    await mkdir(tiny);
    await exec('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', tiny]);
    try {
      const run = await runCli(['export', '--vm', offVm.path, '--format', 'ovf', '--output', tiny], { cwd: work, env: sim.env });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /no space left on the device of \S+ while writing \S+\.vmdk: [\d.]+ \w*B written, [\d.]+ \w*B free; the whole export needs (about|up to) [\d.]+ MiB \((what the VM uses|the capacity of its disks)\)/,
      );
      expect(run.stderr).toMatch(/hint: free some space there, or choose another --output/);
      expect(await readdir(tiny)).toEqual([]);
      expect(await lastLease()).toMatchObject({ outcome: 'aborted' });
    } finally {
      await exec('umount', [tiny]);
    }
  });
});
