// End to end: the built `hyperexport export` on real VM folders made with qemu-img, checked
// byte for byte and with the standard tools (tar, sha256sum, qemu-img check).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from './support/cli.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

const exec = promisify(execFile);
const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

let work: string;
let vm: MadeVm;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-e2e-'));
  await chmod(work, 0o755);
  vm = await makeVmFolder(join(work, 'vms', 'web01'), 'web01', [8, 4]);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function listTar(path: string): Promise<string[]> {
  const { stdout } = await exec('tar', ['-tf', path]);
  return stdout.trim().split('\n');
}

describe('hyperexport export --source (VM folder)', () => {
  it('writes an OVA whose members are in order, whose manifest verifies and whose disks are byte-identical', async () => {
    const out = join(work, 'out-ova');
    const run = await runCli(['export', '--source', vm.directory, '--format', 'ova', '--output', out, '--json'], { cwd: work });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = run.events.at(-1)!;
    expect(result).toMatchObject({ type: 'result', status: 'succeeded', vmName: 'web01', format: 'ova', locations: [join(out, 'web01.ova')] });
    expect(run.events.some((event) => event.type === 'file:end')).toBe(true);

    const ova = join(out, 'web01.ova');
    expect(await listTar(ova)).toEqual(['web01.ovf', 'web01.mf', 'web01.vmdk', 'web01_1.vmdk']);
    const files = result.files as Array<{ name: string; sha256: string; size: number }>;
    expect(files[0]).toMatchObject({ name: 'web01.ova', sha256: await sha256(ova) });

    const extracted = join(work, 'extracted');
    await mkdir(extracted);
    await exec('tar', ['-xf', ova, '-C', extracted]);
    for (const disk of vm.disks) {
      const name = disk.split('/').pop()!;
      expect(await sha256(join(extracted, name))).toBe(await sha256(disk));
      await exec('qemu-img', ['check', join(extracted, name)]);
    }
    // The manifest is the format sha256sum understands after a little rewriting.
    const manifest = await readFile(join(extracted, 'web01.mf'), 'utf8');
    const lines = manifest.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const [, name, hex] = /^SHA256\((.+)\)= ([0-9a-f]{64})$/.exec(line)!;
      expect(await sha256(join(extracted, name!))).toBe(hex);
    }
    const ovf = await readFile(join(extracted, 'web01.ovf'), 'utf8');
    expect(ovf).toContain('ovf:href="web01.vmdk"');
    expect(ovf).toContain('ovf:href="web01_1.vmdk"');
  });

  it('writes an OVF folder, and re-exports that OVF and an OVA to the same disks', async () => {
    const out = join(work, 'out-ovf');
    const first = await runCli(['export', '--source', vm.directory, '--format', 'ovf', '--output', out], { cwd: work });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('exported web01');
    expect((await readdir(join(out, 'web01'))).sort()).toEqual(['web01.mf', 'web01.ovf', 'web01.vmdk', 'web01_1.vmdk']);
    for (const disk of vm.disks) expect(await sha256(join(out, 'web01', disk.split('/').pop()!))).toBe(await sha256(disk));

    // OVF → OVA → OVF again: the descriptor is carried unchanged, the disks byte for byte.
    const again = join(work, 'out-roundtrip');
    const toOva = await runCli(['export', '--source', join(out, 'web01', 'web01.ovf'), '--format', 'ova', '--output', again, '--name', 'copy'], { cwd: work });
    expect(toOva.code, toOva.stderr).toBe(0);
    const back = await runCli(['export', '--source', join(again, 'copy.ova'), '--format', 'ovf', '--output', again, '--name', 'back'], { cwd: work });
    expect(back.code, back.stderr).toBe(0);
    expect(await readFile(join(again, 'back', 'back.ovf'), 'utf8')).toBe(await readFile(join(out, 'web01', 'web01.ovf'), 'utf8'));
    for (const disk of vm.disks) expect(await sha256(join(again, 'back', disk.split('/').pop()!))).toBe(await sha256(disk));
  });

  it('refuses to replace an existing export unless --overwrite', async () => {
    const out = join(work, 'out-exists');
    expect((await runCli(['export', '--source', vm.directory, '--output', out], { cwd: work })).code).toBe(0);
    const refused = await runCli(['export', '--source', vm.directory, '--output', out], { cwd: work });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`an export already exists at ${join(out, 'web01.ova')}`);
    expect(refused.stderr).toContain('--overwrite');
    const replaced = await runCli(['export', '--source', vm.directory, '--output', out, '--overwrite'], { cwd: work });
    expect(replaced.code, replaced.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['web01.ova', 'web01.ova.hyperexport.json']);
  });
});

