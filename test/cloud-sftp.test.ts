// cloud-sftp against Debian's OpenSSH sshd, started on a loopback port with a temporary host key
// and user key (test/support/sshd.ts; needs root, as CI has). Covers the storage conformance
// suite, host key checking (known_hosts, hashed entries, pinned fingerprints, unknown and
// changed keys), authentication (key file, ssh-agent, a refused key, no credentials), passwords
// refused in URLs, and a server killed mid-upload.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exporter, runJob } from '@hyperexport/core';
import type { JobResult, JobSpec, StorageService } from '@hyperexport/core';
import bandwidth from '@hyperexport/bandwidth';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import storeRemote from '@hyperexport/store-remote';
import cloudSftp, { createSftpBackend } from '@hyperexport/cloud-sftp';
import type { SftpOptions } from '@hyperexport/cloud-sftp';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';
import { startSshd } from './support/sshd.ts';
import type { RunningSshd } from './support/sshd.ts';
import { describeStorageConformance, listKeys, readAll, unknownLengthStream } from './support/storage-conformance.ts';

const exec = promisify(execFile);
const signal = new AbortController().signal;

let sshd: RunningSshd;
let work: string;
let counter = 0;
const services: StorageService[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  work = await mkdtemp(join(tmpdir(), 'hyperexport-sftp-test-'));
});

afterAll(async () => {
  for (const service of services) await service.close?.().catch(() => undefined);
  await sshd?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function baseUrl(path = `${sshd.root}/run-${++counter}`): string {
  return `sftp://${sshd.user}@127.0.0.1:${sshd.port}${path}`;
}

/** Opens a target through the plugin and the exporter's storage registry, as store-remote does. */
async function open(url: string, options: SftpOptions = {}, env: NodeJS.ProcessEnv = { HOME: work }): Promise<StorageService> {
  const exporter = await Exporter.create([cloudSftp({ keyFile: sshd.privateKeyPath, knownHosts: sshd.knownHostsPath, ...options })]);
  const service = await exporter.storage.open(url, { env, signal });
  services.push(service);
  return service;
}

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name).slice(directory.length + 1)).sort();
}

describeStorageConformance('cloud-sftp (OpenSSH sshd)', { open: () => open(baseUrl()) });

