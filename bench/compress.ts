// Benchmark: the compress plugin's stages against the native programs on the same file, in the
// same run. Prints one JSON object.
//   node bench/compress.ts            (1 GiB: half random, half zeros, alternating by MiB)
//   node bench/compress.ts --small    (128 MiB)
//   node bench/compress.ts --only zstd (or gzip: that algorithm's cases only)
// Before a build, add `--conditions=hyperexport-source` to run the TypeScript sources.
// Targets (issue 5): zstd ≥ 0.8 of `zstd -3 -T2`; gzip against `pigz -p 2` at the same level;
// peak RSS flat as the input grows (compare --small with the full run).
//
// Each of our stages runs in a child process of its own that reads the file and discards the
// output, timed inside it; each program reads the file on stdin and writes to /dev/null (its
// output size is counted once per case, by an untimed run before its first timed one). Every
// case runs RUNS times, the cases interleaved round by round so a busy machine slows all of them
// alike; figures are medians. CPU seconds are given besides wall time: on a shared machine they
// say more about the cost of a stage.
//
// How the stages are fed: as the programs are, 1 MiB reads into buffers that are read into
// again once the stage has taken them (every stage here copies or consumes its input before
// calling back). Node's fs.createReadStream allocates fresh memory for every read, and on this
// input that alone cost more than zstd's compression (read only: about 4 GB/s, against 10 GB/s
// with reused buffers); the default stages are also measured fed that way ("via fs stream"),
// which is how source-local feeds them.
//
// It also compresses a real file-system image (a tar of /usr) at several levels: on half
// random, half zeros every level gives the same size, so the default levels were judged there.
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import zstdNapi from 'zstd-napi';
import { LEVELS, ParallelGzip, compressionStage, createZstdCompressStream, preferredZstdBackend } from '@hyperexport/compress';
import type { Algorithm } from '@hyperexport/compress';
import { mbPerSecond, median, ratio, round, runChild, startFigures, writeHalfRandomHalfZeros } from './support.ts';

const MiB = 1 << 20;
const RUNS = 3;

/** Our stages by name, run by the child process with a level. */
const STAGES: Record<string, (level: number) => Duplex> = {
  'read only (no stage)': () => new PassThrough(),
  'zstd stage (defaults)': (level) => stageOf('zstd', level),
  'zstd-napi, calling thread': (level) => createZstdCompressStream(level, 1, 'zstd-napi'),
  'zstd-napi, 2 worker threads (frame per MiB)': (level) => createZstdCompressStream(level, 2, 'zstd-napi'),
  // zstd's own workers (nbWorkers), fed from the main thread, through the package's own stream.
  'zstd-napi CompressStream, 2 zstd workers': (level) => new zstdNapi.CompressStream({ compressionLevel: level, nbWorkers: 2, checksumFlag: true }),
  // node:zlib's zstd runs without workers (they crash it: nodejs/node#59899).
  'node:zlib zstd': (level) => createZstdCompressStream(level, 0, 'node:zlib'),
  'gzip stage (defaults)': (level) => stageOf('gzip', level),
  'gzip, parallel, 2 threads': (level) => new ParallelGzip(level, 2),
  'gzip, node:zlib, 1 thread': (level) => createGzip({ level }),
};

function stageOf(algorithm: Algorithm, level: number): Duplex {
  return compressionStage({ algorithm, level, threads: availableParallelism() }).create({ name: 'disk.vmdk', kind: 'disk' }, new AbortController().signal);
}

interface Run {
  readonly seconds: number;
  readonly cpuSeconds: number;
  /** Bytes written. */
  readonly output: number;
  readonly peakRssMB: number;
}

type Feed = 'reused buffers' | 'fs stream';

// Child mode: `--stage NAME LEVEL FILE FEED` compresses FILE to nowhere and prints a Run.
const stageArg = process.argv.indexOf('--stage');
if (stageArg >= 0) {
  const [name, level, file, feed] = process.argv.slice(stageArg + 1) as [string, string, string, Feed];
  let output = 0;
  const done = startFigures();
  // 1 MiB reads, as source-local reads disks.
  const stage = STAGES[name]!(Number(level));
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      output += chunk.length;
      callback();
    },
  });
  if (feed === 'fs stream') {
    await pipeline(createReadStream(file, { highWaterMark: MiB }), stage, sink);
  } else {
    const flowing = pipeline(stage, sink);
    await writeFromReusedBuffers(file, stage);
    stage.end();
    await flowing;
  }
  const { seconds, cpuSeconds, peakRssMB } = done();
  const run: Run = { seconds, cpuSeconds, output, peakRssMB };
  console.log(JSON.stringify(run));
  process.exit(0);
}

