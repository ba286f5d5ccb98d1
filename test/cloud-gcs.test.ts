// cloud-gcs against a FAKE Google Cloud Storage: no GCS emulator is available from our package
// registries, so test/support/gcs-fake.ts implements the JSON API subset and the resumable upload
// protocol the client uses (object insert media/multipart/resumable with 308 + Range, status
// queries, session cancel 499; objects get with alt=media and Range, list with pageToken, patch,
// delete; bucket get; Bearer auth with tokens from an STS token exchange). Everything below goes
// through the REAL @google-cloud/storage client and google-auth-library: credentials are a
// Workload Identity Federation file whose token_url points at the fake, so fetching, caching and
// sending access tokens is the library's own code.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open as openFile, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exporter, runJob } from '@hyperexport/core';
import type { JobSpec, StorageService } from '@hyperexport/core';
import cloudGcs from '@hyperexport/cloud-gcs';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import storeRemote from '@hyperexport/store-remote';
import type { GcsOptions } from '@hyperexport/cloud-gcs';
import { crc32cUpdate, GcsFake } from './support/gcs-fake.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';
import { describeStorageConformance, listKeys, readAll, unknownLengthStream } from './support/storage-conformance.ts';

const BUCKET = 'hyperexport-backups';
const SUBJECT_TOKEN = 'subject-token-of-the-tests';
const signal = new AbortController().signal;

let fake: GcsFake;
let work: string;
let credentials: string;
let prefixCounter = 0;

beforeAll(async () => {
  fake = await GcsFake.start({ buckets: [BUCKET], pageSize: 2 });
  fake.acceptSubjectToken(SUBJECT_TOKEN);
  work = await mkdtemp(join(tmpdir(), 'hyperexport-gcs-test-'));
  credentials = await fake.writeCredentialFile(work, SUBJECT_TOKEN);
});

