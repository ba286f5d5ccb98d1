// Malformed flag values are usage errors: exit code 2, a message naming the value, before any
// connection is opened or anything is written. Each plugin's own parser runs in the usage check
// (hooks.checkSettings), so a value no plugin accepts never reaches "pre-export checks failed".
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from './support/cli.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

let work: string;
let vm: MadeVm;
let keyFile: string;
let passphraseFile: string;
/** A TCP server standing in for vCenter: it only counts the connections made to it. */
let vcenter: Server;
let connections = 0;
let vcenterUrl: string;
let counter = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-usage-'));
  vm = await makeVmFolder(join(work, 'vms', 'web01'), 'web01', [1]);
  keyFile = join(work, 'ops.pub.asc');
  await writeFile(keyFile, 'not read: the usage check comes first\n');
  passphraseFile = join(work, 'passphrase');
  await writeFile(passphraseFile, 'correct horse battery staple\n', { mode: 0o600 });
  vcenter = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => vcenter.listen(0, '127.0.0.1', resolve));
  vcenterUrl = `https://127.0.0.1:${(vcenter.address() as AddressInfo).port}/sdk`;
});

afterAll(async () => {
  await new Promise((resolve) => vcenter?.close(resolve));
  await rm(work, { recursive: true, force: true });
});

const govcEnv = () => ({ GOVC_URL: vcenterUrl, GOVC_USERNAME: 'backup', GOVC_PASSWORD: 'env-secret', GOVC_INSECURE: '1' });

/** Runs a vSphere export with `args`; expects exit 2, `message` on stderr, no connection, no output. */
async function expectUsageError(args: string[], message: RegExp, options: { validateOnly?: boolean } = {}) {
  const output = join(work, `out-${++counter}`);
  const before = connections;
  const run = await runCli(['export', '--vm', '/DC0/vm/web01', '--output', output, ...args, ...(options.validateOnly ? ['--validate-only'] : [])], {
    cwd: work,
    env: govcEnv(),
  });
  expect(run.stderr).toMatch(message);
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr).not.toContain('pre-export checks failed');
  expect(connections - before, 'connections made to vCenter').toBe(0);
  await expect(readdir(output)).rejects.toMatchObject({ code: 'ENOENT' });
  return run;
}

describe('a malformed flag value is a usage error before any connection (exit 2)', () => {
  it.each([
    [['--compress', 'zstd:99'], /bad compression "zstd:99": zstd levels are 1 to 19/],
    [['--compress', 'lz4'], /bad compression "lz4": unknown algorithm/],
    [['--bwlimit', 'foo'], /bad bandwidth limit "foo": at character 1, "foo" is not a rate/],
    [['--bwlimit', '25:00,1M'], /bad bandwidth limit "25:00,1M": at character 1, "25:00" is not a time of day/],
    [['--upload', 'ftp://x/y'], /no configured plugin stores to ftp:\/\/ URLs \(ftp:\/\/x\/y\)/],
    [['--upload', 's3://'], /"" in s3:\/\/ is not a bucket name/],
    [['--upload', 's3://bucket/vms?storageClass=COLD&nope=1'], /invalid options in the query of s3:\/\/bucket\/vms/],
    [['--notify', 'http://127.0.0.1:9/'], /no notifier handles http:\/\/127\.0\.0\.1:9\/\*\*\*/],
    [
      ['--notify', 'slack://hooks.slack.com/services/T000/B000/XXXX'],
      /slack:\/\/hooks\.slack\.com\/\*\*\*: the Slack webhook URL must not be written into a slack:\/\/ URL on the command line/,
    ],
    [['--name', ''], /the export name "" is not a file name/],
    [['--name', '..'], /the export name "\.\." is not a file name/],
    [['--name', '../x'], /the export name "\.\.\/x" has a path separator in it/],
    [['--tag', ''], /an empty --tag was given/],
    [['--thumbprint', 'nope'], /thumbprint "nope" is neither a SHA-1 \(40 hex digits\) nor a SHA-256/],
    [['--keep-local=maybe', '--upload', 'file:///tmp'], /--keep-local=maybe is not true or false/],
  ])('%j', async (args, message) => {
    await expectUsageError(args, message);
  });

  it('--validate-only reports the same usage errors (it no longer passes --upload s3://)', async () => {
    await expectUsageError(['--upload', 's3://'], /"" in s3:\/\/ is not a bucket name/, { validateOnly: true });
    await expectUsageError(['--compress', 'lz4'], /bad compression "lz4"/, { validateOnly: true });
  });

  it('vms --thumbprint nope exits 2, like export, before connecting', async () => {
    const before = connections;
    const run = await runCli(['vms', '--thumbprint', 'nope'], { cwd: work, env: govcEnv() });
    expect(run.stderr).toMatch(/thumbprint "nope" is neither a SHA-1/);
    expect(run.code, run.stderr).toBe(2);
    expect(connections - before).toBe(0);
  });
});