describe('cloud-sftp uploads', () => {
  it('writes a hidden partial file and renames it into place; the server holds the exact bytes', async () => {
    const directory = `${sshd.root}/run-${++counter}`;
    const service = await open(baseUrl(directory));
    const content = randomBytes(3 * 1024 * 1024 + 7);
    const result = await service.put('vm1/disk1.vmdk', unknownLengthStream(content), { signal, metadata: { 'hyperexport-job': 'j1' } });
    expect(result).toEqual({ key: 'vm1/disk1.vmdk', size: content.length, sha256: createHash('sha256').update(content).digest('hex') });
    // On the server: the file, its hidden metadata sidecar, no partial file; mode 0600.
    expect(await filesUnder(directory)).toEqual(['vm1/.disk1.vmdk.meta.json', 'vm1/disk1.vmdk']);
    expect((await readFile(join(directory, 'vm1/disk1.vmdk'))).equals(content)).toBe(true);
    const { stdout } = await exec('stat', ['-c', '%a', join(directory, 'vm1/disk1.vmdk')]);
    expect(stdout.trim()).toBe('600');
    expect(await service.stat('vm1/disk1.vmdk', { signal })).toMatchObject({ size: content.length, sha256: result.sha256, metadata: { 'hyperexport-job': 'j1' } });
  });

  it('replaces an existing object atomically, and a stale partial file does not get in the way', async () => {
    const directory = `${sshd.root}/run-${++counter}`;
    const service = await open(baseUrl(directory));
    await service.put('a.bin', Readable.from([Buffer.from('old contents')]), { signal });
    await writeFile(join(directory, '.a.bin.partial'), 'left over by a dead connection');
    await service.put('a.bin', Readable.from([Buffer.from('new')]), { signal });
    expect(await readFile(join(directory, 'a.bin'), 'utf8')).toBe('new');
    expect(existsSync(join(directory, '.a.bin.partial'))).toBe(false);
    expect(await listKeys(service, '')).toEqual(['a.bin']);
  });

  it('keeps memory flat: the source is read at most a few MiB ahead of what the server wrote', async () => {
    const directory = `${sshd.root}/run-${++counter}`;
    const service = await open(baseUrl(directory));
    const partial = join(directory, '.flat.bin.partial');
    const piece = randomBytes(256 * 1024);
    const total = 48 * 1024 * 1024;
    let produced = 0;
    let worstLead = 0;
    const body = new Readable({
      highWaterMark: 256 * 1024,
      read() {
        const written = existsSync(partial) ? statSync(partial).size : 0;
        worstLead = Math.max(worstLead, produced - written);
        if (produced >= total) this.push(null);
        else {
          produced += piece.length;
          this.push(piece);
        }
      },
    });
    await service.put('flat.bin', body, { signal });
    // 4 MiB of writes in flight plus the stream buffers on the way, whatever the file's size.
    expect(worstLead).toBeGreaterThan(0);
    expect(worstLead).toBeLessThanOrEqual(6 * 1024 * 1024);
  });

  it('removes the partial file when the upload is aborted or the source fails', async () => {
    const directory = `${sshd.root}/run-${++counter}`;
    const service = await open(baseUrl(directory));
    const controller = new AbortController();
    let sent = 0;
    const aborted = new Readable({
      read() {
        if (sent++ === 8) controller.abort(new Error('cancelled by the test'));
        this.push(randomBytes(512 * 1024));
      },
    });
    await expect(service.put('vm/a.vmdk', aborted, { signal: controller.signal })).rejects.toThrow(/cancelled by the test/);
    let pieces = 0;
    const failing = new Readable({
      read() {
        if (pieces++ === 8) this.destroy(new Error('source failed'));
        else this.push(randomBytes(512 * 1024));
      },
    });
    await expect(service.put('vm/b.vmdk', failing, { signal })).rejects.toThrow(/^source failed$/);
    await expect(service.put('vm/c.vmdk', Readable.from([randomBytes(1000)]), { signal, size: 2000 })).rejects.toMatchObject({ code: 'VERIFY', message: expect.stringContaining('the stream gave 1000 bytes, 2000 were announced') });
    expect(await filesUnder(directory)).toEqual([]);
  });

  it('works with the target path relative to the login directory (/~/)', async () => {
    const relative = `hyperexport-sftp-home-test-${process.pid}`;
    const service = await open(`sftp://${sshd.user}@127.0.0.1:${sshd.port}/~/${relative}`);
    try {
      await service.put('x.txt', Readable.from([Buffer.from('home')]), { signal });
      expect((await readAll(await service.get('x.txt', { signal }))).toString()).toBe('home');
      const home = (await exec('sh', ['-c', `getent passwd ${sshd.user} | cut -d: -f6`])).stdout.trim();
      expect(await readFile(join(home, relative, 'x.txt'), 'utf8')).toBe('home');
    } finally {
      await service.delete('x.txt', { signal });
    }
  });

  it('removes folders a delete emptied, up to the target root', async () => {
    const directory = `${sshd.root}/run-${++counter}`;
    const service = await open(baseUrl(directory));
    await service.put('vm9/a/b.txt', Readable.from([Buffer.from('b')]), { signal });
    await service.delete('vm9/a/b.txt', { signal });
    expect(existsSync(join(directory, 'vm9'))).toBe(false);
    expect(existsSync(directory)).toBe(true);
  });
});

