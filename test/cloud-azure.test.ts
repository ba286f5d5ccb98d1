// The Azure Blob backend against Azurite, Microsoft's own emulator, started here on loopback
// ports: the shared storage conformance suite, block uploads, every way to authenticate, a server
// killed mid-upload, and the errors users meet (wrong key, missing container, unreachable host).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BlobServiceClient, ContainerSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exporter } from '@hyperexport/core';
import type { StorageService } from '@hyperexport/core';
import cloudAzure from '@hyperexport/cloud-azure';
import type { AzureOptions } from '@hyperexport/cloud-azure';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from './support/azurite.ts';
import type { Azurite } from './support/azurite.ts';
import { cancellationReason, describeStorageConformance, listKeys, readAll, unknownLengthStream } from './support/storage-conformance.ts';

const MiB = 1024 * 1024;
const signal = new AbortController().signal;
// Retries stay on (they are part of what is tested) but short, so failures surface quickly.
const FAST_RETRIES: AzureOptions = { maxTries: 2, retryDelayMs: 50 };

let azurite: Azurite;
let sdk: BlobServiceClient;
let exporter: Exporter;

beforeAll(async () => {
  azurite = await startAzurite();
  sdk = BlobServiceClient.fromConnectionString(azurite.connectionString);
  for (const name of ['conformance', 'exports', 'tiers']) await sdk.getContainerClient(name).create();
  exporter = await Exporter.create([cloudAzure({ blockSizeMiB: 1, concurrency: 3, ...FAST_RETRIES })]);
});

afterAll(async () => {
  await azurite?.stop();
});

/** Opens a target through the registry, as the store stage and `hyperexport remote` do. */
function open(
  url: string,
  env: NodeJS.ProcessEnv = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
  options: Record<string, unknown> = {},
): Promise<StorageService> {
  return exporter.storage.open(url, { env, options });
}

function uniquePrefix(): string {
  return `run-${randomBytes(4).toString('hex')}`;
}

/** A body of `total` bytes in 1 MiB chunks that calls `onChunk` before each one. */
function slowBody(total: number, onChunk: (sent: number) => void): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      onChunk(sent);
      sent += MiB;
      this.push(randomBytes(MiB));
    },
  });
}

// 5.5 MiB with 1 MiB blocks: six blocks, staged three at a time, then one commit.
describeStorageConformance('cloud-azure (Azurite)', {
  open: () => open(`azure://${AZURITE_ACCOUNT}/conformance/${uniquePrefix()}`),
  largeSize: 5.5 * MiB,
});

