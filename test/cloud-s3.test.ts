// The s3:// backend against a real S3-compatible server: s3rver, started here on a loopback port
// behind a small front that records requests and injects faults (test/support/s3-server.ts says
// what s3rver supports and what the front adds). Targets are opened the way store-remote opens
// them: through the exporter's storage registry.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exporter, runJob } from '@hyperexport/core';
import type { JobSpec, StorageService } from '@hyperexport/core';
import cloudS3, { S3Backend, partSizeFor } from '@hyperexport/cloud-s3';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import storeRemote from '@hyperexport/store-remote';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';
import { startS3Server } from './support/s3-server.ts';
import type { RecordedRequest, S3TestServer } from './support/s3-server.ts';
import { describeStorageConformance, listKeys, readAll, unknownLengthStream } from './support/storage-conformance.ts';

const MiB = 1024 * 1024;
const PART_SIZE_MIB = 5;
const signal = new AbortController().signal;

let server: S3TestServer;
let exporter: Exporter;
let prefixCounter = 0;

beforeAll(async () => {
  server = await startS3Server();
  exporter = await Exporter.create([cloudS3({ partSizeMiB: PART_SIZE_MIB })]);
});
afterAll(async () => {
  await server?.stop();
});

/** A fresh prefix on the test server, options in the URL's query as `--upload URL` would give them. */
function targetUrl(query = '', on: S3TestServer = server, bucket = on.bucket): string {
  return `s3://${bucket}/run-${process.pid}-${++prefixCounter}/?endpoint=${encodeURIComponent(on.endpoint)}${query}`;
}

async function open(query = '', on: S3TestServer = server): Promise<StorageService> {
  return exporter.storage.open(targetUrl(query, on), { env: on.env });
}

function requestsFor(key: string, operation?: string, on: S3TestServer = server): RecordedRequest[] {
  return on.requests.filter((request) => request.path.endsWith(`/${key}`) && (operation === undefined || request.operation === operation));
}