describe('cancelling', () => {
  it('Ctrl-C stops the export, exits 130 (as shells expect) and leaves nothing that looks like an export', async () => {
    const big = await makeVmFolder(join(work, 'vms', 'big'), 'big', [256]);
    const out = join(work, 'out-cancel');
    const run = await runCli(['export', '--source', big.directory, '--output', out, '--json'], {
      cwd: work,
      signalAfter: { pattern: /"type":"file:progress"/, signal: 'SIGINT' },
    });
    expect(run.code).toBe(130);
    expect(run.events.at(-1)).toMatchObject({ type: 'result', status: 'cancelled', files: [] });
    expect(run.stderr).toContain('SIGINT: cancelling');
    expect(await readdir(out)).toEqual([]);
  });

  it('says once that the export was cancelled, and why', async () => {
    const big = await makeVmFolder(join(work, 'vms', 'big2'), 'big2', [128]);
    const out = join(work, 'out-cancel-text');
    const run = await runCli(['export', '--source', big.directory, '--format', 'ovf', '--output', out], {
      cwd: work,
      signalAfter: { pattern: /writing big2\.vmdk/, signal: 'SIGINT' },
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('error: big2: export cancelled: interrupted by SIGINT\n');
    expect(run.stderr).not.toContain('cancelled: export cancelled');
  });

  it('SIGTERM stops the export with exit 143 and says so once', async () => {
    const big = await makeVmFolder(join(work, 'vms', 'big3'), 'big3', [128]);
    const out = join(work, 'out-cancel-term');
    const run = await runCli(['export', '--source', big.directory, '--format', 'ovf', '--output', out], {
      cwd: work,
      signalAfter: { pattern: /writing big3\.vmdk/, signal: 'SIGTERM' },
    });
    expect(run.code, run.stderr).toBe(143);
    expect(run.stderr).toContain('SIGTERM: cancelling (again to quit at once)');
    expect(run.stderr).toContain('error: big3: export cancelled: interrupted by SIGTERM\n');
    expect(await readdir(out)).toEqual([]);
  });
});

describe('bad input on the command line', () => {
  it('a missing source folder: exit 1, says what is accepted, writes nothing', async () => {
    const out = join(work, 'out-missing');
    const run = await runCli(['export', '--source', join(work, 'no-such-vm'), '--output', out], { cwd: work });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/source not found: .*no-such-vm/);
    await expect(readdir(out)).rejects.toThrow('ENOENT');
  });

  it('an unwritable output directory: exit 1, names the directory, leaves nothing behind', async () => {
    const out = join(work, 'read-only');
    await mkdir(out, { mode: 0o555 });
    // root ignores permissions: run the CLI as nobody, which cannot write to a 0555 folder.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const run = await runCli(['export', '--source', vm.directory, '--output', out], { cwd: work, ...asNobody });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`output directory ${out} is not writable`);
    expect(await readdir(out)).toEqual([]);
  });

  it('a disk that is only a text descriptor is refused with the command that fixes it', async () => {
    const folder = join(work, 'vms', 'flat');
    await mkdir(folder, { recursive: true });
    await exec('qemu-img', ['create', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', join(folder, 'flat.vmdk'), '1M']);
    await writeFile(
      join(folder, 'flat.vmx'),
      'displayName = "flat"\nmemsize = "512"\nscsi0.present = "TRUE"\nscsi0:0.present = "TRUE"\nscsi0:0.fileName = "flat.vmdk"\n',
    );
    const out = join(work, 'out-flat');
    const run = await runCli(['export', '--source', folder, '--output', out], { cwd: work });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('flat.vmdk is a VMDK descriptor (createType "monolithicFlat")');
    expect(run.stderr).toContain('qemu-img convert -O vmdk -o subformat=streamOptimized');
  });

  it('usage errors exit 2', async () => {
    const noSource = await runCli(['export', '--output', work], { cwd: work });
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toContain('nothing to export: give --source PATH');
    const badFormat = await runCli(['export', '--source', vm.directory, '--format', 'zip'], { cwd: work });
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('--format');
    const unknownFlag = await runCli(['export', '--frobnicate'], { cwd: work });
    expect(unknownFlag.code).toBe(2);
  });

  it('a full disk names the file, what was written and the space still needed, and leaves nothing', async () => {
    // root only (CI runs as root): a 512 KiB tmpfs is too small for the 1.1 MiB disk. The
    // validate plugin would see that before writing; without it, the write itself fills the disk.
    const tiny = join(work, 'tiny');
    await mkdir(tiny);
    await exec('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', tiny]);
    await mkdir(join(REPO_ROOT, '.tmp'), { recursive: true });
    const configDirectory = await mkdtemp(join(REPO_ROOT, '.tmp', 'disk-full-'));
    try {
      const small = await makeVmFolder(join(work, 'vms', 'big01'), 'big01', [2]);
      const config = join(configDirectory, 'no-validate.config.json');
      await writeFile(config, JSON.stringify({ builtins: false, plugins: ['@hyperexport/source-local', '@hyperexport/store-local'] }));
      const run = await runCli(['export', '--config', config, '--source', small.directory, '--format', 'ovf', '--output', tiny], { cwd: work });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(`no space left on the device of ${tiny} while writing big01\\.vmdk: [\\d.]+ KiB written of about [\\d.]+ MiB, [\\d.]+ B free`),
      );
      expect(run.stderr).toMatch(/hint: free at least [\d.]+ (KiB|MiB) more there, or choose another --output/);
      expect(run.stderr).not.toContain('ENOSPC');
      expect(await readdir(tiny)).toEqual([]);
    } finally {
      await exec('umount', [tiny]);
      await rm(configDirectory, { recursive: true, force: true });
    }
  });

  it('every command has --help with examples, and --version prints the version', async () => {
    for (const command of [['export'], ['plugins', 'list']]) {
      const help = await runCli([...command, '--help'], { cwd: work });
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Examples');
    }
    const version = await runCli(['--version'], { cwd: work });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