describe('cloud-azure: block uploads', () => {
  let container: ContainerClient;
  beforeAll(() => {
    container = sdk.getContainerClient('exports');
  });

  it('commits a stream of unknown length as a block list carrying its SHA-256 and content type', async () => {
    const prefix = uniquePrefix();
    const service = await open(`azure://${AZURITE_ACCOUNT}/exports/${prefix}`);
    const content = randomBytes(3 * MiB + 12345);
    const progress: number[] = [];
    const result = await service.put('vm/disk.vmdk', unknownLengthStream(content), {
      signal,
      contentType: 'application/x-vmdk',
      onProgress: (bytes) => progress.push(bytes),
    });
    const sha256 = createHash('sha256').update(content).digest('hex');
    expect(result).toMatchObject({ key: 'vm/disk.vmdk', size: content.length, sha256 });

    const blob = container.getBlockBlobClient(`${prefix}/vm/disk.vmdk`);
    const blocks = await blob.getBlockList('all');
    expect(blocks.committedBlocks?.map((block) => block.size)).toEqual([MiB, MiB, MiB, 12345]);
    expect(blocks.uncommittedBlocks).toEqual([]);
    const properties = await blob.getProperties();
    expect(properties.metadata?.['sha256']).toBe(sha256);
    expect(properties.contentType).toBe('application/x-vmdk');
    expect(progress.at(-1)).toBe(content.length);
    expect((await service.stat('vm/disk.vmdk', { signal }))?.sha256).toBe(sha256);
  });

  it('grows the blocks when the announced size would not fit 50,000 of them', async () => {
    const prefix = uniquePrefix();
    const service = await open(`azure://${AZURITE_ACCOUNT}/exports/${prefix}`);
    const content = randomBytes(2 * MiB + 1);
    await service.put('sized.bin', Readable.from([content]), { signal, size: content.length });
    // 2 MiB + 1 byte in 1 MiB blocks: three blocks (the size needs no growth).
    expect((await container.getBlockBlobClient(`${prefix}/sized.bin`).getBlockList('committed')).committedBlocks).toHaveLength(3);
    await expect(service.put('short.bin', Readable.from([content]), { signal, size: content.length + 1 })).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    expect(await service.stat('short.bin', { signal })).toBeUndefined();
  });

  it('puts a small object in a single request, which Azure checksums itself (Content-MD5)', async () => {
    const prefix = uniquePrefix();
    const service = await open(`azure://${AZURITE_ACCOUNT}/exports/${prefix}`);
    const small = Buffer.from('<Envelope/>\n');
    const result = await service.put('vm.ovf', Readable.from([small]), { signal, contentType: 'text/xml' });
    expect(result.etag).toBe(createHash('md5').update(small).digest('hex'));
    expect((await container.getBlockBlobClient(`${prefix}/vm.ovf`).getBlockList('all')).committedBlocks).toEqual([]);
    const empty = await service.put('empty', Readable.from([]), { signal });
    expect(empty.size).toBe(0);
    expect((await readAll(await service.get('empty', { signal }))).length).toBe(0);
  });

  it('leaves only uncommitted blocks, which no listing shows, when aborted after blocks were staged', async () => {
    const prefix = uniquePrefix();
    const service = await open(`azure://${AZURITE_ACCOUNT}/exports/${prefix}`);
    const controller = new AbortController();
    const reason = new Error('cancelled by the test');
    let staged = 0;
    const body = slowBody(64 * MiB, (sent) => {
      if (sent >= 6 * MiB && staged >= 2 * MiB) controller.abort(reason);
    });
    const failure = await service
      .put('vm/aborted.vmdk', body, {
        signal: controller.signal,
        onProgress: (bytes) => {
          staged = bytes;
        },
      })
      .then(
        () => new Error('the aborted put succeeded'),
        (error: unknown) => error,
      );
    expect(cancellationReason(failure)).toBe(reason);
    // The service did receive blocks: they exist, uncommitted, and are invisible.
    const blocks = await container.getBlockBlobClient(`${prefix}/vm/aborted.vmdk`).getBlockList('uncommitted');
    expect(blocks.uncommittedBlocks?.length).toBeGreaterThanOrEqual(2);
    expect(await service.stat('vm/aborted.vmdk', { signal })).toBeUndefined();
    expect(await listKeys(service, '')).toEqual([]);
    const names: string[] = [];
    for await (const item of container.listBlobsFlat({ prefix })) names.push(item.name);
    expect(names).toEqual([]);
  });

  it('takes a committed blob back when the cancel arrives before the put has verified it', async () => {
    const service = await open(`azure://${AZURITE_ACCOUNT}/exports/${uniquePrefix()}`);
    const controller = new AbortController();
    const reason = new Error('cancelled just after the commit');
    const calls: number[] = [];
    // A small object goes up in one request; progress is reported once, after it is committed.
    const put = service.put('late.json', Readable.from([Buffer.from('{"late":true}')]), {
      signal: controller.signal,
      onProgress: (bytes) => {
        calls.push(bytes);
        controller.abort(reason);
      },
    });
    expect(
      cancellationReason(
        await put.then(
          () => new Error('the cancelled put succeeded'),
          (error: unknown) => error,
        ),
      ),
    ).toBe(reason);
    expect(calls).toEqual([13]);
    expect(await service.stat('late.json', { signal })).toBeUndefined();
  });

  it('sets the access tier from the plugin options, and a target may override it', async () => {
    const prefix = uniquePrefix();
    const coolExporter = await Exporter.create([cloudAzure({ accessTier: 'Cool', blockSizeMiB: 1 })]);
    const env = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString };
    const cool = await coolExporter.storage.open(`azure://${AZURITE_ACCOUNT}/tiers/${prefix}/cool`, { env });
    const cold = await coolExporter.storage.open(`azure://${AZURITE_ACCOUNT}/tiers/${prefix}/cold`, { env, options: { accessTier: 'Cold' } });
    await cool.put('big.bin', unknownLengthStream(randomBytes(2 * MiB + 5)), { signal });
    await cool.put('small.bin', Readable.from([Buffer.from('x')]), { signal });
    await cold.put('big.bin', unknownLengthStream(randomBytes(2 * MiB + 5)), { signal });
    const tiers = sdk.getContainerClient('tiers');
    expect((await tiers.getBlockBlobClient(`${prefix}/cool/big.bin`).getProperties()).accessTier).toBe('Cool');
    expect((await tiers.getBlockBlobClient(`${prefix}/cool/small.bin`).getProperties()).accessTier).toBe('Cool');
    expect((await tiers.getBlockBlobClient(`${prefix}/cold/big.bin`).getProperties()).accessTier).toBe('Cold');
    await expect(coolExporter.storage.open(`azure://${AZURITE_ACCOUNT}/tiers/x`, { env, options: { accessTier: 'Frozen' } })).rejects.toMatchObject({
      code: 'CONFIG',
    });
  });
});