describe('cloud-sftp host keys', () => {
  it('refuses an unknown host key, showing its fingerprint and how to add it', async () => {
    const emptyKnownHosts = join(work, 'empty_known_hosts');
    await writeFile(emptyKnownHosts, '');
    const failure = await open(baseUrl(), { knownHosts: emptyKnownHosts }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'ExportError', code: 'HOST_KEY_UNKNOWN' });
    expect(String((failure as Error).message)).toContain(`ssh-ed25519 ${sshd.hostKeyFingerprint} is not in ${emptyKnownHosts}`);
    expect((failure as { hint: string }).hint).toContain(`ssh-keyscan -p ${sshd.port} -t ed25519 127.0.0.1 >> ${emptyKnownHosts}`);
    expect((failure as { hint: string }).hint).toContain(`fingerprint: '${sshd.hostKeyFingerprint}'`);
  });

  it('uses ~/.ssh/known_hosts by default and says so when it does not exist', async () => {
    const home = await mkdtemp(join(work, 'home-'));
    const failure = await open(baseUrl(), { knownHosts: undefined }, { HOME: home }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'HOST_KEY_UNKNOWN' });
    expect(String((failure as Error).message)).toContain(`${join(home, '.ssh', 'known_hosts')} (the file does not exist)`);
  });

  it('refuses a changed host key as a possible man in the middle', async () => {
    const otherHostKey = (await readFile(`${sshd.otherPrivateKeyPath}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
    const stale = join(work, 'stale_known_hosts');
    await writeFile(stale, `# an old entry\n[127.0.0.1]:${sshd.port} ${otherHostKey}\n`);
    const failure = await open(baseUrl(), { knownHosts: stale }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'HOST_KEY_CHANGED' });
    expect(String((failure as Error).message)).toMatch(/host key has changed.*line 2.*man in the middle/);
    expect((failure as { hint: string }).hint).toContain(`ssh-keygen -R '[127.0.0.1]:${sshd.port}' -f ${stale}`);
  });

  it('accepts hashed known_hosts entries (|1|salt|hash), as HashKnownHosts writes them', async () => {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update(`[127.0.0.1]:${sshd.port}`).digest('base64');
    const hashed = join(work, 'hashed_known_hosts');
    await writeFile(hashed, `|1|${salt.toString('base64')}|${hash} ${sshd.hostPublicKey}\n`);
    const service = await open(baseUrl(), { knownHosts: hashed });
    await service.put('hashed.txt', Readable.from([Buffer.from('ok')]), { signal });
    expect(await listKeys(service, '')).toEqual(['hashed.txt']);
  });

  it('accepts a pinned fingerprint instead of known_hosts, and refuses another one', async () => {
    const service = await open(baseUrl(), { knownHosts: join(work, 'does-not-exist'), fingerprint: sshd.hostKeyFingerprint });
    await service.put('pinned.txt', Readable.from([Buffer.from('ok')]), { signal });
    const wrong = `SHA256:${createHash('sha256').update('another key').digest('base64').replace(/=+$/, '')}`;
    await expect(open(baseUrl(), { fingerprint: wrong })).rejects.toMatchObject({ code: 'HOST_KEY_MISMATCH', message: expect.stringContaining(`presents host key ssh-ed25519 ${sshd.hostKeyFingerprint}, not the pinned ${wrong}`) });
    await expect(open(baseUrl(), { fingerprint: 'MD5:aa:bb' })).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringMatching(/is not a host key fingerprint/) });
  });

  it('takes the fingerprint from the URL query, for one-off command lines', async () => {
    const url = `${baseUrl()}?fingerprint=${encodeURIComponent(sshd.hostKeyFingerprint)}&keyFile=${encodeURIComponent(sshd.privateKeyPath)}`;
    const exporter = await Exporter.create([cloudSftp()]);
    const service = await exporter.storage.open(url, { env: { HOME: work }, signal });
    services.push(service);
    expect(service.url).not.toContain('?');
    await service.put('q.txt', Readable.from([Buffer.from('q')]), { signal });
  });

  it('skips the check only when told `insecure: true`, and warns with the fingerprint', async () => {
    const warnings: string[] = [];
    const backend = createSftpBackend('cloud-sftp', { keyFile: sshd.privateKeyPath, insecure: true }, { warn: (message) => warnings.push(message) });
    const service = await backend.open(new URL(baseUrl()), { env: { HOME: work }, signal, options: {} });
    services.push(service);
    expect(warnings).toEqual([expect.stringContaining(`host key NOT checked (insecure: true); the server presented ssh-ed25519 ${sshd.hostKeyFingerprint}`)]);
  });
});

