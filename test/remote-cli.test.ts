// Exports sent to real storage servers through the CLI, as a user runs them: streamed to S3
// (s3rver) and Azure Blob (Azurite) at once, browsed, fetched back and deleted with
// `hyperexport remote`, and rotated there with `hyperexport retention apply`.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZURITE_ACCOUNT, startAzurite } from './support/azurite.ts';
import type { Azurite } from './support/azurite.ts';
import { runCli } from './support/cli.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, startS3Server } from './support/s3-server.ts';
import type { S3TestServer } from './support/s3-server.ts';

const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

let work: string;
let vm: MadeVm;
let s3: S3TestServer;
let azurite: Azurite;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-remote-cli-'));
  vm = await makeVmFolder(join(work, 'vms', 'web01'), 'web01', [3, 2]);
  s3 = await startS3Server();
  azurite = await startAzurite();
  await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('exports').create();
  // Credentials come from the standard places (the AWS chain, the Azure connection string), never URLs.
  env = {
    AWS_ACCESS_KEY_ID: S3RVER_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: S3RVER_SECRET_KEY,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
  };
}, 120_000);

afterAll(async () => {
  await s3?.stop();
  await azurite?.stop();
  await rm(work, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(args, { cwd: work, env });
const S3_URL = () => `s3://${s3.bucket}/vms`;
const AZURE_URL = `azure://${AZURITE_ACCOUNT}/exports/vms`;

describe('exports at real storage servers through the CLI', () => {
  it('streams one export to S3 and Azure at once; both hold identical, complete exports', async () => {
    const run = await cli(['export', '--source', vm.directory, '--format', 'ova', '--upload', S3_URL(), '--upload', AZURE_URL, '--stream-upload', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = run.events.at(-1)!;
    expect(result.locations).toEqual([`s3://${s3.bucket}/vms/web01.ova`, `azure://${AZURITE_ACCOUNT}/exports/vms/web01.ova`]);
    expect(run.events.some((event) => event.type === 'target:progress')).toBe(true);

    for (const url of [S3_URL(), AZURE_URL]) {
      const listed = await cli(['remote', 'ls', url, '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.events).toEqual([expect.objectContaining({ type: 'export', vm: 'web01', name: 'web01', format: 'ova' })]);
    }
    const fromS3 = join(work, 'from-s3');
    const fromAzure = join(work, 'from-azure');
    expect((await cli(['remote', 'get', `${S3_URL()}/web01.ova.hyperexport.json`, '--output', fromS3])).code).toBe(0);
    expect((await cli(['remote', 'get', `${AZURE_URL}/web01.ova`, '--output', fromAzure])).code).toBe(0);
    expect((await readdir(fromS3)).sort()).toEqual(['web01.ova', 'web01.ova.hyperexport.json']);
    expect(await sha256(join(fromS3, 'web01.ova'))).toBe(await sha256(join(fromAzure, 'web01.ova')));
    expect(await sha256(join(fromS3, 'web01.ova'))).toBe((result.files as Array<{ sha256: string }>)[0]!.sha256);
  });

  it('remote rm deletes the whole export, and refuses without --yes when there is no terminal', async () => {
    const refused = await cli(['remote', 'rm', `${AZURE_URL}/web01.ova.hyperexport.json`]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--yes/);
    const removed = await cli(['remote', 'rm', `${AZURE_URL}/web01.ova.hyperexport.json`, '--yes']);
    expect(removed.code, removed.stderr).toBe(0);
    const all = await cli(['remote', 'ls', AZURE_URL, '--all', '--json']);
    expect(all.events).toEqual([]);
  });

  it('a wrong key fails the export with a clear message that does not show the secret', async () => {
    const run = await runCli(['export', '--source', vm.directory, '--upload', S3_URL(), '--stream-upload', '--name', 'denied'], {
      cwd: work,
      env: { ...env, AWS_ACCESS_KEY_ID: 'NOT-A-KEY', AWS_SECRET_ACCESS_KEY: 'very-secret-value' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/s3:\/\/|bucket/i);
    expect(run.stderr).not.toContain('very-secret-value');
  });

  it('retention apply rotates exports in the bucket: dry run first, then for real', async () => {
    for (const name of ['web01-a', 'web01-b', 'web01-c']) {
      const run = await cli(['export', '--source', vm.directory, '--format', 'ovf', '--upload', S3_URL(), '--stream-upload', '--name', name, '--quiet']);
      expect(run.code, run.stderr).toBe(0);
    }
    const dry = await cli(['retention', 'apply', '--target', S3_URL(), '--keep-last', '2', '--vm', 'web01', '--dry-run', '--timezone', 'UTC', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const report = dry.events[0] as { dryRun: boolean; timeZone: string; decisions: Array<{ name: string; keep: boolean; reasons: string[] }> };
    expect(report.dryRun).toBe(true);
    expect(report.timeZone).toBe('UTC');
    // web01 (the OVA from the first test) is older than the three OVF exports.
    expect(report.decisions.map((decision) => [decision.name, decision.keep])).toEqual([
      ['web01-c', true],
      ['web01-b', true],
      ['web01-a', false],
      ['web01', false],
    ]);
    const before = await cli(['remote', 'ls', S3_URL(), '--json']);
    expect(before.events).toHaveLength(4);

    const applied = await cli(['retention', 'apply', '--target', S3_URL(), '--keep-last', '2', '--timezone', 'UTC']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/2 export\(s\) deleted, 2 kept/);
    const objects = await cli(['remote', 'ls', S3_URL(), '--all', '--json']);
    const keys = objects.events.map((event) => String(event.key)).sort();
    expect(keys.every((key) => key.startsWith('web01-b') || key.startsWith('web01-c'))).toBe(true);
    expect(keys).toContain('web01-b.ovf.hyperexport.json');
    expect(keys).toContain('web01-c/web01.vmdk');
  });
});