const small = process.argv.includes('--small');
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? process.argv[onlyArg + 1] : undefined;
if (only !== undefined && only !== 'zstd' && only !== 'gzip') throw new Error(`--only takes zstd or gzip, not ${String(only)}`);
const wanted = (algorithm: 'zstd' | 'gzip') => only === undefined || only === algorithm;
const work = await mkdtemp(join(tmpdir(), 'hyperexport-bench-compress-'));
try {
  const input = join(work, 'input.bin');
  const bytes = (small ? 128 : 1024) * MiB;
  await writeHalfRandomHalfZeros(input, bytes, 'alternating');
  const image = join(work, 'usr.tar');
  const imageBytes = (small ? 64 : 256) * MiB;
  execFileSync('sh', ['-c', `tar -cf - /usr/lib /usr/share 2>/dev/null | head -c ${imageBytes} > '${image}'`]);
  const hasPigz = commandExists('pigz');

  // Every case: a label, how to run it once, and the input size. Labels of cases on the
  // file-system image end in " usr".
  const cases = new Map<string, { run: () => Promise<Run>; size: number }>();
  const ours = (name: string, level: number, onImage = false, feed: Feed = 'reused buffers') =>
    cases.set(`${name} @${level}${feed === 'fs stream' ? ' via fs stream' : ''}${onImage ? ' usr' : ''}`, {
      run: () => runStage(name, level, onImage ? image : input, feed),
      size: onImage ? imageBytes : bytes,
    });
  const program = (label: string, command: string, args: readonly string[], onImage = false) => {
    const file = onImage ? image : input;
    // The output size is the same every round: counted once, by a run of its own before the first timed one.
    let output: number | undefined;
    cases.set(`${label}${onImage ? ' usr' : ''}`, {
      run: async () => {
        output ??= outputSize(command, args, file);
        return { ...(await runProgram(command, args, file)), output };
      },
      size: onImage ? imageBytes : bytes,
    });
  };

  ours('read only (no stage)', 0);
  ours('read only (no stage)', 0, false, 'fs stream');
  if (wanted('zstd')) {
    program('zstd -3 -T2', 'zstd', ['-3', '-T2', '-q', '-c']);
    for (const name of Object.keys(STAGES).filter((stage) => stage.includes('zstd') && !stage.includes('defaults'))) ours(name, 3);
    ours('zstd stage (defaults)', 3, false, 'fs stream');
    // The image: the reference, threads or not, and the levels of the default stage.
    program('zstd -3 -T2', 'zstd', ['-3', '-T2', '-q', '-c'], true);
    ours('zstd-napi, calling thread', 3, true);
    ours('zstd-napi, 2 worker threads (frame per MiB)', 3, true);
    for (const level of [1, 3, 9]) ours('zstd stage (defaults)', level, true);
  }
  if (wanted('gzip')) {
    for (const level of [LEVELS.gzip.default, 6].filter((level, index, all) => all.indexOf(level) === index)) {
      if (hasPigz) program(`pigz -${level} -p 2`, 'pigz', [`-${level}`, '-p', '2', '-c']);
      for (const name of Object.keys(STAGES).filter((stage) => stage.includes('gzip') && !stage.includes('defaults'))) ours(name, level);
    }
    ours('gzip stage (defaults)', LEVELS.gzip.default, false, 'fs stream');
    for (const level of [1, 6]) if (hasPigz) program(`pigz -${level} -p 2`, 'pigz', [`-${level}`, '-p', '2', '-c'], true);
    for (const level of [1, 6, 9]) ours('gzip stage (defaults)', level, true);
  }

  const runs = new Map<string, Run[]>([...cases.keys()].map((key) => [key, []]));
  for (let round = 0; round < RUNS; round++) {
    for (const [key, { run }] of cases) runs.get(key)!.push(await run());
  }
  const figures = (key: string) => {
    const all = runs.get(key)!;
    const { size } = cases.get(key)!;
    const seconds = median(all.map((run) => run.seconds));
    const cpuSeconds = median(all.map((run) => run.cpuSeconds));
    return {
      seconds: round(seconds),
      MBps: mbPerSecond(size, seconds),
      cpuSeconds: round(cpuSeconds),
      peakRssMB: Math.max(...all.map((run) => run.peakRssMB)),
      sizeRatio: round(all[0]!.output / size, 4),
    };
  };
  const against = (key: string, reference: string | undefined) => {
    const own = figures(key);
    if (!reference || !cases.has(reference)) return own;
    const other = figures(reference);
    // Wall: our MB/s over the program's. CPU: the program's CPU seconds over ours (1 = as frugal).
    return { ...own, ratioToReference: ratio(own.MBps, other.MBps), cpuRatioToReference: ratio(other.cpuSeconds, own.cpuSeconds) };
  };
  const section = (filter: (key: string) => boolean, reference: string | undefined) =>
    Object.fromEntries([...cases.keys()].filter(filter).map((key) => [key, against(key, reference)]));

  const levelOf = (key: string) => /@(\d+)/.exec(key)?.[1];
  console.log(
    JSON.stringify(
      {
        benchmark: 'compress',
        input: {
          bytes,
          content: 'alternating MiB of random bytes and zeros',
          cpus: availableParallelism(),
          runs: RUNS,
          readOnly: figures('read only (no stage) @0'),
          readOnlyViaFsStream: figures('read only (no stage) @0 via fs stream'),
        },
        defaults: {
          zstd: `${preferredZstdBackend()}, level ${LEVELS.zstd.default}, ${availableParallelism()} threads`,
          gzip: `${availableParallelism() > 1 ? `parallel, ${availableParallelism()} threads` : 'node:zlib'}, level ${LEVELS.gzip.default}`,
        },
        zstd: wanted('zstd') && {
          level: 3,
          reference: { program: 'zstd -3 -T2', ...figures('zstd -3 -T2') },
          stages: section((key) => key.includes('zstd') && key.endsWith('@3'), 'zstd -3 -T2'),
          target: 'ratioToReference >= 0.8',
          viaFsStream: section((key) => key.includes('zstd') && key.endsWith('via fs stream'), 'zstd -3 -T2'),
        },
        gzip:
          wanted('gzip') &&
          Object.fromEntries(
            [...new Set([...cases.keys()].filter((key) => key.includes('gzip') && !key.endsWith(' usr')).map(levelOf))].map((level) => {
              const reference = `pigz -${level} -p 2`;
              return [
                `level ${level}`,
                {
                  reference: hasPigz
                    ? { program: reference, ...figures(reference) }
                    : { program: reference, missing: 'pigz is not installed (apt-get install pigz)' },
                  stages: section((key) => key.includes('gzip') && key.endsWith(`@${level}`), hasPigz ? reference : undefined),
                  viaFsStream: section((key) => key.includes('gzip') && key.endsWith(`@${level} via fs stream`), hasPigz ? reference : undefined),
                },
              ];
            }),
          ),
        fileSystemImage: {
          bytes: imageBytes,
          content: 'tar of /usr/lib and /usr/share',
          zstd: wanted('zstd') && {
            reference: { program: 'zstd -3 -T2', ...figures('zstd -3 -T2 usr') },
            stages: section((key) => key.includes('zstd') && key.endsWith(' usr') && key.startsWith('zstd-napi'), 'zstd -3 -T2 usr'),
            levels: section((key) => key.startsWith('zstd stage') && key.endsWith(' usr'), undefined),
          },
          gzip: wanted('gzip') && {
            references: hasPigz
              ? Object.fromEntries([1, 6].map((level) => [`pigz -${level} -p 2`, figures(`pigz -${level} -p 2 usr`)]))
              : { missing: 'pigz is not installed (apt-get install pigz)' },
            levels: Object.fromEntries(
              [...cases.keys()]
                .filter((key) => key.startsWith('gzip stage') && key.endsWith(' usr'))
                .map((key) => [key, against(key, hasPigz ? `pigz -${levelOf(key)} -p 2 usr` : undefined)]),
            ),
          },
        },
      },
      null,
      2,
    ),
  );
} finally {
  await rm(work, { recursive: true, force: true });
}