describe('cloud-sftp authentication', () => {
  it('refuses a key the server does not accept, saying what was tried', async () => {
    const failure = await open(baseUrl(), { keyFile: sshd.otherPrivateKeyPath }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'ExportError', code: 'AUTH' });
    expect(String((failure as Error).message)).toBe(`${baseUrl(`${sshd.root}/run-${counter}`)}/: the server refused to log in ${sshd.user} (tried key ${sshd.otherPrivateKeyPath})`);
  });

  it('refuses a password in the URL without repeating it', async () => {
    const url = `sftp://${sshd.user}:hunter2@127.0.0.1:${sshd.port}/x`;
    const failure = await open(url).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'ConfigError', message: expect.stringMatching(/a password in the URL is refused/) });
    expect(JSON.stringify({ message: (failure as Error).message, hint: (failure as { hint: string }).hint })).not.toContain('hunter2');
  });

  it('says how to give credentials when there are none', async () => {
    const home = await mkdtemp(join(work, 'nokeys-'));
    const exporter = await Exporter.create([cloudSftp({ knownHosts: sshd.knownHostsPath })]);
    await expect(exporter.storage.open(baseUrl(), { env: { HOME: home }, signal })).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/no credentials to log in as/),
      hint: expect.stringMatching(/keyFile.*SSH_AUTH_SOCK.*HYPEREXPORT_SFTP_PASSWORD/),
    });
  });

  it('uses the default identity ~/.ssh/id_ed25519 when nothing else is given', async () => {
    const home = await mkdtemp(join(work, 'home-'));
    await exec('mkdir', ['-p', join(home, '.ssh')]);
    await exec('cp', [sshd.privateKeyPath, join(home, '.ssh', 'id_ed25519')]);
    await exec('cp', [sshd.knownHostsPath, join(home, '.ssh', 'known_hosts')]);
    const exporter = await Exporter.create([cloudSftp()]);
    const service = await exporter.storage.open(baseUrl(), { env: { HOME: home }, signal });
    services.push(service);
    await service.put('default.txt', Readable.from([Buffer.from('ok')]), { signal });
  });

  it('logs in with a key held by ssh-agent (SSH_AUTH_SOCK)', async () => {
    const socket = join(work, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let attempt = 0; attempt < 100 && !existsSync(socket); attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
      await exec('ssh-add', [sshd.privateKeyPath], { env: { SSH_AUTH_SOCK: socket } });
      const exporter = await Exporter.create([cloudSftp({ knownHosts: sshd.knownHostsPath })]);
      const service = await exporter.storage.open(baseUrl(), { env: { HOME: work, SSH_AUTH_SOCK: socket }, signal });
      services.push(service);
      await service.put('agent.txt', Readable.from([Buffer.from('via agent')]), { signal });
      expect((await readAll(await service.get('agent.txt', { signal }))).toString()).toBe('via agent');
    } finally {
      agent.kill();
    }
  });

  it('explains an encrypted key without its passphrase', async () => {
    const encrypted = join(work, 'encrypted_key');
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-f', encrypted]);
    await expect(open(baseUrl(), { keyFile: encrypted })).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringMatching(/is encrypted and no passphrase was given/) });
    await expect(open(baseUrl(), { keyFile: encrypted }, { HOME: work, HYPEREXPORT_SFTP_KEY_PASSPHRASE: 'wrong' })).rejects.toMatchObject({ message: expect.stringMatching(/the passphrase given does not open it/) });
  });
});