describe('credentials in --url (item 9)', () => {
  it('a password in --url is refused (it is visible in ps) and printed nowhere, by export and vms', async () => {
    const url = vcenterUrl.replace('https://', 'https://admin:PASSWORD-in-argv@');
    const run = await expectUsageError(['--url', url, '--json'], /--url https:\/\/admin:\*\*\*@127\.0\.0\.1:\d+\/sdk has a password in it/);
    expect(run.stdout + run.stderr).not.toContain('PASSWORD-in-argv');
    expect(run.events.find((event) => event.type === 'error')).toMatchObject({ exitCode: 2, code: 'CONFIG' });

    const before = connections;
    const vms = await runCli(['vms', '--url', url], { cwd: work, env: {} });
    expect(vms.code, vms.stderr).toBe(2);
    expect(vms.stdout + vms.stderr).not.toContain('PASSWORD-in-argv');
    expect(connections - before).toBe(0);
  });

  it('a password in GOVC_URL (as govc allows) is used, and no event prints it', async () => {
    const before = connections;
    const run = await runCli(['export', '--vm', '/DC0/vm/web01', '--output', join(work, 'govc-url'), '--json'], {
      cwd: work,
      env: { GOVC_URL: vcenterUrl.replace('https://', 'https://admin:PASSWORD-in-env@'), GOVC_INSECURE: '1' },
    });
    // The stand-in server hangs up: the export fails (exit 1) having tried to connect.
    expect(run.code, run.stderr).toBe(1);
    expect(connections - before, 'connections made to vCenter').toBeGreaterThan(0);
    expect(run.events.some((event) => event.type === 'job:start')).toBe(true);
    expect(run.stdout + run.stderr).not.toContain('PASSWORD-in-env');
  });
});

describe('settings that contradict each other or would be silently dropped', () => {
  it('--stream-upload with --output is refused, naming the conflict (item 10)', async () => {
    const target = join(work, 'stream-target');
    await mkdir(target);
    const run = await expectUsageError(
      ['--upload', `file://${target}`, '--stream-upload'],
      /--stream-upload sends the export only to the upload targets, with no local copy, but the output directory .* asks for a local copy too/,
    );
    expect(run.stderr).toMatch(/drop the output directory to stream with no local copy, or drop --stream-upload/);
    expect(await readdir(target)).toEqual([]);
  });

  it('--recipient without --encrypt pgp, or with --encrypt aes, is refused, never a plain export (item 11)', async () => {
    await expectUsageError(['--recipient', keyFile], /--recipient was given, but encryption was not asked for\nhint: add --encrypt pgp/);
    await expectUsageError(['--encrypt', 'aes', '--recipient', keyFile], /--recipient is for --encrypt pgp, but --encrypt aes was given/);
    await expectUsageError(['--key-file', keyFile], /--key-file was given, but encryption was not asked for\nhint: add --encrypt aes/);
    await expectUsageError(['--passphrase-file', passphraseFile], /--passphrase-file was given, but encryption was not asked for/);
  });

  it('--passphrase-file with OpenPGP enabled by the config alone encrypts with it (item 12)', async () => {
    await mkdir(join(REPO_ROOT, '.tmp'), { recursive: true });
    const configDirectory = await mkdtemp(join(REPO_ROOT, '.tmp', 'usage-config-'));
    try {
      const config = join(configDirectory, 'pgp.config.json');
      await writeFile(config, JSON.stringify({ plugins: [['@hyperexport/encrypt-pgp', { symmetric: true }]] }));
      const output = join(work, 'pgp-config');
      const run = await runCli(
        ['export', '--config', config, '--source', vm.directory, '--format', 'ovf', '--output', output, '--passphrase-file', passphraseFile],
        { cwd: work },
      );
      expect(run.code, run.stderr).toBe(0);
      expect((await readdir(join(output, 'web01'))).sort()).toEqual(['web01.mf', 'web01.ovf.gpg', 'web01.vmdk.gpg']);
    } finally {
      await rm(configDirectory, { recursive: true, force: true });
    }
  });
});

describe('retention apply --target', () => {
  it('a folder that does not exist is an error, not "no exports found" and exit 0', async () => {
    const missing = join(work, 'no-such-folder');
    const run = await runCli(['retention', 'apply', '--target', missing, '--keep-last', '1', '--dry-run'], { cwd: work });
    expect(run.code, run.stdout).toBe(2);
    expect(run.stderr).toContain(`error: the target ${missing} does not exist`);
    expect(run.stdout).not.toContain('no exports found');
    // An empty folder that exists is fine: nothing to rotate there.
    const empty = join(work, 'empty-folder');
    await mkdir(empty);
    const ok = await runCli(['retention', 'apply', '--target', empty, '--keep-last', '1', '--dry-run'], { cwd: work });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('no exports found');
  });
});
