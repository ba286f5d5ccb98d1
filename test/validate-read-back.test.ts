// The post-export checks read a compressed and encrypted export back through its stages' way back
// (decrypt, decompress) and compare it with the bytes it was made from, before it is published:
// source-local → compress → encrypt-aes → store-local, with validate, the real plugins.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { PassThrough, Transform } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exporter, Stage, definePlugin, runJob } from '@hyperexport/core';
import type { JobResult, JobSpec, PluginInstance } from '@hyperexport/core';
import compress, { CODECS } from '@hyperexport/compress';
import encryptAes from '@hyperexport/encrypt-aes';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import validate from '@hyperexport/validate';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

let work: string;
let vm: MadeVm;
let passphraseFile: string;
let outputs = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-read-back-'));
  vm = await makeVmFolder(join(work, 'vm', 'web'), 'web', [3, 1]);
  passphraseFile = join(work, 'passphrase');
  await writeFile(passphraseFile, 'correct horse battery staple\n', { mode: 0o600 });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const freshOutput = () => join(work, `out-${++outputs}`);
const spec = (output: string, format: 'ova' | 'ovf'): JobSpec => ({
  source: vm.directory,
  format,
  output,
  parallel: 2,
  overwrite: false,
  extra: { compress: 'zstd', encrypt: 'aes', passphraseFile },
});

/** Runs one export with compress and encrypt-aes, collecting what validate says along the way. */
async function exportWith(format: 'ova' | 'ovf', ...plugins: PluginInstance[]): Promise<{ result: JobResult; infos: string[]; output: string }> {
  const output = freshOutput();
  const exporter = await Exporter.create([sourceLocal(), compress(), encryptAes({ scrypt: { log2N: 10 } }), storeLocal(), ...plugins]);
  const infos: string[] = [];
  exporter.bus.on('info', ({ message, plugin }) => {
    if (plugin === 'validate') infos.push(message);
  });
  const result = await runJob(exporter, spec(output, format));
  return { result, infos, output };
}

/** Inverts one byte of a file in place, synchronously (inside a hook tap, before validate reads). */
function flipByte(path: string, position: number): void {
  const fd = openSync(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, position);
    byte[0] = byte[0]! ^ 0xff;
    writeSync(fd, byte, 0, 1, position);
  } finally {
    closeSync(fd);
  }
}

/**
 * Damages a staged file after it was written and before the checks read it: set up first
 * (`enforce: 'pre'`), its synchronous tap of the parallel postValidate hook runs before validate's.
 */
function damagesStagedFile(fileName: string, position: number): PluginInstance {
  return definePlugin({
    name: 'test-damage',
    version: '0.0.0',
    enforce: 'pre',
    setup(exporter) {
      exporter.hooks.postValidate.tap('test-damage', (_job, _report, written) => {
        const paths = written.stagedPaths.get(fileName) ?? [];
        if (paths.length === 0) throw new Error(`test-damage: ${fileName} is not staged (${[...written.stagedPaths.keys()].join(', ')})`);
        for (const path of paths) flipByte(path, position);
      });
    },
  })();
}

function dropsLastByte(): Transform {
  let held: Buffer | undefined;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const previous = held;
      held = chunk;
      callback(null, previous);
    },
    flush(callback) {
      callback(null, held && held.length > 1 ? held.subarray(0, -1) : undefined);
    },
  });
}

/**
 * A stage with a bug: it says it changes nothing its reverse (a pass-through) cannot undo, but it
 * drops the last byte. What it writes is stored and hashed as written, so only reading it back to
 * the plain bytes catches it. `first`: it runs before compress's zstd (set up first, same stage
 * number), so the plain OVA loses a byte; otherwise after it, so the zstd frame does.
 */
function dropsLastByteStage(first: boolean): PluginInstance {
  return definePlugin({
    name: 'test-buggy',
    version: '0.0.0',
    ...(first ? { enforce: 'pre' as const } : {}),
    setup(exporter) {
      exporter.hooks.transform.tap('test-buggy', (plan) => {
        plan.stages.push({
          name: 'buggy',
          stage: first ? Stage.COMPRESS : Stage.COMPRESS + 1,
          effect: 'changes-bytes',
          artifacts: ['package', 'disk'],
          rename: (name) => `${name}.bug`,
          create: () => dropsLastByte(),
          reverse: async () => new PassThrough(),
        });
        return plan;
      });
    },
  })();
}

/**
 * A gzip stage with no way back during the export, as OpenPGP is (only a recipient's private key
 * reads it): the checks can only compare what is stored with the digest recorded as it was written.
 */
const withoutReverse = definePlugin({
  name: 'test-one-way',
  version: '0.0.0',
  setup(exporter) {
    exporter.hooks.transform.tap('test-one-way', (plan) => {
      plan.stages.push({
        name: 'one-way',
        stage: Stage.ENCRYPT + 1,
        effect: 'changes-bytes',
        artifacts: ['disk', 'descriptor', 'package'],
        rename: (name) => `${name}.ow`,
        create: () => CODECS.gzip.compress(1, 1),
      });
      return plan;
    });
  },
})();

