// Benchmark: the whole chain download → zstd → AES-256-GCM → local disk through the real pipeline
// (source-vsphere against the vSphere simulator, compress, encrypt-aes, store-local), against its
// slowest single stage measured in the same run on the same bytes. Prints one JSON object.
//   node bench/chain.ts            (a 1 GiB disk; peak RSS compared with a 256 MiB one)
//   node bench/chain.ts --small    (a 256 MiB disk; peak RSS compared with a 64 MiB one)
//   --rounds N                     (default 5)
// Before a build, run the TypeScript sources: node --conditions=hyperexport-source bench/chain.ts
// Targets (issue 5): chain ≥ 0.8 of its slowest single stage; peak RSS flat as the input grows.
//
// The simulator's disk is half pseudo-random, a quarter text and a quarter zeros (test/vcsim); it
// serves it as a streamOptimized VMDK, and those VMDK bytes are what flows: "source bytes" below.
// The cases, each in a child process of its own, interleaved round by round (medians):
// - chain: runJob with `--compress zstd:3 --encrypt aes --key-file` as extra, OVF format (the
//   disk streams straight through, no OVA spool), store-local with its defaults (fsync, read-back
//   verification), timed from runJob's start to its end (login, lease, descriptor included);
// - download: the same job without transforms: download → local disk, with fsync and verification;
// - zstd: the compress plugin's stage (`compressionStage`, as the plugin builds it for zstd:3)
//   on the VMDK file the simulator serves, output discarded;
// - aes: the encrypt-aes plugin's stage (`encryptionStage` with the key file's master key) on the
//   zstd output, which is what it encrypts in the chain; output discarded;
// - store: store-local's sink (LocalDirectorySink: write, fsync, read back and compare SHA-256)
//   writing the chain's final bytes (zstd then AES output), read from a file in the page cache;
// - the chain with one transform removed at a time (without zstd, without AES), and the chain
//   with zstd in the main thread (compress({ threads: 1 }): no worker threads), to show where the
//   time goes.
// Stage figures are also given as "source MB/s": source bytes over the stage's time, the rate the
// chain would reach were that stage the only limit.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Exporter, digestStream, runJob } from '@hyperexport/core';
import type { JobSpec, TransformStage } from '@hyperexport/core';
import compress, { compressionStage, resolveCompression } from '@hyperexport/compress';
import encryptAes, { encryptionStage, masterKeyFromBytes, readKeyFile } from '@hyperexport/encrypt-aes';
import sourceVsphere from '@hyperexport/source-vsphere';
import storeLocal, { LocalDirectorySink } from '@hyperexport/store-local';
import { startVcsim } from '../test/support/vcsim.ts';
import type { Vcsim } from '../test/support/vcsim.ts';
import { argValue, loadAverage, mbPerSecond, median, ratio, round, runChild, settleDisk, startFigures } from './support.ts';
import type { ChildFigures } from './support.ts';

const COMPRESS = 'zstd:3';
const TARGET = 0.8;
const self = fileURLToPath(import.meta.url);

interface Connection {
  readonly url: string;
  readonly username: string;
  readonly passwordFile: string;
  readonly vm: string;
}

type ChildTask =
  | {
      readonly op: 'job';
      readonly connection: Connection;
      readonly output: string;
      readonly compress?: string | undefined;
      readonly keyFile?: string | undefined;
      readonly compressThreads?: number | undefined;
    }
  | { readonly op: 'stage'; readonly stage: 'zstd' | 'aes'; readonly input: string; readonly output?: string | undefined; readonly keyFile: string }
  | { readonly op: 'store'; readonly input: string; readonly directory: string };

interface Figures extends ChildFigures {
  /** Bytes the case read (for a job: from the simulator). */
  readonly inputBytes: number;
  /** Bytes the case produced (for a job: the stored disk). */
  readonly outputBytes: number;
  /** A job's `write` stage alone (the data flow, fsync and verification; no login or lease). */
  readonly writeSeconds?: number | undefined;
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await child(JSON.parse(process.argv[3]!) as ChildTask)));
  process.exit(0);
} else {
  await main();
}