afterAll(async () => {
  await fake?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Opens a target through the plugin and the exporter's storage registry, as store-remote does. */
async function open(url: string, options: GcsOptions = {}, env: NodeJS.ProcessEnv = { GOOGLE_APPLICATION_CREDENTIALS: credentials }): Promise<StorageService> {
  const exporter = await Exporter.create([cloudGcs({ apiEndpoint: fake.endpoint, retries: 0, ...options })]);
  return exporter.storage.open(url, { env, signal });
}

function freshPrefix(): string {
  return `run-${process.pid}-${++prefixCounter}`;
}

describeStorageConformance('cloud-gcs (fake GCS, real client)', {
  open: () => open(`gs://${BUCKET}/${freshPrefix()}`, { chunkSize: 4 * 1024 * 1024 }),
});

describe('cloud-gcs resumable uploads', () => {
  it('sends a stream of unknown length in 256 KiB chunks, each answered 308 until the last gives the total', async () => {
    const service = await open(`gs://${BUCKET}/${freshPrefix()}/`, { chunkSize: 256 * 1024 });
    const content = randomBytes(1024 * 1024 + 12345);
    const before = fake.requests.length;
    const result = await service.put('disk.vmdk', unknownLengthStream(content, 100_000), { signal });
    const sessionRequests = fake.requests.slice(before).filter((request) => request.query.upload_id !== undefined);
    // The session is created before the stream starts, so the client asks where it stands first.
    expect(sessionRequests.map((request) => request.contentRange)).toEqual([
      'bytes */*',
      'bytes 0-262143/*',
      'bytes 262144-524287/*',
      'bytes 524288-786431/*',
      'bytes 786432-1048575/*',
      `bytes 1048576-${content.length - 1}/${content.length}`,
    ]);
    // Session URIs carry their own authority: no bearer token is sent to them.
    expect(sessionRequests.every((request) => !request.authorized)).toBe(true);
    const initiation = fake.requests.slice(before).find((request) => request.method === 'POST' && request.query.uploadType === 'resumable');
    expect(initiation?.authorized).toBe(true);
    expect(result).toMatchObject({ key: 'disk.vmdk', size: content.length, sha256: sha256(content) });
    expect((await readAll(await service.get('disk.vmdk', { signal }))).equals(content)).toBe(true);
    expect((await service.stat('disk.vmdk', { signal }))?.sha256).toBe(sha256(content));
    expect(fake.openSessions()).toEqual([]);
  });

  it('announces a size known in advance, and a stream that delivers another size fails and leaves nothing', async () => {
    const prefix = freshPrefix();
    const service = await open(`gs://${BUCKET}/${prefix}/`, { chunkSize: 256 * 1024 });
    const content = randomBytes(600 * 1024);
    const before = fake.requests.length;
    await service.put('sized.bin', unknownLengthStream(content), { signal, size: content.length });
    const ranges = fake.requests
      .slice(before)
      .filter((request) => request.query.upload_id !== undefined)
      .map((request) => request.contentRange);
    expect(ranges).toEqual([
      'bytes */*',
      `bytes 0-262143/${content.length}`,
      `bytes 262144-524287/${content.length}`,
      `bytes 524288-${content.length - 1}/${content.length}`,
    ]);
    await expect(service.put('short.bin', unknownLengthStream(content.subarray(0, 500 * 1024)), { signal, size: content.length })).rejects.toMatchObject({
      code: 'VERIFY',
      message: expect.stringContaining(`the stream gave ${500 * 1024} bytes, ${content.length} were announced`),
    });
    expect(fake.objectNames(BUCKET).filter((name) => name.startsWith(`${prefix}/`))).toEqual([`${prefix}/sized.bin`]);
  });

  it('uploads an empty object', async () => {
    const service = await open(`gs://${BUCKET}/${freshPrefix()}/`);
    const result = await service.put('empty.bin', Readable.from([]), { signal });
    expect(result).toMatchObject({ size: 0, sha256: sha256(Buffer.alloc(0)) });
    expect((await readAll(await service.get('empty.bin', { signal }))).length).toBe(0);
  });

  it('resumes after a transient 503 on a chunk: asks the session where it stands and sends the rest', async () => {
    const service = await open(`gs://${BUCKET}/${freshPrefix()}/`, { chunkSize: 256 * 1024, retries: 2 });
    const content = randomBytes(800 * 1024);
    let chunksSeen = 0;
    // The second data chunk fails once, before GCS reads any of it.
    fake.failNext((request) => request.query.upload_id !== undefined && request.contentRange !== 'bytes */*' && ++chunksSeen === 2);
    const before = fake.requests.length;
    const result = await service.put('retried.vmdk', unknownLengthStream(content), { signal });
    expect(result.size).toBe(content.length);
    const ranges = fake.requests
      .slice(before)
      .filter((request) => request.query.upload_id !== undefined)
      .map((request) => request.contentRange);
    expect(ranges).toEqual([
      'bytes */*',
      'bytes 0-262143/*',
      'bytes 262144-524287/*', // answered 503
      'bytes */*', // where does the session stand? 308 with Range: bytes=0-262143
      'bytes 262144-524287/*',
      'bytes 524288-786431/*',
      `bytes 786432-${content.length - 1}/${content.length}`,
    ]);
    expect((await readAll(await service.get('retried.vmdk', { signal }))).equals(content)).toBe(true);
  });

  it('keeps memory flat: the source is read at most two chunks plus stream buffers ahead of what GCS holds', async () => {
    const chunkSize = 256 * 1024;
    const service = await open(`gs://${BUCKET}/${freshPrefix()}/`, { chunkSize });
    let produced = 0;
    let worstLead = 0;
    const total = 32 * 1024 * 1024;
    const piece = randomBytes(64 * 1024);
    const body = new Readable({
      highWaterMark: 64 * 1024,
      read() {
        const acknowledged = [...fake.sessions.values()].find((session) => session.name.endsWith('/flat.bin'))?.received ?? 0;
        worstLead = Math.max(worstLead, produced - acknowledged);
        if (produced >= total) this.push(null);
        else {
          produced += piece.length;
          this.push(piece);
        }
      },
    });
    await service.put('flat.bin', body, { signal });
    // Without the plugin's gate the library's chunk cache lets the lead grow with the object
    // (4 MiB of a 16 MiB upload with 256 KiB chunks, 8 MiB of 32 MiB); with it, the lead stays
    // under two chunks plus 1 MiB for the streams in between, plus their own buffers.
    expect(worstLead).toBeLessThanOrEqual(2 * chunkSize + 2 * 1024 * 1024);
  });

  it('reports progress as chunks are sent', async () => {
    const service = await open(`gs://${BUCKET}/${freshPrefix()}/`, { chunkSize: 256 * 1024 });
    const content = randomBytes(700 * 1024);
    const progress: number[] = [];
    await service.put('progress.bin', unknownLengthStream(content), { signal, onProgress: (bytes) => progress.push(bytes) });
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toBe(content.length);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });
});

describe('cloud-gcs failures', () => {
  it('a server that dies mid-upload gives a clear error and leaves no object', async () => {
    const prefix = freshPrefix();
    const service = await open(`gs://${BUCKET}/${prefix}/`, { chunkSize: 256 * 1024 });
    const content = randomBytes(2 * 1024 * 1024);
    fake.onUploadBytes = (_session, received) => {
      if (received >= 600 * 1024) {
        fake.onUploadBytes = undefined;
        void fake.kill();
      }
    };
    let failure: unknown;
    try {
      await service.put('dies.vmdk', unknownLengthStream(content), { signal });
    } catch (error) {
      failure = error;
    } finally {
      fake.onUploadBytes = undefined;
      await fake.restart();
    }
    expect(failure).toMatchObject({ name: 'ExportError', code: 'UNREACHABLE' });
    expect(String((failure as Error).message)).toMatch(
      new RegExp(`uploading dies\\.vmdk to gs://${BUCKET}/${prefix}/: the connection to Google Cloud Storage failed`),
    );
    expect((failure as { hint?: string }).hint).toMatch(/network/);
    // The session URI is a capability: it is in neither the message nor the cause.
    expect(`${String((failure as Error).message)} ${String(((failure as Error).cause as Error | undefined)?.message)}`).not.toMatch(/upload_id=(?!\*\*\*)/);
    // The session is left unfinalized (the server was gone when we tried to cancel it); GCS drops it after a week.
    expect([...fake.sessions.values()].find((session) => session.name === `${prefix}/dies.vmdk`)?.state).toBe('active');
    // Nothing visible: the session never finalized, so there is no object.
    expect(fake.objectNames(BUCKET).filter((name) => name.startsWith(`${prefix}/`))).toEqual([]);
    expect(await service.stat('dies.vmdk', { signal })).toBeUndefined();
    expect(await listKeys(service, '')).toEqual([]);
    // A later upload of the same key works and is complete.
    await service.put('dies.vmdk', unknownLengthStream(content), { signal });
    expect((await readAll(await service.get('dies.vmdk', { signal }))).equals(content)).toBe(true);
  });

  it('cancels the resumable session when the upload is aborted', async () => {
    const service = await open(`gs://${BUCKET}/${freshPrefix()}/`, { chunkSize: 256 * 1024 });
    const controller = new AbortController();
    fake.onUploadBytes = (_session, received) => {
      if (received >= 512 * 1024) controller.abort(new Error('cancelled by the test'));
    };
    try {
      await expect(service.put('aborted.vmdk', unknownLengthStream(randomBytes(2 * 1024 * 1024)), { signal: controller.signal })).rejects.toThrow(
        /cancelled by the test/,
      );
    } finally {
      fake.onUploadBytes = undefined;
    }
    const session = [...fake.sessions.values()].find((candidate) => candidate.name.endsWith('/aborted.vmdk'));
    expect(session?.state).toBe('cancelled');
    expect(fake.objectNames(BUCKET).filter((name) => name.endsWith('/aborted.vmdk'))).toEqual([]);
  });

  it('deletes the finalized object when a step after the upload fails', async () => {
    const prefix = freshPrefix();
    const service = await open(`gs://${BUCKET}/${prefix}/`);
    // The metadata patch that records the SHA-256 fails (no retries configured).
    fake.failNext((request) => request.method === 'PATCH', 503);
    await expect(service.put('half.bin', Readable.from([randomBytes(1000)]), { signal })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(fake.objectNames(BUCKET).filter((name) => name.startsWith(`${prefix}/`))).toEqual([]);
  });

  it('wrong credentials (a subject token the token service refuses) give a clear error at open', async () => {
    const bad = await fake.writeCredentialFile(work, 'not-a-valid-subject-token', 'bad-credentials.json');
    const failure = await open(`gs://${BUCKET}/x`, {}, { GOOGLE_APPLICATION_CREDENTIALS: bad }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'ExportError', code: 'AUTH' });
    expect(String((failure as Error).message)).toMatch(/refused the credentials|could not be exchanged/);
    expect(String((failure as Error).message)).toMatch(/invalid_grant/);
    expect((failure as { hint?: string }).hint).toMatch(/GOOGLE_APPLICATION_CREDENTIALS|keyFile/);
  });

  it('revoked credentials (a token GCS answers 401) give a clear error', async () => {
    fake.acceptSubjectToken('revoked-subject', 'revoked');
    const revoked = await fake.writeCredentialFile(work, 'revoked-subject', 'revoked-credentials.json');
    const failure = await open(`gs://${BUCKET}/x`, { keyFile: revoked }, {}).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'ExportError', code: 'AUTH' });
    expect(String((failure as Error).message)).toMatch(/refused the credentials \(Invalid Credentials\)/);
  });

  it('a service account key whose private key is not a key gives a clear error', async () => {
    const path = join(work, 'broken-service-account.json');
    await writeFile(
      path,
      JSON.stringify({
        type: 'service_account',
        client_email: 'backup@project.iam.gserviceaccount.com',
        private_key: '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n',
        private_key_id: 'abc',
      }),
    );
    const failure = await open(`gs://${BUCKET}/x`, { keyFile: path }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'ExportError', code: 'AUTH' });
    expect(String((failure as Error).message)).not.toMatch(/not a key/);
  });

  it('a missing or malformed credential file is a configuration error', async () => {
    await expect(open(`gs://${BUCKET}/x`, { keyFile: join(work, 'nope.json') })).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/cannot read the Google Cloud credential file .*nope\.json: ENOENT/),
    });
    const garbage = join(work, 'garbage.json');
    await writeFile(garbage, 'not json');
    await expect(open(`gs://${BUCKET}/x`, { keyFile: garbage })).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringMatching(/is not JSON/) });
  });

  it('a missing bucket gives a clear error at open', async () => {
    const failure = await open('gs://no-such-bucket/backups').catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'ExportError', code: 'NOT_FOUND' });
    expect(String((failure as Error).message)).toMatch(/the bucket gs:\/\/no-such-bucket does not exist/);
    expect((failure as { hint?: string }).hint).toMatch(/gcloud storage buckets create gs:\/\/no-such-bucket/);
  });

  it('credentials in the URL are refused', async () => {
    await expect(open(`gs://user:secret@${BUCKET}/x`)).rejects.toMatchObject({ name: 'ConfigError', message: expect.not.stringMatching(/secret/) });
  });

  it('an object damaged on the way fails the put (the CRC32C GCS stored differs from ours), and nothing is visible', async () => {
    const prefix = freshPrefix();
    const service = await open(`gs://${BUCKET}/${prefix}/`, { chunkSize: 256 * 1024 });
    fake.corruptNextUpload(`${prefix}/damaged.vmdk`);
    const failure = await service.put('damaged.vmdk', unknownLengthStream(randomBytes(700 * 1024), 100_000), { signal }).then(
      () => new Error('the damaged upload was accepted'),
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({
      name: 'ExportError',
      code: 'VERIFY',
      message: `uploading damaged.vmdk to gs://${BUCKET}/${prefix}/: Google Cloud Storage stored other bytes than were sent (CRC32C mismatch); the object was deleted`,
    });
    expect(await service.stat('damaged.vmdk', { signal })).toBeUndefined();
    expect(await listKeys(service, '')).toEqual([]);
    expect(fake.objectNames(BUCKET).filter((name) => name.startsWith(`${prefix}/`))).toEqual([]);
  });

  it('a corrupted object fails the read with a checksum error', async () => {
    const prefix = freshPrefix();
    const service = await open(`gs://${BUCKET}/${prefix}/`);
    const content = randomBytes(300 * 1024);
    await service.put('corrupt.bin', Readable.from([content]), { signal });
    const stored = fake.buckets.get(BUCKET)!.get(`${prefix}/corrupt.bin`)!;
    const handle = await openFile(stored.path, 'r+');
    await handle.write(Buffer.from([content[1000]! ^ 0xff]), 0, 1, 1000);
    await handle.close();
    await expect(readAll(await service.get('corrupt.bin', { signal }))).rejects.toMatchObject({
      name: 'ExportError',
      code: 'VERIFY',
      message: `reading gs://${BUCKET}/${prefix}/corrupt.bin: the bytes read do not match the CRC32C Google Cloud Storage keeps`,
      hint: 'the object may be corrupt or was replaced while read; read it again',
    });
  });

  it('a stream whose SHA-256 differs from the one it was announced with fails the put before it is finalised', async () => {
    const prefix = freshPrefix();
    const service = await open(`gs://${BUCKET}/${prefix}/`, { chunkSize: 256 * 1024 });
    const content = randomBytes(300 * 1024);
    const announced = sha256(Buffer.from('other bytes'));
    const failure = await service.put('announced.vmdk', Readable.from([content]), { signal, metadata: { sha256: announced } }).then(
      () => new Error('the put was accepted'),
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({
      name: 'ExportError',
      code: 'VERIFY',
      message: `uploading announced.vmdk to gs://${BUCKET}/${prefix}/: the stream's SHA-256 is ${sha256(content)}, not the ${announced} it was announced with; nothing was stored`,
      hint: 'the source changed or was corrupted while it was read; export again',
    });
    expect(fake.objectNames(BUCKET).filter((name) => name.startsWith(`${prefix}/`))).toEqual([]);
  });

  // GCS answering another size than was sent means it kept other bytes: the put must fail and
  // leave nothing, whichever answer gives it away.
  it.each([
    ['the answer that finalises the upload', 'upload', (size: number) => `Google Cloud Storage holds ${size + 1} bytes, ${size} were sent`],
    [
      'the answer to the metadata update after it',
      'update',
      (size: number) => `Google Cloud Storage reports ${size + 1} bytes after the upload, ${size} were sent`,
    ],
  ] as const)('a size in %s other than the bytes sent fails the put, and nothing is visible', async (_answer, kind, explanation) => {
    const prefix = freshPrefix();
    const service = await open(`gs://${BUCKET}/${prefix}/`, { chunkSize: 256 * 1024 });
    const content = randomBytes(300 * 1024);
    fake.misreportSize(`${prefix}/sized.vmdk`, kind);
    const failure = await service.put('sized.vmdk', Readable.from([content]), { signal }).then(
      () => new Error('the put was accepted'),
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({
      name: 'ExportError',
      code: 'VERIFY',
      message: `uploading sized.vmdk to gs://${BUCKET}/${prefix}/: ${explanation(content.length)}`,
      hint: 'the upload was discarded; run the export again',
    });
    expect(fake.objectNames(BUCKET).filter((name) => name.startsWith(`${prefix}/`))).toEqual([]);
  });
});

// The fake itself: it must refuse what GCS refuses, or the tests above prove nothing.
describe('the GCS fake checks claimed checksums on every upload kind, as GCS does', () => {
  const crc32cOf = (data: Buffer) => {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(crc32cUpdate(0, data) >>> 0);
    return bytes.toString('base64');
  };
  const md5Of = (data: Buffer) => createHash('md5').update(data).digest('base64');
  let token: string;
  beforeAll(async () => {
    const response = await fetch(fake.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: SUBJECT_TOKEN,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      }),
    });
    token = ((await response.json()) as { access_token: string }).access_token;
  });
  const uploadUrl = (query: string) => `${fake.endpoint}/upload/storage/v1/b/${BUCKET}/o?${query}`;
  const data = randomBytes(1000);
  const other = Buffer.from(data);
  other[10]! ^= 1;

  it('media: X-Goog-Hash', async () => {
    const prefix = freshPrefix();
    const send = (name: string, hash: string) =>
      fetch(uploadUrl(`uploadType=media&name=${prefix}/${name}`), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'x-goog-hash': hash },
        body: data,
      });
    const refused = await send('bad-crc', `crc32c=${crc32cOf(other)}`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      `Provided CRC32C "${crc32cOf(other)}" doesn't match calculated CRC32C "${crc32cOf(data)}".`,
    );
    expect((await send('bad-md5', `crc32c=${crc32cOf(data)},md5=${md5Of(other)}`)).status).toBe(400);
    expect((await send('good', `crc32c=${crc32cOf(data)},md5=${md5Of(data)}`)).status).toBe(200);
    expect(fake.objectNames(BUCKET).filter((name) => name.startsWith(`${prefix}/`))).toEqual([`${prefix}/good`]);
    // The fake records what the client sent (the token redacted).
    const recorded = fake.requests.filter((request) => request.query.name === `${prefix}/good`);
    expect(recorded.map((request) => request.headers['x-goog-hash'])).toEqual([`crc32c=${crc32cOf(data)},md5=${md5Of(data)}`]);
    expect(recorded[0]!.headers.authorization).toBe('Bearer ***');
  });

  it('multipart: X-Goog-Hash, or crc32c/md5Hash in the object resource', async () => {
    const prefix = freshPrefix();
    const send = (name: string, resource: Record<string, string>, hash?: string) => {
      const boundary = 'hyperexport-boundary';
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\ncontent-type: application/json\r\n\r\n${JSON.stringify({ name: `${prefix}/${name}`, ...resource })}\r\n--${boundary}\r\ncontent-type: application/octet-stream\r\n\r\n`,
        ),
        data,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      return fetch(uploadUrl('uploadType=multipart'), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/related; boundary=${boundary}`, ...(hash ? { 'x-goog-hash': hash } : {}) },
        body,
      });
    };
    expect((await send('bad-resource-crc', { crc32c: crc32cOf(other) })).status).toBe(400);
    expect((await send('bad-resource-md5', { md5Hash: md5Of(other) })).status).toBe(400);
    expect((await send('bad-header', {}, `md5=${md5Of(other)}`)).status).toBe(400);
    expect((await send('good', { crc32c: crc32cOf(data), md5Hash: md5Of(data) }, `crc32c=${crc32cOf(data)}`)).status).toBe(200);
    expect(fake.objectNames(BUCKET).filter((name) => name.startsWith(`${prefix}/`))).toEqual([`${prefix}/good`]);
  });

  it('resumable: X-Goog-Hash on the final request, or crc32c/md5Hash given when the session starts', async () => {
    const prefix = freshPrefix();
    const send = async (name: string, resource: Record<string, string>, hash?: string) => {
      const started = await fetch(uploadUrl(`uploadType=resumable&name=${prefix}/${name}`), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(resource),
      });
      const session = started.headers.get('location')!;
      return fetch(session, {
        method: 'PUT',
        headers: { 'content-range': `bytes 0-${data.length - 1}/${data.length}`, ...(hash ? { 'x-goog-hash': hash } : {}) },
        body: data,
      });
    };
    expect((await send('bad-header', {}, `crc32c=${crc32cOf(other)}`)).status).toBe(400);
    expect((await send('bad-resource', { crc32c: crc32cOf(other) })).status).toBe(400);
    expect((await send('good', { md5Hash: md5Of(data) }, `crc32c=${crc32cOf(data)}`)).status).toBe(200);
    expect(fake.objectNames(BUCKET).filter((name) => name.startsWith(`${prefix}/`))).toEqual([`${prefix}/good`]);
  });

  it('corruptNextUpload damages the next upload of that name only, which a claimed checksum then catches', async () => {
    const prefix = freshPrefix();
    const send = (name: string, hash?: string) =>
      fetch(uploadUrl(`uploadType=media&name=${prefix}/${name}`), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, ...(hash ? { 'x-goog-hash': hash } : {}) },
        body: data,
      });
    fake.corruptNextUpload(`${prefix}/checked`);
    expect((await send('checked', `crc32c=${crc32cOf(data)}`)).status).toBe(400);
    fake.corruptNextUpload(`${prefix}/unchecked`);
    expect((await send('unchecked')).status).toBe(200);
    expect(fake.buckets.get(BUCKET)!.get(`${prefix}/unchecked`)!.crc32c).toBe(
      crc32cOf(Buffer.concat([data.subarray(0, 500), Buffer.from([data[500]! ^ 0xff]), data.subarray(501)])),
    );
    expect((await send('checked', `crc32c=${crc32cOf(data)}`)).status).toBe(200);
  });
});