describe('post-export read-back of a compressed and encrypted export', () => {
  it('an intact OVA passes, and validate says it read it back', async () => {
    const { result, infos, output } = await exportWith('ova', validate());
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(await readdir(output)).toEqual(expect.arrayContaining(['web.ova.zst.hxe']));
    expect(infos.join('\n')).toMatch(
      /web\.ova\.zst\.hxe: read back through aes-256-gcm and zstd: it turns back into web\.ova as it was written \(\d+ bytes, SHA-256 [0-9a-f]{64}\)/,
    );
  });

  it('an intact OVF folder passes: every transformed file read back', async () => {
    const { result, infos } = await exportWith('ovf', validate());
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    for (const name of ['web.ovf.hxe', 'web.vmdk.zst.hxe', 'web_1.vmdk.zst.hxe']) expect(infos.join('\n')).toContain(`${name}: read back through`);
  });

  it('an OVA damaged after it was written fails the post-export checks, and nothing is published', async () => {
    const { result, output } = await exportWith('ova', damagesStagedFile('web.ova.zst.hxe', 4096), validate());
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('post-export checks failed');
    expect(result.error?.message).toMatch(
      /\[validate\] read-back: web\.ova\.zst\.hxe: reading it back through aes-256-gcm and zstd failed: .*; it changed after it was written \(its SHA-256 is [0-9a-f]{64}, [0-9a-f]{64} was written\)/,
    );
    expect(await readdir(output)).toEqual([]);
  });

  it('a disk of an OVF folder damaged after it was written fails too', async () => {
    const { result, output } = await exportWith('ovf', damagesStagedFile('web_1.vmdk.zst.hxe', 100), validate());
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/\[validate\] read-back: web_1\.vmdk\.zst\.hxe: reading it back through aes-256-gcm and zstd failed/);
    expect(await readdir(output)).toEqual([]);
  });

  it('a stage that writes wrong bytes: what it wrote is stored intact, but does not turn back into the OVA', async () => {
    const { result, output } = await exportWith('ova', dropsLastByteStage(true), validate());
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(
      /\[validate\] read-back: web\.ova\.bug\.zst\.hxe: read back through aes-256-gcm, zstd and buggy, it is (\d+) bytes with SHA-256 [0-9a-f]{64}, but web\.ova was \d+ bytes with SHA-256 [0-9a-f]{64} when it was written; what was written is intact, so a stage wrote bytes that do not turn back into what it was given \(a bug in that stage\)/,
    );
    const [, readBackSize, writtenSize] = /it is (\d+) bytes .* but web\.ova was (\d+) bytes/.exec(result.error!.message)!;
    expect(Number(readBackSize), 'the buggy stage dropped one byte').toBe(Number(writtenSize) - 1);
    expect(await readdir(output)).toEqual([]);
  });

  it("a stage whose output its own reverse cannot read is reported as a stage's bug, not as damage", async () => {
    const { result, output } = await exportWith('ova', dropsLastByteStage(false), validate());
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(
      /\[validate\] read-back: web\.ova\.zst\.bug\.hxe: reading it back through aes-256-gcm, buggy and zstd failed: .+; what was written is intact, so a stage wrote bytes that do not turn back into what it was given/,
    );
    expect(await readdir(output)).toEqual([]);
  });

  it('readBack: false skips the read-back (and says so)', async () => {
    const { result, infos } = await exportWith('ova', damagesStagedFile('web.ova.zst.hxe', 4096), validate({ readBack: false }));
    expect(result.status).toBe('succeeded');
    expect(infos.join('\n')).toContain('web.ova.zst.hxe was not read back (readBack: false)');
  });

  it('a stage that cannot undo its output during the export: said so, and the stored bytes are compared with what was written', async () => {
    const intact = await exportWith('ova', withoutReverse, validate());
    expect(intact.result.error).toBeUndefined();
    expect(intact.infos).toContain(
      "web.ova.zst.hxe.ow was not read back: the one-way stage has no way back during the export (as OpenPGP to recipients only: that takes a recipient's private key); it was compared with the SHA-256 recorded as it was written, which shows damage after writing but not a stage that wrote wrong bytes",
    );

    const damaged = await exportWith('ova', withoutReverse, damagesStagedFile('web.ova.zst.hxe.ow', 4096), validate());
    expect(damaged.result.status).toBe('failed');
    expect(damaged.result.error?.message).toMatch(
      /\[validate\] read-back: web\.ova\.zst\.hxe\.ow: it changed after it was written \(its SHA-256 is [0-9a-f]{64}, [0-9a-f]{64} was written\); export the VM again/,
    );
    expect(await readdir(damaged.output)).toEqual([]);
  });

  it('an OVF folder whose descriptor is encrypted: its plain manifest, which no other check can open, is compared with what was written', async () => {
    const { result, output } = await exportWith('ovf', damagesStagedFile('web.mf', 10), validate());
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/\[validate\] read-back: web\.mf: it changed after it was written/);
    expect(await readdir(output)).toEqual([]);
  });
});
