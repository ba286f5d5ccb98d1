// Benchmark: the compress plugin's stages against the native programs on the same file, in the
// same run. Prints one JSON object.
//   node bench/compress.ts            (1 GiB: half random, half zeros, alternating by MiB)
//   node bench/compress.ts --small    (128 MiB)
// Before a build, add `--conditions=hyperexport-source` to run the TypeScript sources.
// Targets (issue 5): zstd ≥ 0.8 of `zstd -3 -T2`; gzip against `pigz -p 2` at the same level;
// peak RSS flat as the input grows (compare --small with the full run).
//
// Each of our stages runs in a child process of its own that reads the file with 64 KiB reads
// (as the local source does) and discards the output, timed inside it; each program reads the
// file on stdin and writes to /dev/null. Every case runs RUNS times, the cases interleaved round
// by round so a busy machine slows all of them alike; figures are medians. CPU seconds are given
// besides wall time: on a shared machine they say more about the cost of a stage.
//
// It also compresses a real file-system image (a tar of /usr) at several levels: on half
// random, half zeros every level gives the same size, so the default levels were judged there.
import { execFileSync, spawn } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import zstdNapi from 'zstd-napi';
import { LEVELS, ParallelGzip, compressionStage, createZstdCompressStream, preferredZstdBackend, zstdWorkersFor } from '@hyperexport/compress';
import type { Algorithm } from '@hyperexport/compress';
import { mbPerSecond, ratio } from './support.ts';

const MiB = 1 << 20;
const RUNS = 3;

/** Our stages by name, run by the child process with a level. */
const STAGES: Record<string, (level: number) => Duplex> = {
  'read only (no stage)': () => new PassThrough(),
  'zstd stage (defaults)': (level) => stageOf('zstd', level),
  'zstd-napi, no workers': (level) => createZstdCompressStream(level, 0, 'zstd-napi'),
  'zstd-napi, 1 worker': (level) => createZstdCompressStream(level, 1, 'zstd-napi'),
  'zstd-napi, 2 workers': (level) => createZstdCompressStream(level, 2, 'zstd-napi'),
  // The package's own stream, which allocates an output buffer per piece (ours reuses a slab).
  'zstd-napi CompressStream, 2 workers': (level) => new zstdNapi.CompressStream({ compressionLevel: level, nbWorkers: 2, checksumFlag: true }),
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
  readonly output: number;
  readonly peakRssMB: number;
}

// Child mode: `--stage NAME LEVEL FILE` compresses FILE to nowhere and prints a Run.
const stageArg = process.argv.indexOf('--stage');
if (stageArg >= 0) {
  const [name, level, file] = process.argv.slice(stageArg + 1) as [string, string, string];
  let output = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  // 1 MiB reads, as source-local reads disks.
  await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), STAGES[name]!(Number(level)), new Writable({
    write(chunk: Buffer, _encoding, callback) {
      output += chunk.length;
      callback();
    },
  }));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const run: Run = { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, output, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
  console.log(JSON.stringify(run));
  process.exit(0);
}