describe('cloud-gcs listing', () => {
  it('follows every page (the fake serves 2 objects a page) and never returns a partial list', async () => {
    const service = await open(`gs://${BUCKET}/${freshPrefix()}`);
    const keys = ['a/1', 'a/2', 'a/3', 'a/4', 'a/5', 'b/1'];
    for (const key of keys) await service.put(key, Readable.from([Buffer.from(key)]), { signal });
    const before = fake.requests.length;
    expect(await listKeys(service, 'a/')).toEqual(keys.slice(0, 5));
    const pages = fake.requests.slice(before).filter((request) => request.method === 'GET' && /\/o\/?$/.test(request.path));
    expect(pages.length).toBe(3);
    expect(pages.filter((request) => request.query.pageToken !== undefined).length).toBe(2);
    // The second page fails: the listing throws rather than yield the first page alone.
    let pagesSeen = 0;
    fake.failNext((request) => request.method === 'GET' && /\/o\/?$/.test(request.path) && ++pagesSeen === 2, 500);
    const yielded: string[] = [];
    await expect(
      (async () => {
        for await (const object of service.list('a/', { signal })) yielded.push(object.key);
      })(),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(yielded).toEqual([]);
  });

  it('reads objects back with their size, date, checksum and metadata', async () => {
    const service = await open(`gs://${BUCKET}/${freshPrefix()}`);
    const content = Buffer.from('manifest\n');
    await service.put('vm.mf', Readable.from([content]), { signal, metadata: { 'hyperexport-vm': 'web01' }, contentType: 'text/plain' });
    const [object] = await collect(service.list('', { signal }));
    expect(object).toMatchObject({ key: 'vm.mf', size: content.length, sha256: sha256(content), metadata: { 'hyperexport-vm': 'web01' } });
    expect(object?.lastModified).toBeInstanceOf(Date);
    expect(object?.etag).toBe(createHash('md5').update(content).digest('base64'));
  });
});

describe('cloud-gcs emulator mode', () => {
  it('with STORAGE_EMULATOR_HOST in the job environment, talks to the emulator without credentials', async () => {
    const emulator = await GcsFake.start({ buckets: ['emulated'], allowAnonymous: true });
    try {
      const exporter = await Exporter.create([cloudGcs()]);
      const service = await exporter.storage.open('gs://emulated/backups', { env: { STORAGE_EMULATOR_HOST: emulator.endpoint }, signal });
      await service.put('x.bin', Readable.from([Buffer.from('hello')]), { signal });
      expect((await readAll(await service.get('x.bin', { signal }))).toString()).toBe('hello');
      expect(emulator.requests.every((request) => !request.authorized)).toBe(true);
      expect(emulator.objectNames('emulated')).toEqual(['backups/x.bin']);
    } finally {
      await emulator.stop();
    }
  });
});

describe('cloud-gcs: exports through store-remote', () => {
  let vm: MadeVm;
  beforeAll(async () => {
    vm = await makeVmFolder(join(work, 'vms', 'web01'), 'web01', [3, 2]);
  });
  const spec = (...targets: string[]): JobSpec => ({ source: vm.directory, format: 'ovf', parallel: 2, overwrite: false, extra: { targets } });
  const exporter = () =>
    Exporter.create([
      sourceLocal(),
      storeLocal(),
      storeRemote(),
      cloudGcs({ apiEndpoint: fake.endpoint, keyFile: credentials, chunkSize: 256 * 1024, retries: 0 }),
    ]);

  it('streams an export with two disks to two targets at once; each lists, reads back byte for byte, and deletes', async () => {
    const urls = [`gs://${BUCKET}/${freshPrefix()}`, `gs://${BUCKET}/${freshPrefix()}`];
    const result = await runJob(await exporter(), spec(...urls));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    for (const url of urls) {
      const service = await open(url);
      const keys = await listKeys(service, '');
      expect(keys).toEqual(['web01.ovf.hyperexport.json', 'web01/web01.mf', 'web01/web01.ovf', 'web01/web01.vmdk', 'web01/web01_1.vmdk']);
      for (const disk of vm.disks) {
        const stored = await readAll(await service.get(`web01/${basename(disk)}`, { signal }));
        expect(stored.equals(await readFile(disk))).toBe(true);
      }
      for (const key of keys) await service.delete(key, { signal });
      expect(await listKeys(service, '')).toEqual([]);
    }
  });

  it('fails the export when the server dies mid-upload, and no export appears', async () => {
    const prefix = freshPrefix();
    fake.onUploadBytes = (session, received) => {
      if (session.name.endsWith('.vmdk') && received >= 512 * 1024) {
        fake.onUploadBytes = undefined;
        void fake.kill();
      }
    };
    let result;
    try {
      result = await runJob(await exporter(), spec(`gs://${BUCKET}/${prefix}`));
    } finally {
      fake.onUploadBytes = undefined;
      await fake.restart();
    }
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/uploading web01\/web01(_1)?\.vmdk to gs:\/\/.*: the connection to Google Cloud Storage failed/);
    expect(JSON.stringify(result)).not.toMatch(/upload_id=(?!\*\*\*)/);
    const service = await open(`gs://${BUCKET}/${prefix}`);
    expect(await service.stat('web01.ovf.hyperexport.json', { signal })).toBeUndefined();
    expect(await listKeys(service, 'web01/')).not.toContain('web01/web01.vmdk');
  });
});

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