describe('cloud-azure: credentials', () => {
  const content = randomBytes(1.5 * MiB);

  async function roundTrip(service: StorageService): Promise<void> {
    await service.put('auth/check.bin', unknownLengthStream(content), { signal });
    expect((await readAll(await service.get('auth/check.bin', { signal }))).equals(content)).toBe(true);
    expect(await listKeys(service, 'auth/')).toEqual(['auth/check.bin']);
    await service.delete('auth/check.bin', { signal });
  }

  it('works with an account key from AZURE_STORAGE_KEY and the endpoint from HYPEREXPORT_AZURE_ENDPOINT', async () => {
    await roundTrip(
      await open(`azure://${AZURITE_ACCOUNT}/exports/${uniquePrefix()}`, { AZURE_STORAGE_KEY: AZURITE_KEY, HYPEREXPORT_AZURE_ENDPOINT: azurite.endpoint }),
    );
  });

  it('works with a container SAS token from AZURE_STORAGE_SAS_TOKEN and the endpoint option', async () => {
    const sas = generateBlobSASQueryParameters(
      {
        containerName: 'exports',
        permissions: ContainerSASPermissions.parse('racwdl'),
        expiresOn: new Date(Date.now() + 3600_000),
      },
      new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    ).toString();
    await roundTrip(await open(`azure://${AZURITE_ACCOUNT}/exports/${uniquePrefix()}`, { AZURE_STORAGE_SAS_TOKEN: `?${sas}` }, { endpoint: azurite.endpoint }));
  });

  it('works with a connection string read from a file, which wins over the standard variables', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hyperexport-azure-'));
    try {
      const file = join(dir, 'connection-string');
      await writeFile(file, `${azurite.connectionString}\n`, { mode: 0o600 });
      const env = { AZURE_STORAGE_KEY: Buffer.from('not the key').toString('base64') };
      await roundTrip(await open(`azure://${AZURITE_ACCOUNT}/exports/${uniquePrefix()}`, env, { connectionStringFile: file }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an account key that is wrong, naming where it came from and never the key', async () => {
    const wrongKey = Buffer.from('this is not the account key of devstoreaccount1').toString('base64');
    const service = await open(`azure://${AZURITE_ACCOUNT}/exports/${uniquePrefix()}`, { AZURE_STORAGE_KEY: wrongKey }, { endpoint: azurite.endpoint });
    const failure = await service.put('x.bin', unknownLengthStream(content), { signal }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'AUTH', message: expect.stringContaining('AZURE_STORAGE_KEY') });
    expect((failure as Error).message).toMatch(/devstoreaccount1\/exports/);
    expect((failure as { hint: string }).hint).toMatch(/key1 or key2 of the account devstoreaccount1/);
    expect(JSON.stringify({ message: (failure as Error).message, hint: (failure as { hint: string }).hint })).not.toContain(wrongKey);
    await expect(listKeys(service, '')).rejects.toMatchObject({ code: 'AUTH' });
    await expect(service.stat('x.bin', { signal })).rejects.toMatchObject({ code: 'AUTH' });
  });

  it('says a named credential source is missing instead of falling back to another', async () => {
    await expect(
      open(`azure://${AZURITE_ACCOUNT}/exports`, { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString }, { sasTokenEnv: 'MY_SAS' }),
    ).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringContaining('MY_SAS') });
  });

  it('refuses a connection string for another account than the URL names', async () => {
    await expect(open('azure://otheraccount/exports')).rejects.toMatchObject({
      code: 'CONFIG',
      message: expect.stringMatching(/"devstoreaccount1".*"otheraccount"/),
    });
  });

  it('refuses a SAS token in the URL, without repeating it', async () => {
    const failure = await open(`azure://${AZURITE_ACCOUNT}/exports/p?sv=2024-01-01&sp=racwdl&sig=TOPSECRETSIGNATURE`).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'CONFIG', hint: expect.stringContaining('AZURE_STORAGE_SAS_TOKEN') });
    expect(JSON.stringify({ message: (failure as Error).message, hint: (failure as { hint: string }).hint })).not.toContain('TOPSECRET');
  });
});

