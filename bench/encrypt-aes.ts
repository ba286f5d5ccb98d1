// Benchmark: the encrypt-aes streams on a file (half random, half zeros), against OpenSSL in the
// same run on the same file. Prints one JSON object.
//   node bench/encrypt-aes.ts            (1 GiB; peak RSS compared with 128 MiB)
//   node bench/encrypt-aes.ts --small    (128 MiB; peak RSS compared with 16 MiB)
// Before a build, run it from the TypeScript sources: node --conditions=hyperexport-source bench/encrypt-aes.ts
// Targets (issue 5): encrypt ≥ 0.7 of `openssl enc -aes-256-ctr`; SHA-256 in a Node pipeline
// ≥ 0.7 of `openssl dgst -sha256`; peak RSS flat as the input grows.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { digestStream } from '@hyperexport/core';
import { createDecryptStream, createEncryptStream, masterKeyFromBytes, masterKeyFromPassphrase, readKeyFile } from '@hyperexport/encrypt-aes';
import { mbPerSecond, measure, median, ratio, round, settleDisk, startFigures, writeHalfRandomHalfZeros } from './support.ts';
import type { Measured } from './support.ts';

const MiB = 1024 * 1024;
/** Read size of the file streams: what a source hands the pipeline per chunk. */
const READ_SIZE = MiB;

type ToolRun = Measured & { readonly cpuSeconds: number };
type NodeRun = ToolRun & { readonly streamSeconds: number };

if (process.argv[2] === '--child') await child(process.argv.slice(3));
else await main();

/**
 * One measured operation, in its own process so its peak RSS is its own. It writes how long the
 * stream itself took (without Node's start-up and module loading) to `timing`.
 */
async function child([operation, timing, input, output, keyFile]: string[]): Promise<void> {
  const read = () => createReadStream(input!, { highWaterMark: READ_SIZE });
  const master = keyFile === undefined ? undefined : masterKeyFromBytes(await readKeyFile(keyFile));
  const done = startFigures();
  if (operation === 'sha256') {
    await digestStream(read(), AbortSignal.timeout(600_000));
  } else {
    const stream =
      operation === 'encrypt'
        ? createEncryptStream(master!, { binding: { storedName: basename(output!), exportId: 'bench' } })
        : createDecryptStream(master!, { name: input });
    await pipeline(read(), stream, createWriteStream(output!));
  }
  const { seconds, cpuSeconds } = done(); // CPU: the whole process (main thread and libuv's threads), start-up excluded
  await writeFile(timing!, JSON.stringify({ seconds, cpuSeconds }));
}