async function child(task: ChildTask): Promise<Figures> {
  switch (task.op) {
    case 'job':
      return exportJob(task.connection, task.output, task.compress, task.keyFile, task.compressThreads);
    case 'stage':
      return transformFile(task.stage === 'zstd' ? zstdStage() : await aesStage(task.keyFile), task.input, task.output);
    case 'store':
      return storeFile(task.input, task.directory);
  }
}

/** One export through the real pipeline, as `hyperexport export --vm … --format ovf` runs it. */
async function exportJob(
  connection: Connection,
  output: string,
  compression: string | undefined,
  keyFile: string | undefined,
  compressThreads: number | undefined,
): Promise<Figures> {
  const exporter = await Exporter.create([
    sourceVsphere({ url: connection.url, username: connection.username, passwordFile: connection.passwordFile, insecure: true }),
    compress(compressThreads === undefined ? undefined : { threads: compressThreads }),
    encryptAes(),
    storeLocal(),
  ]);
  const extra: Record<string, unknown> = {};
  if (compression) extra.compress = compression;
  if (keyFile) Object.assign(extra, { encrypt: 'aes', keyFile });
  const spec: JobSpec = { vm: connection.vm, format: 'ovf', output, parallel: 4, overwrite: false, extra };
  let writeSeconds: number | undefined;
  exporter.bus.on('stage:end', (event) => {
    if (event.stage === 'write') writeSeconds = event.durationMs / 1000;
  });
  const done = startFigures();
  const result = await runJob(exporter, spec);
  const figures = done();
  if (result.status !== 'succeeded') throw new Error(`the export failed: ${JSON.stringify(result.error)}`);
  const disk = result.files.find((file) => file.kind === 'disk')!;
  return { ...figures, writeSeconds, inputBytes: result.bytesRead, outputBytes: disk.size };
}

/** The compress plugin's stage for `--compress zstd:3`, built as its transform hook builds it. */
function zstdStage(): TransformStage {
  return compressionStage(resolveCompression({}, COMPRESS)!);
}

/** The encrypt-aes plugin's stage for `--encrypt aes --key-file FILE`, built as its hook builds it. */
async function aesStage(keyFile: string): Promise<TransformStage> {
  const key = await readKeyFile(keyFile);
  try {
    return encryptionStage(masterKeyFromBytes(key), { exportId: 'bench' });
  } finally {
    key.fill(0);
  }
}

/** Streams a file through one stage into a file, or into nothing. */
async function transformFile(stage: TransformStage, input: string, output: string | undefined): Promise<Figures> {
  const controller = new AbortController();
  const stream: Duplex = stage.create({ name: 'disk.vmdk', kind: 'disk' }, controller.signal);
  let outputBytes = 0;
  const discard = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      outputBytes += chunk.length;
      callback();
    },
  });
  const done = startFigures();
  await pipeline(createReadStream(input), stream, output === undefined ? discard : createWriteStream(output), { signal: controller.signal });
  const figures = done();
  const inputBytes = (await stat(input)).size;
  return { ...figures, inputBytes, outputBytes: output === undefined ? outputBytes : (await stat(output)).size };
}

/** store-local's work alone: write, fsync, read back and compare, publish. */
async function storeFile(input: string, directory: string): Promise<Figures> {
  const signal = new AbortController().signal;
  // What the core hands the sink with the file: its digest, computed before the clock starts.
  const { size, sha256 } = await digestStream(createReadStream(input), signal);
  const sink = new LocalDirectorySink(directory, { fsync: true, verify: true });
  const done = startFigures();
  await sink.prepare({ baseName: 'disk', format: 'ovf', overwrite: false });
  const name = 'disk.vmdk.zst.hxe';
  const file = await sink.createFile({ name, kind: 'disk' }, signal);
  await pipeline(createReadStream(input), file.stream, { signal });
  await file.finish({ name, size, sha256 });
  await sink.commit();
  return { ...done(), inputBytes: size, outputBytes: size };
}