describe('cloud-sftp failures', () => {
  it('sshd killed mid-upload: a clear error, no final file, the partial hidden; a later put overwrites it', async () => {
    const directory = `${sshd.root}/run-${++counter}`;
    const service = await open(baseUrl(directory));
    let sent = 0;
    let killed: Promise<void> | undefined;
    const body = new Readable({
      read() {
        if (sent === 4 * 1024 * 1024 && !killed) killed = sshd.kill();
        if (sent >= 64 * 1024 * 1024) return this.push(null);
        sent += 256 * 1024;
        this.push(randomBytes(256 * 1024));
      },
    });
    let failure: unknown;
    try {
      await service.put('dies.vmdk', body, { signal });
    } catch (error) {
      failure = error;
    } finally {
      await killed;
      await sshd.restart();
    }
    expect(failure).toMatchObject({ name: 'ExportError', code: 'UNREACHABLE' });
    expect(String((failure as Error).message)).toMatch(new RegExp(`^uploading dies\\.vmdk to sftp://.*: the connection to 127\\.0\\.0\\.1 was lost`));
    expect(existsSync(join(directory, 'dies.vmdk'))).toBe(false);
    // The partial file may stay (the connection was gone before it could be removed): hidden.
    expect((await filesUnder(directory)).filter((name) => !name.startsWith('.'))).toEqual([]);
    // The service connects again by itself; the listing does not show the partial file.
    expect(await listKeys(service, '')).toEqual([]);
    const content = randomBytes(1024 * 1024);
    await service.put('dies.vmdk', Readable.from([content]), { signal });
    expect((await readFile(join(directory, 'dies.vmdk'))).equals(content)).toBe(true);
    expect(await filesUnder(directory)).toEqual(['.dies.vmdk.meta.json', 'dies.vmdk']);
  });
});

describe('cloud-sftp: exports through store-remote', () => {
  let vm: MadeVm;
  beforeAll(async () => {
    vm = await makeVmFolder(join(work, 'vms', 'web01'), 'web01', [3, 2]);
  });
  const spec = (...targets: string[]): JobSpec => ({ source: vm.directory, format: 'ovf', parallel: 2, overwrite: false, extra: { targets } });
  const exporter = () => Exporter.create([sourceLocal(), storeLocal(), storeRemote(), cloudSftp({ keyFile: sshd.privateKeyPath, knownHosts: sshd.knownHostsPath })]);

  it('streams an export with two disks to two targets at once; each lists, reads back byte for byte, and deletes', async () => {
    const directories = [`${sshd.root}/run-${++counter}`, `${sshd.root}/run-${++counter}`];
    const result = await runJob(await exporter(), spec(...directories.map((directory) => baseUrl(directory))));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    for (const directory of directories) {
      const service = await open(baseUrl(directory));
      const keys = await listKeys(service, '');
      expect(keys).toEqual(['web01.ovf.hyperexport.json', 'web01/web01.mf', 'web01/web01.ovf', 'web01/web01.vmdk', 'web01/web01_1.vmdk']);
      for (const disk of vm.disks) {
        expect((await readAll(await service.get(`web01/${basename(disk)}`, { signal }))).equals(await readFile(disk))).toBe(true);
        expect((await readFile(join(directory, 'web01', basename(disk)))).equals(await readFile(disk))).toBe(true);
      }
      for (const key of keys) await service.delete(key, { signal });
      expect(await filesUnder(directory)).toEqual([]);
    }
  });

  it('fails the export when sshd dies mid-upload, and no export appears', async () => {
    const directory = `${sshd.root}/run-${++counter}`;
    // Kill sshd once a disk has started to arrive on the server.
    const watcher = setInterval(() => {
      const partial = join(directory, 'web01', '.web01.vmdk.partial');
      if (existsSync(partial) && statSync(partial).size > 0 && !killed) killed = sshd.kill();
    }, 5);
    let killed: Promise<void> | undefined;
    let result: JobResult;
    try {
      // Read the source at 2 MB/s, so the upload is surely under way when sshd dies.
      const slow = await Exporter.create([sourceLocal(), storeLocal(), storeRemote(), bandwidth(), cloudSftp({ keyFile: sshd.privateKeyPath, knownHosts: sshd.knownHostsPath })]);
      result = await runJob(slow, { ...spec(baseUrl(directory)), extra: { targets: [baseUrl(directory)], bwlimit: '2M' } });
    } finally {
      clearInterval(watcher);
      await killed;
      if (killed) await sshd.restart();
    }
    expect(killed).toBeDefined();
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/the connection to 127\.0\.0\.1 was lost/);
    expect(existsSync(join(directory, 'web01.ovf.hyperexport.json'))).toBe(false);
    const service = await open(baseUrl(directory));
    expect(await listKeys(service, '')).not.toContain('web01.ovf.hyperexport.json');
    expect(await listKeys(service, '')).not.toContain('web01/web01.vmdk');
  });
});