/** The UploadPart requests of a key in part order (parts go up in parallel and arrive in any order). */
function partsOf(key: string): RecordedRequest[] {
  return requestsFor(key, 'UploadPart').sort((a, b) => Number(a.query.get('partNumber')) - Number(b.query.get('partNumber')));
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The part sizes the backend should cut a stream of `size` bytes into. */
function expectedParts(size: number, initial = PART_SIZE_MIB * MiB): number[] {
  const parts: number[] = [];
  for (let sent = 0; sent < size;) {
    const part = Math.min(partSizeFor(sent, { initial }), size - sent);
    parts.push(part);
    sent += part;
  }
  return parts;
}

describeStorageConformance('s3:// on s3rver', { open: () => open(), largeSize: 12 * MiB + 4321 });

describe('cloud-s3 on s3rver', () => {
  it('sends a stream of unknown length as a multipart upload cut as planned, and gets it back byte for byte', async () => {
    const service = await open();
    const data = randomBytes(23 * MiB + 17);
    const progress: number[] = [];
    const result = await service.put('vm/disk-1.vmdk', unknownLengthStream(data), { signal, onProgress: (bytes) => progress.push(bytes) });

    expect(result).toMatchObject({ key: 'vm/disk-1.vmdk', size: data.length, sha256: sha256(data) });
    const parts = partsOf('vm/disk-1.vmdk');
    expect(parts.map((part) => part.bodyBytes)).toEqual(expectedParts(data.length));
    expect(parts.length).toBeGreaterThan(1);
    expect(requestsFor('vm/disk-1.vmdk', 'CompleteMultipartUpload')).toHaveLength(1);
    expect(requestsFor('vm/disk-1.vmdk', 'PutObject')).toHaveLength(0);
    expect(progress.at(-1)).toBe(data.length);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);

    expect((await readAll(await service.get('vm/disk-1.vmdk', { signal }))).equals(data)).toBe(true);
    expect(await server.pendingUploads()).toEqual([]);
  });

  it('sends a stream that ends within the first part in one request, with its SHA-256 as metadata', async () => {
    const service = await open();
    const data = Buffer.from('<?xml version="1.0"?><Envelope/>\n');
    const result = await service.put('vm/vm.ovf', Readable.from([data]), { signal, contentType: 'application/xml', metadata: { 'hyperexport-job': 'j1' } });

    expect(result.sha256).toBe(sha256(data));
    const [put] = requestsFor('vm/vm.ovf', 'PutObject');
    expect(put?.headers['x-amz-meta-sha256']).toBe(sha256(data));
    expect(requestsFor('vm/vm.ovf', 'CreateMultipartUpload')).toHaveLength(0);
    const info = await service.stat('vm/vm.ovf', { signal });
    expect(info).toMatchObject({ size: data.length, sha256: sha256(data), metadata: { 'hyperexport-job': 'j1', sha256: sha256(data) } });

    const empty = await service.put('vm/empty.txt', Readable.from([]), { signal });
    expect(empty).toMatchObject({ size: 0, sha256: sha256(Buffer.alloc(0)) });
    expect((await readAll(await service.get('vm/empty.txt', { signal }))).length).toBe(0);
  });

  it('keeps a SHA-256 announced in the metadata on a multipart object, and stores nothing when the stream does not match it', async () => {
    const service = await open();
    const data = randomBytes(11 * MiB);
    await service.put('vm/known.vmdk', unknownLengthStream(data), { signal, size: data.length, metadata: { sha256: sha256(data) } });
    expect((await service.stat('vm/known.vmdk', { signal }))?.sha256).toBe(sha256(data));

    const wrong = sha256(Buffer.from('something else'));
    await expect(service.put('vm/corrupt.vmdk', unknownLengthStream(data), { signal, metadata: { sha256: wrong } })).rejects.toMatchObject({ code: 'VERIFY' });
    expect(await service.stat('vm/corrupt.vmdk', { signal })).toBeUndefined();
    expect(requestsFor('vm/corrupt.vmdk', 'AbortMultipartUpload')).toHaveLength(1);
    expect(requestsFor('vm/corrupt.vmdk', 'CompleteMultipartUpload')).toHaveLength(0);
    expect(await server.pendingUploads()).toEqual([]);
  });

  it('uses one part size for the whole object when the size is known', async () => {
    const service = await open('&partSizeMiB=5');
    const data = randomBytes(11 * MiB + 5);
    await service.put('vm/sized.vmdk', unknownLengthStream(data), { signal, size: data.length });
    expect(partsOf('vm/sized.vmdk').map((part) => part.bodyBytes)).toEqual([5 * MiB, 5 * MiB, MiB + 5]);
  });

  it('asks for server-side encryption and the storage class on every object it creates, not on parts', async () => {
    const service = await open('&sse=aws:kms&kmsKeyId=alias/backups&storageClass=STANDARD_IA');
    await service.put('enc/big.vmdk', unknownLengthStream(randomBytes(6 * MiB)), { signal });
    await service.put('enc/small.json', Readable.from([Buffer.from('{}')]), { signal });

    for (const request of [...requestsFor('enc/big.vmdk', 'CreateMultipartUpload'), ...requestsFor('enc/small.json', 'PutObject')]) {
      expect(request.headers).toMatchObject({
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'alias/backups',
        'x-amz-storage-class': 'STANDARD_IA',
      });
    }
    const parts = requestsFor('enc/big.vmdk', 'UploadPart');
    expect(parts).toHaveLength(2);
    // S3 refuses SSE-KMS headers on UploadPart: they belong to CreateMultipartUpload only.
    for (const part of parts) expect(part.headers['x-amz-server-side-encryption']).toBeUndefined();
  });

  it('aborts the multipart upload when the put is cancelled or its source fails, leaving no parts on the server', async () => {
    const service = await open();
    const controller = new AbortController();
    let chunks = 0;
    const stalling = new Readable({
      read() {
        // Two parts' worth, then silence: the cancel must not wait for bytes that never come.
        if (chunks++ < 3) this.push(randomBytes(4 * MiB));
        else controller.abort(new Error('cancelled by the test'));
      },
    });
    await expect(service.put('cancel/disk.vmdk', stalling, { signal: controller.signal })).rejects.toThrow(/cancelled by the test/);
    expect(requestsFor('cancel/disk.vmdk', 'CreateMultipartUpload')).toHaveLength(1);
    expect(requestsFor('cancel/disk.vmdk', 'AbortMultipartUpload')).toHaveLength(1);

    const failing = Readable.from(
      (function* () {
        yield randomBytes(6 * MiB);
        throw new Error('the source broke');
      })(),
    );
    await expect(service.put('fail/disk.vmdk', failing, { signal })).rejects.toThrow(/the source broke/);
    expect(requestsFor('fail/disk.vmdk', 'AbortMultipartUpload')).toHaveLength(1);

    expect(await server.pendingUploads()).toEqual([]);
    expect(await listKeys(service, '')).toEqual([]);
  });

  it('retries a part whose connection was cut, and completes the object intact', async () => {
    const service = await open();
    const data = randomBytes(16 * MiB);
    let cut = false;
    server.faults = (request) => {
      if (cut || request.operation !== 'UploadPart' || request.query.get('partNumber') !== '2') return undefined;
      cut = true;
      return { kind: 'cut', afterBytes: MiB };
    };
    try {
      await service.put('retry/cut.vmdk', unknownLengthStream(data), { signal });
    } finally {
      server.faults = undefined;
    }
    const second = requestsFor('retry/cut.vmdk', 'UploadPart').filter((part) => part.query.get('partNumber') === '2');
    expect(second.length).toBe(2);
    expect(second[0]!.bodyBytes).toBeLessThan(5 * MiB);
    expect((await readAll(await service.get('retry/cut.vmdk', { signal }))).equals(data)).toBe(true);
  });

  it('a Complete whose answer is lost after S3 completed the upload: the object holds the announced bytes, so the put succeeds', async () => {
    const service = await open();
    const data = randomBytes(12 * MiB);
    let lost = false;
    server.faults = (request) => {
      if (lost || request.operation !== 'CompleteMultipartUpload') return undefined;
      lost = true;
      return { kind: 'lose-answer' };
    };
    try {
      const result = await service.put('lost/announced.vmdk', unknownLengthStream(data), { signal, metadata: { sha256: sha256(data) } });
      expect(result.size).toBe(data.length);
    } finally {
      server.faults = undefined;
    }
    const completes = requestsFor('lost/announced.vmdk', 'CompleteMultipartUpload');
    // The first was carried out and its answer lost; the SDK's retries then failed (s3rver answers
    // 500 for an upload it already completed, S3 NoSuchUpload).
    expect(completes[0]!.status).toBe(200);
    expect(completes.slice(1).every((request) => request.status !== 200)).toBe(true);
    expect(completes.length).toBeGreaterThan(1);
    expect(requestsFor('lost/announced.vmdk', 'HeadObject').length).toBeGreaterThan(0);
    expect((await readAll(await service.get('lost/announced.vmdk', { signal }))).equals(data)).toBe(true);

    // Without an announced SHA-256 nothing tells these bytes from others: the failure stands.
    lost = false;
    server.faults = (request) => {
      if (lost || request.operation !== 'CompleteMultipartUpload') return undefined;
      lost = true;
      return { kind: 'lose-answer' };
    };
    try {
      await expect(service.put('lost/unannounced.vmdk', unknownLengthStream(randomBytes(12 * MiB)), { signal })).rejects.toMatchObject({
        name: 'ExportError',
        // s3rver answers the SDK's retries of the completed upload with 500 InternalError (S3: NoSuchUpload).
        code: 'UNAVAILABLE',
        message: expect.stringMatching(/^upload of s3:\/\/.*\/lost\/unannounced\.vmdk failed: .* had an internal error/),
      });
    } finally {
      server.faults = undefined;
    }
  });

  it('backs off and retries while S3 throttles (503 SlowDown)', async () => {
    const service = await open();
    let throttled = 0;
    server.faults = (request) =>
      request.operation === 'UploadPart' && request.query.get('partNumber') === '1' && throttled++ < 2
        ? { kind: 'error', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' }
        : undefined;
    try {
      await service.put('retry/slow.vmdk', unknownLengthStream(randomBytes(7 * MiB)), { signal });
    } finally {
      server.faults = undefined;
    }
    const first = requestsFor('retry/slow.vmdk', 'UploadPart').filter((part) => part.query.get('partNumber') === '1');
    expect(first.map((part) => part.status)).toEqual([503, 503, 200]);
    expect((await service.stat('retry/slow.vmdk', { signal }))?.size).toBe(7 * MiB);
  });

  it('fails clearly when the throttling does not stop, and aborts the multipart upload', async () => {
    const service = await open('&maxAttempts=2');
    server.faults = (request) =>
      request.operation === 'UploadPart' && request.query.get('partNumber') !== '1'
        ? { kind: 'error', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' }
        : undefined;
    let failure: unknown;
    try {
      await service.put('retry/never.vmdk', unknownLengthStream(randomBytes(12 * MiB)), { signal });
    } catch (error) {
      failure = error;
    } finally {
      server.faults = undefined;
    }
    expect(failure).toMatchObject({ code: 'THROTTLED' });
    expect((failure as Error).message).toContain('SlowDown');
    expect((failure as Error).message).toContain(server.endpoint);
    expect((failure as Error).message).toContain('retry/never.vmdk');
    const created = requestsFor('retry/never.vmdk', 'CreateMultipartUpload');
    const aborted = requestsFor('retry/never.vmdk', 'AbortMultipartUpload');
    expect(created).toHaveLength(1);
    expect(aborted).toHaveLength(1);
    expect(aborted[0]!.status).toBe(204);
    expect(await server.pendingUploads()).toEqual([]);
    expect(await service.stat('retry/never.vmdk', { signal })).toBeUndefined();
  });

  it('checks the size the server holds after an upload, and removes an object that came out wrong', async () => {
    const service = await open();
    const data = Buffer.from('twelve bytes');
    server.faults = (request) =>
      request.operation === 'HeadObject' && request.path.endsWith('/short.json') ? { kind: 'answer-header', name: 'content-length', value: '0' } : undefined;
    try {
      await expect(service.put('verify/short.json', Readable.from([data]), { signal })).rejects.toMatchObject({
        code: 'VERIFY',
        message: expect.stringContaining('12 were sent') as unknown,
      });
    } finally {
      server.faults = undefined;
    }
    expect(requestsFor('verify/short.json', 'DeleteObject')).toHaveLength(1);
    expect(await service.stat('verify/short.json', { signal })).toBeUndefined();
  });

  it('lists every page of a long listing, and fails rather than hand out part of one', async () => {
    const service = await open();
    const keys = ['a/1', 'a/2', 'a/3', 'b/1', 'b/2'];
    for (const key of keys) await service.put(key, Readable.from([Buffer.from(key)]), { signal });
    const paged = await new S3Backend('cloud-s3', { partSizeMiB: PART_SIZE_MIB }).connect(
      new URL(service.url + `?endpoint=${encodeURIComponent(server.endpoint)}`),
      { signal, env: server.env, options: {} },
      { listPageSize: 2 },
    );
    const before = server.requests.length;
    expect(await listKeys(paged, '')).toEqual(keys);
    const listings = server.requests.slice(before).filter((request) => request.operation === 'ListObjectsV2');
    expect(listings).toHaveLength(3);
    expect(listings.filter((request) => request.query.has('continuation-token'))).toHaveLength(2);

    server.faults = (request) =>
      request.operation === 'ListObjectsV2' && request.query.has('continuation-token')
        ? { kind: 'error', status: 500, code: 'InternalError', message: 'We encountered an internal error.' }
        : undefined;
    const seen: string[] = [];
    try {
      await expect(
        (async () => {
          for await (const object of paged.list('', { signal })) seen.push(object.key);
        })(),
      ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      server.faults = undefined;
    }
    expect(seen).toEqual([]);
    await paged.close?.();
  });

  it('takes the endpoint from AWS_ENDPOINT_URL_S3 and options from the target entry', async () => {
    const env = { ...server.env, AWS_ENDPOINT_URL_S3: server.endpoint };
    const service = await exporter.storage.open(`s3://${server.bucket}/from-env/`, { env, options: { storageClass: 'REDUCED_REDUNDANCY' } });
    await service.put('x.txt', Readable.from([Buffer.from('x')]), { signal });
    expect(requestsFor('from-env/x.txt', 'PutObject')[0]?.headers['x-amz-storage-class']).toBe('REDUCED_REDUNDANCY');
    expect(service.urlOf('x.txt')).toBe(`s3://${server.bucket}/from-env/x.txt`);
  });

  it('still works after close() (connections are reopened)', async () => {
    const service = await open();
    await service.put('closed/x.txt', Readable.from([Buffer.from('x')]), { signal });
    await service.close?.();
    expect((await service.stat('closed/x.txt', { signal }))?.size).toBe(1);
  });

  it('says which key is unknown when the credentials are wrong, without the secret', async () => {
    const secret = 'wJalrXUtnFEMI-not-the-real-secret';
    const error = await exporter.storage
      .open(targetUrl(), { env: { AWS_ACCESS_KEY_ID: 'AKIAWRONGKEY', AWS_SECRET_ACCESS_KEY: secret } })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'CREDENTIALS' });
    const { message, hint } = error as { message: string; hint: string };
    expect(message).toContain('InvalidAccessKeyId');
    expect(message).toContain(server.endpoint);
    expect(hint).toContain('AWS_ACCESS_KEY_ID');
    expect(`${message} ${hint}`).not.toContain(secret);
  });

  it('says the bucket does not exist, naming it and the endpoint', async () => {
    const error = await exporter.storage.open(targetUrl('', server, 'no-such-bucket'), { env: server.env }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'NO_SUCH_BUCKET' });
    expect((error as Error).message).toContain('"no-such-bucket"');
    expect((error as Error).message).toContain(server.endpoint);
    expect((error as { hint: string }).hint).toMatch(/create the bucket/);
  });

  it('says the endpoint cannot be reached', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const endpoint = `http://127.0.0.1:${closedPort}`;
    const error = await exporter.storage
      .open(`s3://${server.bucket}/x/?endpoint=${encodeURIComponent(endpoint)}&maxAttempts=2`, { env: server.env })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'UNREACHABLE' });
    expect((error as Error).message).toContain(`cannot reach ${endpoint}`);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('refuses a URL with credentials in it, without repeating them', async () => {
    const error = await exporter.storage.open(`s3://AKIAEXAMPLE:hunter2-secret@${server.bucket}/x/`, { env: server.env }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'CONFIG' });
    expect((error as Error).message).toMatch(/credentials/);
    expect(JSON.stringify({ message: (error as Error).message, hint: (error as { hint: string }).hint })).not.toContain('hunter2');
  });
});

