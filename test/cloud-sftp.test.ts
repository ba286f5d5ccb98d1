// cloud-sftp against Debian's OpenSSH sshd, started on a loopback port with a temporary host key
// and user key (test/support/sshd.ts; needs root, as CI has). Covers the storage conformance
// suite, host key checking (known_hosts, hashed entries, pinned fingerprints, unknown and
// changed keys), authentication (key file, ssh-agent, a refused key, no credentials), passwords
// refused in URLs, and a server killed mid-upload.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
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
  sshd = await startSshd({ passwordUser: true });
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
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(directory.length + 1))
    .sort();
}

/** Polls until `condition` holds (the server works at its own pace), failing after 10 s. */
async function waitFor(condition: () => Promise<boolean>, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
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
    expect(await service.stat('vm1/disk1.vmdk', { signal })).toMatchObject({
      size: content.length,
      sha256: result.sha256,
      metadata: { 'hyperexport-job': 'j1' },
    });
  });

  it('replaces an existing object atomically, and a partial file left over does not get in the way', async () => {
    const directory = `${sshd.root}/run-${++counter}`;
    const service = await open(baseUrl(directory));
    await service.put('a.bin', Readable.from([Buffer.from('old contents')]), { signal });
    // The fixed partial name of earlier versions, and one of this version, left by dead connections.
    await writeFile(join(directory, '.a.bin.partial'), 'left over by a dead connection');
    await writeFile(join(directory, '.a.bin.00112233aabbccdd.partial'), 'left over too');
    await service.put('a.bin', Readable.from([Buffer.from('new')]), { signal });
    expect(await readFile(join(directory, 'a.bin'), 'utf8')).toBe('new');
    expect(await listKeys(service, '')).toEqual(['a.bin']);
  });

  it('writes each put to a partial file of its own, so a restarted upload does not race its cancelled first one', async () => {
    const directory = `${sshd.root}/run-${++counter}`;
    const service = await open(baseUrl(directory));
    const partials = async () => (await readdir(directory).catch(() => [] as string[])).filter((name) => name.endsWith('.partial')).sort();
    // The first attempt sends 1 MiB and then waits, as a source that stalls before it is cancelled.
    const first = new AbortController();
    const firstBody = new Readable({ read() {} });
    firstBody.push(randomBytes(1024 * 1024));
    const firstPut = service.put('disk.vmdk', firstBody, { signal: first.signal });
    const firstOutcome = firstPut.then(
      () => 'stored',
      (error: unknown) => error,
    );
    await waitFor(async () => (await partials()).length === 1 && statSync(join(directory, (await partials())[0]!)).size === 1024 * 1024);
    const [firstPartial] = await partials();
    expect(firstPartial).toMatch(/^\.disk\.vmdk\.[0-9a-f]{16}\.partial$/);

    // The restarted upload begins before the first one is cancelled and cleans up.
    const content = randomBytes(3 * 1024 * 1024 + 11);
    const secondBody = new Readable({ read() {} });
    secondBody.push(content.subarray(0, 512 * 1024));
    const secondPut = service.put('disk.vmdk', secondBody, { signal });
    const secondOutcome = secondPut.catch((error: unknown) => error);
    const holdsSecond = async () => {
      for (const name of await partials()) if (statSync(join(directory, name), { throwIfNoEntry: false })?.size === 512 * 1024) return name;
      return undefined;
    };
    await waitFor(async () => (await holdsSecond()) !== undefined, 'the second upload to write its first bytes');
    const secondPartial = (await holdsSecond())!;
    // Hidden while in progress.
    expect(await listKeys(service, '')).toEqual([]);

    // The cancelled first attempt cleans up its own partial file, not the second's.
    first.abort(new Error('the first attempt was cancelled'));
    expect(await firstOutcome).toMatchObject({ message: 'the first attempt was cancelled' });
    expect(await partials()).toEqual([secondPartial]);
    expect(secondPartial).not.toBe(firstPartial);

    secondBody.push(content.subarray(512 * 1024));
    secondBody.push(null);
    expect(await secondOutcome).toMatchObject({ size: content.length, sha256: createHash('sha256').update(content).digest('hex') });
    expect((await readFile(join(directory, 'disk.vmdk'))).equals(content)).toBe(true);
    expect(await filesUnder(directory)).toEqual(['.disk.vmdk.meta.json', 'disk.vmdk']);
  });

  it('removes partial files nobody has written to for an hour (their uploads are gone), and no others', async () => {
    const directory = `${sshd.root}/run-${++counter}`;
    const service = await open(baseUrl(directory));
    await service.put('vm/keep.txt', Readable.from([Buffer.from('first')]), { signal });
    const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3600_000);
    const plant = async (path: string, age: Date) => {
      await writeFile(join(directory, path), 'left by a dead connection');
      await utimes(join(directory, path), age, age);
    };
    await plant('vm/.disk.vmdk.0123456789abcdef.partial', hoursAgo(2));
    await plant('vm/.other.ova.partial', hoursAgo(30));
    await plant('vm/.live.vmdk.fedcba9876543210.partial', hoursAgo(0.5));
    // Another folder is not this put's business.
    await plant('.elsewhere.vmdk.0123456789abcdef.partial', hoursAgo(5));
    // A listing never shows a partial file, stale or not.
    expect(await listKeys(service, '')).toEqual(['vm/keep.txt']);

    await service.put('vm/disk.vmdk', Readable.from([Buffer.from('disk')]), { signal });
    expect(await filesUnder(directory)).toEqual([
      '.elsewhere.vmdk.0123456789abcdef.partial',
      'vm/.disk.vmdk.meta.json',
      'vm/.keep.txt.meta.json',
      'vm/.live.vmdk.fedcba9876543210.partial',
      'vm/disk.vmdk',
      'vm/keep.txt',
    ]);
    expect(await listKeys(service, '')).toEqual(['vm/disk.vmdk', 'vm/keep.txt']);
  });

  it('keeps memory flat: the source is read at most a few MiB ahead of what the server wrote', async () => {
    const directory = `${sshd.root}/run-${++counter}`;
    const service = await open(baseUrl(directory));
    // The upload's own partial file (its name has a random part).
    const partialOf = () => readdirSync(directory, { withFileTypes: true }).find((entry) => /^\.flat\.bin\.[0-9a-f]{16}\.partial$/.test(entry.name));
    const piece = randomBytes(256 * 1024);
    const total = 48 * 1024 * 1024;
    let produced = 0;
    let worstLead = 0;
    const body = new Readable({
      highWaterMark: 256 * 1024,
      read() {
        const partial = existsSync(directory) ? partialOf() : undefined;
        const written = partial ? statSync(join(directory, partial.name)).size : 0;
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
    await expect(service.put('vm/c.vmdk', Readable.from([randomBytes(1000)]), { signal, size: 2000 })).rejects.toMatchObject({
      code: 'VERIFY',
      message: expect.stringContaining('the stream gave 1000 bytes, 2000 were announced'),
      hint: 'the source changed or was cut short; the partial file was removed',
    });
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
    await expect(open(baseUrl(), { fingerprint: wrong })).rejects.toMatchObject({
      code: 'HOST_KEY_MISMATCH',
      message: expect.stringContaining(`presents host key ssh-ed25519 ${sshd.hostKeyFingerprint}, not the pinned ${wrong}`),
    });
    await expect(open(baseUrl(), { fingerprint: 'MD5:aa:bb' })).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/is not a host key fingerprint/),
    });
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
    expect(String((failure as Error).message)).toBe(
      `${baseUrl(`${sshd.root}/run-${counter}`)}/: the server refused to log in ${sshd.user} (tried key ${sshd.otherPrivateKeyPath})`,
    );
  });

  it('refuses a password in the URL without repeating it', async () => {
    const url = `sftp://${sshd.user}:hunter2@127.0.0.1:${sshd.port}/x`;
    const failure = await open(url).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'ConfigError', message: expect.stringMatching(/a password in the URL is refused/) });
    expect(JSON.stringify({ message: (failure as Error).message, hint: (failure as { hint: string }).hint })).not.toContain('hunter2');
  });

  it('logs in with a password (HYPEREXPORT_SFTP_PASSWORD or passwordFile) as a user the server knows by its password only', async () => {
    const user = sshd.passwordUser!;
    const home = await mkdtemp(join(work, 'nokeys-'));
    const url = `sftp://${user.name}@127.0.0.1:${sshd.port}${user.home}/exports`;
    const exporter = await Exporter.create([cloudSftp({ knownHosts: sshd.knownHostsPath })]);
    const service = await exporter.storage.open(url, { env: { HOME: home, HYPEREXPORT_SFTP_PASSWORD: user.password }, signal });
    services.push(service);
    await service.put('pw.txt', Readable.from([Buffer.from('by password')]), { signal });
    expect((await readAll(await service.get('pw.txt', { signal }))).toString()).toBe('by password');
    // Written by that user on the server, not by the one running the tests.
    expect(statSync(join(user.home, 'exports', 'pw.txt')).uid).toBe(user.uid);

    const passwordFile = join(home, 'sftp-password');
    await writeFile(passwordFile, `${user.password}\n`, { mode: 0o600 });
    const fromFile = await Exporter.create([cloudSftp({ knownHosts: sshd.knownHostsPath, passwordFile })]);
    const viaFile = await fromFile.storage.open(url, { env: { HOME: home }, signal });
    services.push(viaFile);
    expect(await listKeys(viaFile, '')).toEqual(['pw.txt']);

    const failure = await exporter.storage
      .open(url, { env: { HOME: home, HYPEREXPORT_SFTP_PASSWORD: `${user.password}-wrong` }, signal })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      name: 'ExportError',
      code: 'AUTH',
      message: `sftp://${user.name}@127.0.0.1:${sshd.port}${user.home}/exports/: the server refused to log in ${user.name} (tried password)`,
    });
    expect(JSON.stringify({ message: (failure as Error).message, hint: (failure as { hint?: string }).hint })).not.toContain(user.password);
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
    const directory = `${sshd.root}/run-${++counter}`;
    const service = await exporter.storage.open(baseUrl(directory), { env: { HOME: home }, signal });
    services.push(service);
    expect(await service.put('default.txt', Readable.from([Buffer.from('ok')]), { signal })).toMatchObject({ key: 'default.txt', size: 2 });
    expect(await readFile(join(directory, 'default.txt'), 'utf8')).toBe('ok');
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
    await expect(open(baseUrl(), { keyFile: encrypted })).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/is encrypted and no passphrase was given/),
    });
    await expect(open(baseUrl(), { keyFile: encrypted }, { HOME: work, HYPEREXPORT_SFTP_KEY_PASSPHRASE: 'wrong' })).rejects.toMatchObject({
      message: expect.stringMatching(/the passphrase given does not open it/),
    });
  });
});