describe('cloud-azure: wrong targets', () => {
  it('says which container is missing and how to create it', async () => {
    const service = await open(`azure://${AZURITE_ACCOUNT}/no-such-container/exports`);
    const failure = await service.put('vm/disk.vmdk', unknownLengthStream(randomBytes(2 * MiB)), { signal }).catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: 'CONTAINER_NOT_FOUND',
      message: expect.stringContaining('"no-such-container"'),
      hint: expect.stringContaining('az storage container create'),
    });
    // A missing container is a wrong target, not a missing object: stat and get say so too.
    await expect(service.stat('vm/disk.vmdk', { signal })).rejects.toMatchObject({ code: 'CONTAINER_NOT_FOUND' });
    await expect(service.get('vm/disk.vmdk', { signal })).rejects.toMatchObject({ code: 'CONTAINER_NOT_FOUND' });
    await expect(listKeys(service, '')).rejects.toMatchObject({ code: 'CONTAINER_NOT_FOUND' });
    await expect(service.delete('vm/disk.vmdk', { signal })).rejects.toMatchObject({ code: 'CONTAINER_NOT_FOUND' });
  });

  it('says which account and endpoint cannot be reached, after retrying', async () => {
    const closedPort = await freePort();
    const endpoint = `http://127.0.0.1:${closedPort}/${AZURITE_ACCOUNT}`;
    const service = await open(`azure://${AZURITE_ACCOUNT}/exports/p`, { AZURE_STORAGE_KEY: AZURITE_KEY }, { endpoint });
    const failure = await service.put('x.bin', Readable.from([Buffer.from('x')]), { signal }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'UNREACHABLE', hint: expect.stringContaining('endpoint') });
    expect((failure as Error).message).toContain(endpoint);
    expect((failure as Error).message).toContain('account "devstoreaccount1", container "exports"');
    expect((failure as Error).message).toContain('after 2 tries');
    expect((failure as Error).message).not.toContain(AZURITE_KEY);
  });
});

describe('cloud-azure: a server killed mid-upload', () => {
  let location: string;
  let server: Azurite | undefined;

  beforeAll(async () => {
    location = await mkdtemp(join(tmpdir(), 'hyperexport-azurite-crash-'));
  });
  afterAll(async () => {
    await server?.stop();
    await rm(location, { recursive: true, force: true });
  });

  it('fails the put with a clear error, and no blob is there after the server restarts on the same data', async () => {
    // First run: a container and one complete blob, saved by a graceful stop.
    server = await startAzurite({ location });
    await BlobServiceClient.fromConnectionString(server.connectionString).getContainerClient('crash').create();
    const envOf = (instance: Azurite) => ({ AZURE_STORAGE_CONNECTION_STRING: instance.connectionString });
    const url = `azure://${AZURITE_ACCOUNT}/crash/exports`;
    await (await open(url, envOf(server))).put('kept.txt', Readable.from([Buffer.from('kept\n')]), { signal });
    await server.stop();

    // Second run: killed (SIGKILL) once the upload has staged a few blocks.
    server = await startAzurite({ location });
    const dying = server;
    const service = await open(url, envOf(dying));
    let staged = 0;
    let killed: Promise<void> | undefined;
    const body = slowBody(256 * MiB, () => {
      if (staged >= 3 * MiB) killed ??= dying.kill();
    });
    const failure = await service
      .put('vm/disk.vmdk', body, {
        signal,
        onProgress: (bytes) => {
          staged = bytes;
        },
      })
      .catch((error: unknown) => error);
    await killed;
    expect(killed).toBeDefined();
    expect(failure).toMatchObject({ code: 'UNREACHABLE', message: expect.stringContaining('account "devstoreaccount1", container "crash"') });
    expect((failure as Error).message).toContain('azure://devstoreaccount1/crash/exports/vm/disk.vmdk');

    // Third run on the same data: the complete blob survived, the interrupted one never appeared.
    server = await startAzurite({ location });
    const after = await open(url, envOf(server));
    expect(await listKeys(after, '')).toEqual(['kept.txt']);
    expect(await after.stat('vm/disk.vmdk', { signal })).toBeUndefined();
  });
});

/** A loopback port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