/**
 * 1 MiB reads into two buffers used in turn, as a program reads (see the note at the top): one
 * is read into while the stage takes the other, and a buffer is read into again only after the
 * stage called back for what it held.
 */
async function writeFromReusedBuffers(file: string, stage: Duplex): Promise<void> {
  const handle = await open(file);
  try {
    const buffers = [Buffer.allocUnsafeSlow(MiB), Buffer.allocUnsafeSlow(MiB)];
    let taken = Promise.resolve();
    for (let turn = 0; ; turn++) {
      const buffer = buffers[turn % 2]!;
      const { bytesRead } = await handle.read(buffer, 0, MiB, null);
      await taken;
      if (bytesRead === 0) return;
      taken = new Promise((resolve, reject) => stage.write(buffer.subarray(0, bytesRead), (error) => (error ? reject(error) : resolve())));
      taken.catch(() => undefined); // awaited next turn; the pipeline reports the error as well
    }
  } finally {
    await handle.close();
  }
}

function runStage(name: string, level: number, file: string, feed: Feed): Promise<Run> {
  return runChild<Run>(fileURLToPath(import.meta.url), ['--stage', name, String(level), file, feed], process.env, `stage ${name} @${level}`);
}

/** How many bytes a program writes for FILE on stdin. */
function outputSize(command: string, args: readonly string[], file: string): number {
  return Number(
    execFileSync('sh', ['-c', `"$0" "$@" < '${file}' | wc -c`, command, ...args])
      .toString()
      .trim(),
  );
}

/** Runs a program under GNU time (`exec`, so the figures are the program's own), output discarded. */
async function runProgram(command: string, args: readonly string[], file: string): Promise<Omit<Run, 'output'>> {
  const child = spawn('/usr/bin/time', ['-f', 'TIME %e %U %S %M', 'sh', '-c', `exec "$0" "$@" < '${file}' > /dev/null`, command, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const times = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
  if (code !== 0 || !times) throw new Error(`${command} failed: ${stderr}`);
  const [, wall, user, system, rssKb] = times.map(Number) as [number, number, number, number, number];
  return { seconds: wall, cpuSeconds: user + system, peakRssMB: Math.round(rssKb / 1024) };
}

function commandExists(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