const small = process.argv.includes('--small');
const work = await mkdtemp(join(tmpdir(), 'hyperexport-bench-compress-'));
try {
  const input = join(work, 'input.bin');
  const bytes = (small ? 128 : 1024) * MiB;
  await writeHalfRandomHalfZeros(input, bytes);
  const image = join(work, 'usr.tar');
  const imageBytes = (small ? 64 : 256) * MiB;
  execFileSync('sh', ['-c', `tar -cf - /usr/lib /usr/share 2>/dev/null | head -c ${imageBytes} > '${image}'`]);
  const hasPigz = commandExists('pigz');

  // Every case: a label, how to run it once, and the input size. Labels of cases on the
  // file-system image end in " usr".
  const cases = new Map<string, { run: () => Promise<Run>; size: number }>();
  const ours = (name: string, level: number, onImage = false) =>
    cases.set(`${name} @${level}${onImage ? ' usr' : ''}`, { run: () => runStage(name, level, onImage ? image : input), size: onImage ? imageBytes : bytes });
  const program = (label: string, command: string, args: readonly string[], onImage = false) =>
    cases.set(`${label}${onImage ? ' usr' : ''}`, { run: () => runProgram(command, args, onImage ? image : input), size: onImage ? imageBytes : bytes });

  ours('read only (no stage)', 0);
  program('zstd -3 -T2', 'zstd', ['-3', '-T2', '-q', '-c']);
  for (const name of Object.keys(STAGES).filter((stage) => stage.includes('zstd') && !stage.includes('defaults'))) ours(name, 3);
  for (const level of [LEVELS.gzip.default, 6].filter((level, index, all) => all.indexOf(level) === index)) {
    if (hasPigz) program(`pigz -${level} -p 2`, 'pigz', [`-${level}`, '-p', '2', '-c']);
    for (const name of Object.keys(STAGES).filter((stage) => stage.includes('gzip') && !stage.includes('defaults'))) ours(name, level);
  }
  // The image: references, the worker question for zstd, and the levels of the default stages.
  program('zstd -3 -T2', 'zstd', ['-3', '-T2', '-q', '-c'], true);
  ours('zstd-napi, no workers', 3, true);
  ours('zstd-napi, 2 workers', 3, true);
  for (const level of [1, 3, 9]) ours('zstd stage (defaults)', level, true);
  for (const level of [1, 6]) if (hasPigz) program(`pigz -${level} -p 2`, 'pigz', [`-${level}`, '-p', '2', '-c'], true);
  for (const level of [1, 6, 9]) ours('gzip stage (defaults)', level, true);

  const runs = new Map<string, Run[]>([...cases.keys()].map((key) => [key, []]));
  for (let round = 0; round < RUNS; round++) {
    for (const [key, { run }] of cases) runs.get(key)!.push(await run());
  }
  const figures = (key: string) => {
    const all = runs.get(key)!;
    const { size } = cases.get(key)!;
    const seconds = medianOf(all.map((run) => run.seconds));
    const cpuSeconds = medianOf(all.map((run) => run.cpuSeconds));
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
  console.log(JSON.stringify({
    benchmark: 'compress',
    input: { bytes, content: 'alternating MiB of random bytes and zeros', cpus: availableParallelism(), runs: RUNS, readOnly: figures('read only (no stage) @0') },
    defaults: {
      zstd: `${preferredZstdBackend()}, level ${LEVELS.zstd.default}, ${zstdWorkersFor(availableParallelism())} workers`,
      gzip: `${availableParallelism() > 1 ? `parallel, ${availableParallelism()} threads` : 'node:zlib'}, level ${LEVELS.gzip.default}`,
    },
    zstd: {
      level: 3,
      reference: { program: 'zstd -3 -T2', ...figures('zstd -3 -T2') },
      stages: section((key) => key.includes('zstd') && key.endsWith('@3'), 'zstd -3 -T2'),
      target: 'ratioToReference >= 0.8',
    },
    gzip: Object.fromEntries([...new Set([...cases.keys()].filter((key) => key.includes('gzip') && !key.endsWith(' usr')).map(levelOf))].map((level) => {
      const reference = `pigz -${level} -p 2`;
      return [`level ${level}`, {
        reference: hasPigz ? { program: reference, ...figures(reference) } : { program: reference, missing: 'pigz is not installed (apt-get install pigz)' },
        stages: section((key) => key.includes('gzip') && key.endsWith(`@${level}`), hasPigz ? reference : undefined),
      }];
    })),
    fileSystemImage: {
      bytes: imageBytes,
      content: 'tar of /usr/lib and /usr/share',
      zstd: {
        reference: { program: 'zstd -3 -T2', ...figures('zstd -3 -T2 usr') },
        stages: section((key) => key.includes('zstd') && key.endsWith(' usr') && key.startsWith('zstd-napi'), 'zstd -3 -T2 usr'),
        levels: section((key) => key.startsWith('zstd stage') && key.endsWith(' usr'), undefined),
      },
      gzip: {
        references: hasPigz ? Object.fromEntries([1, 6].map((level) => [`pigz -${level} -p 2`, figures(`pigz -${level} -p 2 usr`)])) : { missing: 'pigz is not installed (apt-get install pigz)' },
        levels: Object.fromEntries([...cases.keys()].filter((key) => key.startsWith('gzip stage') && key.endsWith(' usr')).map((key) => [key, against(key, hasPigz ? `pigz -${levelOf(key)} -p 2 usr` : undefined)])),
      },
    },
  }, null, 2));
} finally {
  await rm(work, { recursive: true, force: true });
}

async function runStage(name: string, level: number, file: string): Promise<Run> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--stage', name, String(level), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`stage ${name} failed (exit ${code})`);
  return JSON.parse(stdout) as Run;
}

/** Runs a program under GNU time (`exec`, so the figures are the program's own). */
async function runProgram(command: string, args: readonly string[], file: string): Promise<Run> {
  const output = Number(execFileSync('sh', ['-c', `"$0" "$@" < '${file}' | wc -c`, command, ...args]).toString().trim());
  const child = spawn('/usr/bin/time', ['-f', 'TIME %e %U %S %M', 'sh', '-c', `exec "$0" "$@" < '${file}' > /dev/null`, command, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const times = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
  if (code !== 0 || !times) throw new Error(`${command} failed: ${stderr}`);
  const [, wall, user, system, rssKb] = times.map(Number) as [number, number, number, number, number];
  return { seconds: wall, cpuSeconds: user + system, output, peakRssMB: Math.round(rssKb / 1024) };
}

async function writeHalfRandomHalfZeros(path: string, size: number): Promise<void> {
  const out = createWriteStream(path);
  // AES-CTR over zeros: incompressible and fast to generate.
  const keystream = createCipheriv('aes-128-ctr', randomBytes(16), Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  for (let mib = 0; mib < size / MiB; mib++) {
    if (!out.write(mib % 2 === 0 ? keystream.update(zeros) : zeros)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

function commandExists(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