describe('cloud-sftp failures', () => {
  it('sshd killed mid-upload: a clear error, no final file, the partial hidden; a later put still works', async () => {
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
    // The dead upload's partial file (if it stayed) is still hidden, and goes once it is stale.
    expect((await filesUnder(directory)).filter((name) => !/^\.dies\.vmdk\.[0-9a-f]{16}\.partial$/.test(name))).toEqual(['.dies.vmdk.meta.json', 'dies.vmdk']);
    expect(await listKeys(service, '')).toEqual(['dies.vmdk']);
  });
});

describe('cloud-sftp: exports through store-remote', () => {
  let vm: MadeVm;
  beforeAll(async () => {
    vm = await makeVmFolder(join(work, 'vms', 'web01'), 'web01', [3, 2]);
  });
  const spec = (...targets: string[]): JobSpec => ({ source: vm.directory, format: 'ovf', parallel: 2, overwrite: false, extra: { targets } });
  const exporter = () =>
    Exporter.create([sourceLocal(), storeLocal(), storeRemote(), cloudSftp({ keyFile: sshd.privateKeyPath, knownHosts: sshd.knownHostsPath })]);

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
      const folder = join(directory, 'web01');
      const partial = existsSync(folder) ? readdirSync(folder).find((name) => /^\.web01\.vmdk\.[0-9a-f]{16}\.partial$/.test(name)) : undefined;
      if (partial && statSync(join(folder, partial), { throwIfNoEntry: false })?.size && !killed) killed = sshd.kill();
    }, 5);
    let killed: Promise<void> | undefined;
    let result: JobResult;
    try {
      // Read the source at 2 MB/s, so the upload is surely under way when sshd dies.
      const slow = await Exporter.create([
        sourceLocal(),
        storeLocal(),
        storeRemote(),
        bandwidth(),
        cloudSftp({ keyFile: sshd.privateKeyPath, knownHosts: sshd.knownHostsPath }),
      ]);
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
