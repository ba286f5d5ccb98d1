// The behaviour every StorageService must have, run against each backend's real (or, for GCS,
// faithfully faked) server. Backends differ in wire protocol, never in these semantics.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorageService } from '@hyperexport/core';

export interface ConformanceOptions {
  /** Opens a service rooted at a fresh, empty prefix for this suite. */
  open(): Promise<StorageService>;
  /** Size of the large object; big enough to need several parts where the backend has parts. */
  largeSize?: number;
}

/** A stream of unknown length, in uneven chunks, like a disk coming out of the pipeline. */
export function unknownLengthStream(content: Buffer, chunk = 256 * 1024 + 17): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < content.length; offset += chunk) yield content.subarray(offset, offset + chunk);
    })(),
    { objectMode: false },
  );
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** The caller's abort reason behind a rejection: the reason itself, or the cause of an AbortError. */
export function cancellationReason(error: unknown): unknown {
  return error instanceof Error && error.name === 'AbortError' ? error.cause : error;
}

export async function listKeys(service: StorageService, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of service.list(prefix, { signal: new AbortController().signal })) keys.push(object.key);
  return keys.sort();
}

export function describeStorageConformance(name: string, options: ConformanceOptions): void {
  describe(`${name}: storage service conformance`, () => {
    const signal = new AbortController().signal;
    const large = randomBytes(options.largeSize ?? 12 * 1024 * 1024);
    const small = Buffer.from('{"hello":"world"}\n');
    let service: StorageService;

    beforeAll(async () => {
      service = await options.open();
    });
    afterAll(async () => {
      await service?.close?.();
    });

    it('puts a stream of unknown length and reports the size the server holds', async () => {
      const result = await service.put('vm1/disk1.vmdk', unknownLengthStream(large), { signal });
      expect(result.key).toBe('vm1/disk1.vmdk');
      expect(result.size).toBe(large.length);
      const info = await service.stat('vm1/disk1.vmdk', { signal });
      expect(info?.size).toBe(large.length);
      if (result.sha256 !== undefined) expect(result.sha256).toBe(createHash('sha256').update(large).digest('hex'));
    });

    it('gets the bytes back unchanged', async () => {
      const back = await readAll(await service.get('vm1/disk1.vmdk', { signal }));
      expect(back.length).toBe(large.length);
      expect(back.equals(large)).toBe(true);
    });

    it('keeps metadata given at put', async () => {
      await service.put('vm1.hyperexport.json', Readable.from([small]), {
        signal,
        size: small.length,
        contentType: 'application/json',
        metadata: { 'hyperexport-job': 'abc123' },
      });
      const info = await service.stat('vm1.hyperexport.json', { signal });
      expect(info?.size).toBe(small.length);
      expect(info?.metadata?.['hyperexport-job']).toBe('abc123');
    });

    it('lists every object under a prefix, nested keys included, and nothing else', async () => {
      await service.put('vm10/other.txt', Readable.from([small]), { signal });
      expect(await listKeys(service, 'vm1/')).toEqual(['vm1/disk1.vmdk']);
      expect(await listKeys(service, '')).toEqual(['vm1.hyperexport.json', 'vm1/disk1.vmdk', 'vm10/other.txt']);
      expect(await listKeys(service, 'nothing-here/')).toEqual([]);
    });

    it('says undefined for stat of a missing object and NOT_FOUND for get', async () => {
      expect(await service.stat('missing/object', { signal })).toBeUndefined();
      await expect(service.get('missing/object', { signal })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('leaves nothing behind when the upload is aborted midway', async () => {
      const controller = new AbortController();
      const reason = new Error('cancelled by the test');
      let sent = 0;
      const body = new Readable({
        read() {
          if (sent >= 3) {
            controller.abort(reason);
            return;
          }
          sent++;
          this.push(large.subarray(0, 4 * 1024 * 1024));
        },
      });
      const failure = await service.put('vm2/aborted.vmdk', body, { signal: controller.signal }).then(
        () => new Error('the aborted put succeeded'),
        (error: unknown) => error,
      );
      expect(cancellationReason(failure)).toBe(reason);
      expect(await service.stat('vm2/aborted.vmdk', { signal })).toBeUndefined();
      expect(await listKeys(service, 'vm2/')).toEqual([]);
    });

    it('leaves nothing behind when the source stream fails midway', async () => {
      let sent = 0;
      const body = new Readable({
        read() {
          if (sent++ >= 2) this.destroy(new Error('source failed'));
          else this.push(large.subarray(0, 4 * 1024 * 1024));
        },
      });
      await expect(service.put('vm3/failed.vmdk', body, { signal })).rejects.toThrow(/source failed/);
      expect(await service.stat('vm3/failed.vmdk', { signal })).toBeUndefined();
    });

    it('deletes, and deleting a missing object is not an error', async () => {
      await service.delete('vm10/other.txt', { signal });
      expect(await service.stat('vm10/other.txt', { signal })).toBeUndefined();
      await service.delete('vm10/other.txt', { signal });
      expect(await listKeys(service, '')).toEqual(['vm1.hyperexport.json', 'vm1/disk1.vmdk']);
    });

    // store-remote announces the SHA-256 of a local file it uploads (metadata `sha256`): a backend
    // must compute the hash of what it streams and refuse before the object becomes visible (no
    // multipart completion, block list commit, resumable finalisation or rename) on a mismatch.
    it('checks an announced SHA-256 before the object becomes visible, and keeps the object already there', async () => {
      const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
      const first = large.subarray(0, 3 * 1024 * 1024 + 5);
      const put = await service.put('vm4/announced.vmdk', unknownLengthStream(first), { signal, metadata: { sha256: sha256(first) } });
      expect(put.size).toBe(first.length);
      if (put.sha256 !== undefined) expect(put.sha256).toBe(sha256(first));
      const before = await service.stat('vm4/announced.vmdk', { signal });

      // The right size, one byte different from what the hash was taken of: only the hash tells.
      const changed = Buffer.from(large);
      changed[changed.length - 1]! ^= 0xff;
      const failure = await service
        .put('vm4/announced.vmdk', unknownLengthStream(changed), { signal, size: large.length, metadata: { sha256: sha256(large) } })
        .then(
          () => new Error('the put of bytes that do not match their announced SHA-256 succeeded'),
          (error: unknown) => error,
        );
      expect(failure).toMatchObject({ name: 'ExportError', code: 'VERIFY', message: expect.stringMatching(/SHA-256/) });
      const after = await service.stat('vm4/announced.vmdk', { signal });
      expect(after?.size).toBe(first.length);
      expect(after?.lastModified).toEqual(before?.lastModified);
      expect((await readAll(await service.get('vm4/announced.vmdk', { signal }))).equals(first)).toBe(true);
      expect(await listKeys(service, 'vm4/')).toEqual(['vm4/announced.vmdk']);

      // And a key with nothing at it stays empty.
      const again = await service.put('vm4/new.vmdk', unknownLengthStream(changed), { signal, metadata: { sha256: sha256(large) } }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(again).toMatchObject({ code: 'VERIFY' });
      expect(await service.stat('vm4/new.vmdk', { signal })).toBeUndefined();
      expect(await listKeys(service, 'vm4/')).toEqual(['vm4/announced.vmdk']);
      await service.delete('vm4/announced.vmdk', { signal });
    });

    it('gives URLs of keys without credentials', () => {
      const url = service.urlOf('vm1/disk1.vmdk');
      expect(url).toMatch(/vm1\/disk1\.vmdk$/);
      expect(url).not.toMatch(/:[^/@]*@|sig=|password/i);
    });
  });
}