async function main(): Promise<void> {
  const small = process.argv.includes('--small');
  const rounds = Number(argValue('--rounds') ?? 5);
  const diskMiB = small ? 256 : 1024;
  const probeMiB = small ? 64 : 256;
  const work = await mkdtemp(join(tmpdir(), 'hyperexport-bench-chain-'));
  const loadBefore = loadAverage();
  let sim: Vcsim | undefined;
  try {
    const keyFile = join(work, 'export.key');
    await writeFile(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const passwordFile = join(work, 'password');
    sim = await startVcsim(['-disk-mb', String(diskMiB), '-init-delay', '0']);
    await writeFile(passwordFile, `${sim.password}\n`, { mode: 0o600 });
    const vm = sim.vms.find((candidate) => candidate.powerState === 'poweredOff')!;
    const connection: Connection = { url: sim.url, username: sim.username, passwordFile, vm: vm.path };
    const vmdk = vm.disks[0]!.file;
    const sourceBytes = vm.disks[0]!.size;

    const run = (task: ChildTask) => runChild<Figures>(self, ['--child', JSON.stringify(task)]);
    // The stages' inputs, made once with the stages themselves (this also warms the caches up).
    const zstdFile = join(work, 'disk.vmdk.zst');
    const finalFile = join(work, 'disk.vmdk.zst.hxe');
    await run({ op: 'stage', stage: 'zstd', input: vmdk, output: zstdFile, keyFile });
    await run({ op: 'stage', stage: 'aes', input: zstdFile, output: finalFile, keyFile });

    const output = join(work, 'out');
    const cases: Record<string, () => Promise<Figures>> = {
      chain: () => run({ op: 'job', connection, output, compress: COMPRESS, keyFile }),
      download: () => run({ op: 'job', connection, output }),
      zstd: () => run({ op: 'stage', stage: 'zstd', input: vmdk, keyFile }),
      aes: () => run({ op: 'stage', stage: 'aes', input: zstdFile, keyFile }),
      store: () => run({ op: 'store', input: finalFile, directory: output }),
      chainWithoutZstd: () => run({ op: 'job', connection, output, keyFile }),
      chainWithoutAes: () => run({ op: 'job', connection, output, compress: COMPRESS }),
      chainZstdWithoutWorkers: () => run({ op: 'job', connection, output, compress: COMPRESS, keyFile, compressThreads: 1 }),
    };
    const runs = new Map<string, Figures[]>(Object.keys(cases).map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const [name, measureOnce] of Object.entries(cases)) {
        await rm(output, { recursive: true, force: true });
        settleDisk();
        runs.get(name)!.push(await measureOnce());
      }
    }
    await rm(output, { recursive: true, force: true });
    await sim.stop();
    sim = undefined;

    // Peak RSS of the same chain on a smaller disk: flat means it does not grow with the input.
    sim = await startVcsim(['-disk-mb', String(probeMiB), '-init-delay', '0']);
    await writeFile(passwordFile, `${sim.password}\n`, { mode: 0o600 });
    const probeVm = sim.vms.find((candidate) => candidate.powerState === 'poweredOff')!;
    settleDisk();
    const probe = await run({
      op: 'job',
      connection: { ...connection, url: sim.url, username: sim.username, vm: probeVm.path },
      output: join(work, 'probe'),
      compress: COMPRESS,
      keyFile,
    });

    const summary = (name: string) => {
      const all = runs.get(name)!;
      const seconds = median(all.map((figures) => figures.seconds));
      const first = all[0]!;
      const writeSeconds = first.writeSeconds === undefined ? undefined : median(all.map((figures) => figures.writeSeconds!));
      return {
        seconds: round(seconds),
        MBps: mbPerSecond(first.inputBytes, seconds),
        sourceMBps: mbPerSecond(sourceBytes, seconds),
        ...(writeSeconds === undefined ? {} : { writeStageSeconds: round(writeSeconds), writeStageSourceMBps: mbPerSecond(sourceBytes, writeSeconds) }),
        bestSourceMBps: mbPerSecond(sourceBytes, Math.min(...all.map((figures) => figures.seconds))),
        cpuSeconds: round(median(all.map((figures) => figures.cpuSeconds))),
        mainThreadCpuSeconds: round(median(all.map((figures) => figures.mainThreadCpuSeconds ?? Number.NaN))),
        peakRssMB: Math.max(...all.map((figures) => figures.peakRssMB)),
        inputBytes: first.inputBytes,
        outputBytes: first.outputBytes,
        allSourceMBps: all.map((figures) => mbPerSecond(sourceBytes, figures.seconds)),
      };
    };
    const chain = summary('chain');
    const stageNames = ['download', 'zstd', 'aes', 'store'] as const;
    const stages = Object.fromEntries(stageNames.map((name) => [name, summary(name)])) as Record<(typeof stageNames)[number], ReturnType<typeof summary>>;
    const slowest = stageNames.reduce((worst, name) => (stages[name].seconds > stages[worst].seconds ? name : worst));
    const ratioToSlowest = ratio(stages[slowest].seconds, chain.seconds);
    // Best rounds: on a shared machine other sessions only ever slow a case down.
    const fastest = (name: string) => Math.min(...runs.get(name)!.map((figures) => figures.seconds));
    const bestSlowest = stageNames.reduce((worst, name) => (fastest(name) > fastest(worst) ? name : worst));
    const bestRoundsRatio = ratio(fastest(bestSlowest), fastest('chain'));
    // The same comparison without the fixed costs of a job (login, lease, descriptor), where the
    // slowest stage is a job too.
    const writeStageRatio =
      slowest === 'download' && chain.writeStageSeconds !== undefined && stages.download.writeStageSeconds !== undefined
        ? ratio(stages.download.writeStageSeconds, chain.writeStageSeconds)
        : undefined;

    console.log(
      JSON.stringify(
        {
          benchmark: 'chain',
          disk: {
            capacityMiB: diskMiB,
            sourceBytes,
            content: 'simulator disk: half pseudo-random, a quarter text, a quarter zeros; served as a streamOptimized VMDK',
          },
          machine: { cpus: availableParallelism(), loadAverageBefore: loadBefore, loadAverageAfter: loadAverage() },
          rounds,
          chain: { compress: COMPRESS, encrypt: 'aes (32-byte key file)', format: 'ovf', ...chain },
          stages: {
            download: { what: 'runJob, source-vsphere → store-local (fsync, verify), no transforms', ...stages.download },
            zstd: {
              what: `compress plugin's stage (${COMPRESS}, ${availableParallelism()} threads) on the served VMDK file, output discarded`,
              ...stages.zstd,
            },
            aes: { what: "encrypt-aes plugin's stage on the zstd output, output discarded", ...stages.aes },
            store: { what: "store-local's sink (write, fsync, read-back SHA-256) of the chain's final bytes", ...stages.store },
          },
          slowestStage: slowest,
          ratioToSlowest,
          ...(writeStageRatio === undefined ? {} : { writeStageRatioToSlowest: writeStageRatio }),
          bestRounds: { slowestStage: bestSlowest, ratioToSlowest: bestRoundsRatio },
          target: `ratioToSlowest >= ${TARGET}`,
          targetMet: ratioToSlowest >= TARGET,
          withOneTransformRemoved: {
            withoutZstd: summary('chainWithoutZstd'),
            withoutAes: summary('chainWithoutAes'),
          },
          chainWithZstdInTheMainThread: { what: 'the chain with compress({ threads: 1 }): zstd without worker threads', ...summary('chainZstdWithoutWorkers') },
          peakRssMB: { [`chain${probeMiB}MiB`]: probe.peakRssMB, [`chain${diskMiB}MiB`]: chain.peakRssMB },
          note: "medians of interleaved rounds (bestRounds: the fastest round of each case); jobs are timed from runJob start to end (login, lease, CreateDescriptor, commit included), stages from first to last byte; sourceMBps = source (VMDK) bytes over the case's time; cpuSeconds are the measured process's only, every thread (not the simulator's); mainThreadCpuSeconds its event loop thread alone; peak RSS includes Node and the loaded modules",
        },
        null,
        2,
      ),
    );
  } finally {
    await sim?.stop();
    await rm(work, { recursive: true, force: true });
  }
}