describe('cloud-s3 when the server dies mid-upload', () => {
  let doomed: S3TestServer;
  let revived: S3TestServer | undefined;
  beforeAll(async () => {
    doomed = await startS3Server();
  });
  afterAll(async () => {
    await revived?.stop();
    await doomed?.stop();
  });

  it('fails the put clearly, no object appears, and the upload it could not abort is named', async () => {
    const service = await open('&maxAttempts=2', doomed);
    doomed.faults = (request) => (request.operation === 'UploadPart' && request.query.get('partNumber') === '2' ? { kind: 'die', afterBytes: MiB } : undefined);
    const error = await service.put('vm/disk.vmdk', unknownLengthStream(randomBytes(16 * MiB)), { signal }).catch((caught: unknown) => caught);

    expect(doomed.dead).toBe(true);
    expect(error).toMatchObject({ code: 'UNREACHABLE' });
    const { message, hint } = error as { message: string; hint: string };
    expect(message).toContain(`cannot reach ${doomed.endpoint}`);
    expect(message).toContain('could not be aborted');
    // A dead server cannot be told to drop the parts: the error names the upload to clean up.
    const left = await doomed.pendingUploads();
    expect(left).toHaveLength(1);
    expect(message).toContain(left[0]!.uploadId);
    expect(hint).toContain(`--upload-id ${left[0]!.uploadId}`);
    expect(hint).toContain('AbortIncompleteMultipartUpload');

    // Back up on the same store: the object never became visible.
    revived = await startS3Server({ directory: doomed.directory, bucket: doomed.bucket });
    const after = await exporter.storage.open(service.url.replace(/\/$/, '/') + `?endpoint=${encodeURIComponent(revived.endpoint)}`, { env: revived.env });
    expect(await after.stat('vm/disk.vmdk', { signal })).toBeUndefined();
    expect(await listKeys(after, '')).toEqual([]);
  });
});