async function main(): Promise<void> {
  const small = process.argv.includes('--small');
  const bytes = (small ? 128 : 1024) * MiB;
  const rssProbeBytes = (small ? 16 : 128) * MiB;
  const rounds = small ? 3 : 5;
  const work = await mkdtemp(join(tmpdir(), 'hyperexport-bench-aes-'));
  try {
    const input = join(work, 'input');
    const probe = join(work, 'probe');
    await writeHalfRandomHalfZeros(input, bytes);
    await writeHalfRandomHalfZeros(probe, rssProbeBytes);
    const key = randomBytes(32);
    const keyFile = join(work, 'key');
    await writeFile(keyFile, `${key.toString('hex')}\n`, { mode: 0o600 });
    const self = fileURLToPath(import.meta.url);
    const timing = join(work, 'timing.json');
    // A Node run: the process measured from outside (peak RSS, wall time) and the stream from inside.
    const node = async (operation: string, ...args: string[]): Promise<NodeRun> => {
      const run = await measure(process.execPath, [...process.execArgv, self, '--child', operation, timing, ...args]);
      if (run.code !== 0) throw new Error(`${operation} failed: ${run.stderr}`);
      const { seconds, cpuSeconds } = JSON.parse(await readFile(timing, 'utf8')) as { seconds: number; cpuSeconds: number };
      return { ...run, streamSeconds: seconds, cpuSeconds };
    };
    const encrypted = join(work, 'encrypted.hxe');
    const decrypted = join(work, 'decrypted');
    const opensslOut = join(work, 'openssl.out');

    const opensslRuns: ToolRun[] = [];
    const dgstRuns: ToolRun[] = [];
    const encryptRuns: NodeRun[] = [];
    const decryptRuns: NodeRun[] = [];
    const sha256Runs: NodeRun[] = [];
    // Each run starts with no dirty pages of an earlier one still being written back, so the
    // order of the runs does not decide which one pays for the disk.
    const settle = async (...paths: string[]) => {
      for (const path of paths) await rm(path, { force: true });
      settleDisk();
    };
    // openssl through bash, whose `times` tells the CPU time its child used (user and system).
    const tool = async (args: string[]): Promise<ToolRun> => {
      const run = await measure('bash', ['-c', 'openssl "$@" >/dev/null && times >&2', 'openssl', ...args]);
      if (run.code !== 0) throw new Error(`openssl ${args[0]} failed: ${run.stderr}`);
      const children = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(run.stderr);
      const cpuSeconds = children ? Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4]) : Number.NaN;
      return { ...run, cpuSeconds };
    };
    // Decryption reads a file made (and flushed) before the rounds: had it just been written in
    // the round, the flush of that gigabyte would still be slowing the disk down when it starts.
    await node('encrypt', input, encrypted, keyFile);
    await settle();
    const reencrypted = join(work, 'reencrypted.hxe');
    // Interleaved rounds, medians, and the order of the writing runs rotated each round: the
    // machine is shared, and neither a quiet or busy moment nor going first should decide.
    const writers: (() => Promise<void>)[] = [
      async () => {
        await settle(opensslOut);
        opensslRuns.push(
          await tool(['enc', '-aes-256-ctr', '-K', key.toString('hex'), '-iv', randomBytes(16).toString('hex'), '-in', input, '-out', opensslOut]),
        );
      },
      async () => {
        await settle(reencrypted);
        encryptRuns.push(await node('encrypt', input, reencrypted, keyFile));
      },
      async () => {
        await settle(decrypted);
        decryptRuns.push(await node('decrypt', encrypted, decrypted, keyFile));
      },
    ];
    for (let round = 0; round < rounds; round++) {
      for (let turn = 0; turn < writers.length; turn++) await writers[(round + turn) % writers.length]!();
      await settle(opensslOut, reencrypted, decrypted);
      dgstRuns.push(await tool(['dgst', '-sha256', input]));
      sha256Runs.push(await node('sha256', input));
    }
    const signal = AbortSignal.timeout(600_000);
    await node('decrypt', encrypted, decrypted, keyFile);
    const roundTrip = (await digestStream(createReadStream(decrypted), signal)).sha256 === (await digestStream(createReadStream(input), signal)).sha256;
    if (!roundTrip) throw new Error('the decrypted file differs from the input');
    const encryptedBytes = (await stat(encrypted)).size;
    await settle(encrypted, decrypted);
    const probeRun = await node('encrypt', probe, encrypted, keyFile);

    const started = performance.now();
    await masterKeyFromPassphrase('benchmark passphrase');
    const scryptMs = Math.round(performance.now() - started);

    const opensslEnc = median(opensslRuns.map((run) => run.seconds));
    const opensslDgst = median(dgstRuns.map((run) => run.seconds));
    const cpu = (runs: ToolRun[]) => median(runs.map((run) => run.cpuSeconds));
    const reference = (runs: ToolRun[]) => ({
      MBps: mbPerSecond(bytes, median(runs.map((run) => run.seconds))),
      all: runs.map((run) => mbPerSecond(bytes, run.seconds)),
      cpuSeconds: round(cpu(runs)),
    });
    // `stream`: the pipeline alone, timed inside the process; `process`: the whole run with Node's
    // start-up, as openssl's figure is.
    const ours = (runs: NodeRun[], referenceSeconds: number, referenceCpu: number) => {
      const stream = median(runs.map((run) => run.streamSeconds));
      const whole = median(runs.map((run) => run.seconds));
      return {
        MBps: mbPerSecond(bytes, stream),
        all: runs.map((run) => mbPerSecond(bytes, run.streamSeconds)),
        ratioToOpenssl: ratio(referenceSeconds, stream),
        processMBps: mbPerSecond(bytes, whole),
        processRatioToOpenssl: ratio(referenceSeconds, whole),
        // CPU time (all threads) against openssl's: what the figures would be on an idle machine.
        cpuSeconds: round(cpu(runs)),
        cpuRatioToOpenssl: ratio(referenceCpu, cpu(runs)),
        peakRssMB: Math.max(...runs.map((run) => run.peakRssMB)),
      };
    };
    console.log(
      JSON.stringify({
        benchmark: 'encrypt-aes',
        bytes,
        encryptedBytes,
        chunkSize: MiB,
        readSize: READ_SIZE,
        rounds,
        opensslEncAes256Ctr: reference(opensslRuns),
        encrypt: ours(encryptRuns, opensslEnc, cpu(opensslRuns)),
        decrypt: { ...ours(decryptRuns, opensslEnc, cpu(opensslRuns)), roundTrip },
        opensslDgstSha256: reference(dgstRuns),
        sha256Pipeline: ours(sha256Runs, opensslDgst, cpu(dgstRuns)),
        peakRssMB: {
          [`encrypt${rssProbeBytes / MiB}MiB`]: probeRun.peakRssMB,
          [`encrypt${bytes / MiB}MiB`]: Math.max(...encryptRuns.map((run) => run.peakRssMB)),
        },
        scryptDefaultMs: scryptMs,
        note: 'medians of interleaved rounds; openssl enc -aes-256-ctr has no authentication, our files are AES-256-GCM with a tag per 1 MiB chunk; peak RSS includes Node and the loaded modules',
      }),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
