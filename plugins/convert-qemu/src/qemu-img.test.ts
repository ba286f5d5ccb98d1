import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportError } from '@hyperexport/core';
import { compareImages, convertImage, imageInfo, imageOptions, qemuImgVersion, runQemuImg } from './qemu-img.ts';

let work: string;
let rawImage: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'convert-qemu-unit-'));
  rawImage = join(work, 'disk.raw');
  await writeFile(rawImage, Buffer.concat([randomBytes(1 << 20), Buffer.alloc(1 << 20)]));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('imageOptions', () => {
  it('opens a whole file with an explicit driver, commas doubled', () => {
    expect(imageOptions({ driver: 'vmdk', location: { path: '/x/a,b.vmdk' } })).toBe('driver=vmdk,file.driver=file,file.filename=/x/a,,b.vmdk');
  });

  it('opens a byte range of a file (an OVA member) through the raw driver', () => {
    expect(imageOptions({ driver: 'vmdk', location: { path: '/x/vm.ova', offset: 1536, size: 4096 } })).toBe(
      'driver=vmdk,file.driver=raw,file.offset=1536,file.size=4096,file.file.driver=file,file.file.filename=/x/vm.ova',
    );
  });
});

describe('runQemuImg', () => {
  it('reports a missing program as an ExportError that says how to install qemu-img', async () => {
    const error = await runQemuImg(join(work, 'no-such-qemu-img'), ['--version']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExportError);
    expect(error).toMatchObject({ code: 'QEMU_IMG_MISSING', message: `qemu-img was not found at ${join(work, 'no-such-qemu-img')}; disk conversion needs it` });
    expect((error as ExportError).hint).toContain('apt-get install qemu-utils');
    await expect(runQemuImg('no-such-qemu-img-on-path', ['--version'])).rejects.toThrow(
      'qemu-img was not found on PATH (looked for "no-such-qemu-img-on-path")',
    );
  });

  it('kills the process when the signal aborts, and settles only once it has exited', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by the test');
    // `sleep 600` outlives the test's timeout: only the kill lets this promise settle in time.
    const running = runQemuImg('sleep', ['600'], { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 50);
    await expect(running).rejects.toBe(reason);
  });

  it('does not start at all on an aborted signal', async () => {
    const reason = new Error('already cancelled');
    await expect(runQemuImg('sleep', ['600'], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('resolves with the exit code and output of the program', async () => {
    const run = await runQemuImg('qemu-img', ['info', join(work, 'missing.qcow2')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('missing.qcow2');
  });
});

describe('the qemu-img operations, on real images', () => {
  it('reads the version', async () => {
    expect(await qemuImgVersion('qemu-img')).toMatch(/^\d+\.\d+/);
    await expect(qemuImgVersion('true')).rejects.toThrow('did not answer like qemu-img');
  });

  it('converts with progress, and compare tells identical from different', async () => {
    const source = { driver: 'raw', location: { path: rawImage } };
    const output = join(work, 'disk.qcow2');
    const seen: number[] = [];
    await convertImage('qemu-img', source, output, ['-O', 'qcow2'], { onPercent: (percent) => seen.push(percent) });
    expect(seen.at(-1)).toBe(100);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(await imageInfo('qemu-img', { driver: 'qcow2', location: { path: output } })).toEqual({ format: 'qcow2', virtualSize: 2 << 20 });

    const converted = { driver: 'qcow2', location: { path: output } };
    expect(await compareImages('qemu-img', source, converted)).toEqual({ identical: true, message: 'Images are identical.' });
    const other = join(work, 'other.raw');
    await writeFile(other, randomBytes(2 << 20));
    const different = await compareImages('qemu-img', { driver: 'raw', location: { path: other } }, converted);
    expect(different.identical).toBe(false);
    expect(different.message).toContain('Content mismatch at offset 0');
    await expect(compareImages('qemu-img', source, { driver: 'qcow2', location: { path: rawImage }, label: 'the raw one' })).rejects.toThrow(
      'could not compare',
    );
  });

  it('fails a conversion with what qemu-img said', async () => {
    const error = await convertImage('qemu-img', { driver: 'qcow2', location: { path: rawImage }, label: 'disk.raw' }, join(work, 'never.qcow2'), [
      '-O',
      'qcow2',
    ]).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'CONVERT_FAILED' });
    expect((error as Error).message).toMatch(/^qemu-img could not convert disk\.raw: .*Image is not in qcow2 format/);
  });
});