describe('an export streamed to s3:// by store-remote', () => {
  let work: string;
  let vm: MadeVm;
  const saved = { ...process.env };
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'hyperexport-s3-export-'));
    vm = await makeVmFolder(join(work, 'vms', 'web01'), 'web01', [16, 3]);
    // store-remote opens targets with the process's environment, as the CLI does.
    Object.assign(process.env, server.env);
  });
  afterAll(async () => {
    for (const name of Object.keys(server.env)) if (saved[name] === undefined) delete process.env[name];
    Object.assign(process.env, saved);
    await rm(work, { recursive: true, force: true });
  });

  const spec = (url: string): JobSpec => ({ source: vm.directory, format: 'ovf', parallel: 2, overwrite: false, extra: { targets: [url] } });
  const exporterWithS3 = () => Exporter.create([sourceLocal(), storeLocal(), storeRemote(), cloudS3({ partSizeMiB: PART_SIZE_MIB })]);

  it('stores an export with two disks that lists, reads back byte for byte, and deletes', async () => {
    const url = targetUrl();
    const result = await runJob(await exporterWithS3(), spec(url));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');

    const service = await exporter.storage.open(url, { env: server.env });
    const keys = await listKeys(service, '');
    expect(keys).toEqual(['web01.ovf.hyperexport.json', 'web01/web01.mf', 'web01/web01.ovf', 'web01/web01.vmdk', 'web01/web01_1.vmdk']);
    for (const disk of vm.disks) {
      const stored = await readAll(await service.get(`web01/${basename(disk)}`, { signal }));
      expect(stored.equals(await readFile(disk))).toBe(true);
    }
    // The larger disk streamed in parts (its length was unknown), the record in one request.
    const bigDisk = await readFile(vm.disks[0]!);
    expect(bigDisk.length).toBeGreaterThan(PART_SIZE_MIB * MiB);
    expect(partsOf(`web01/${basename(vm.disks[0]!)}`).length).toBe(expectedParts(bigDisk.length).length);

    for (const key of keys) await service.delete(key, { signal });
    expect(await listKeys(service, '')).toEqual([]);
  });

  it('fails the export when the server dies mid-upload, and no export appears', async () => {
    const doomed = await startS3Server();
    let revived: S3TestServer | undefined;
    try {
      const url = targetUrl('&maxAttempts=2', doomed);
      doomed.faults = (request) =>
        request.operation === 'UploadPart' && request.query.get('partNumber') === '2' ? { kind: 'die', afterBytes: MiB } : undefined;
      const result = await runJob(await exporterWithS3(), spec(url));
      expect(result.status).toBe('failed');
      expect(result.error?.message).toContain(`cannot reach ${doomed.endpoint}`);

      revived = await startS3Server({ directory: doomed.directory, bucket: doomed.bucket });
      const service = await exporter.storage.open(url.replace(encodeURIComponent(doomed.endpoint), encodeURIComponent(revived.endpoint)), { env: revived.env });
      expect(await service.stat('web01.ovf.hyperexport.json', { signal })).toBeUndefined();
      expect(await listKeys(service, 'web01/')).not.toContain('web01/web01.vmdk');
    } finally {
      await revived?.stop();
      await doomed.stop();
    }
  });
});
