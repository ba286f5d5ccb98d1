// Benchmark: an export streamed to each storage backend's local server (store-remote's stream
// mode, no local copy), against the same export written to local disk in the same run. Prints
// one JSON object.
//   node bench/storage.ts            (an export of about 1 GiB)
//   node bench/storage.ts --small    (about 256 MiB)
//   --rounds N                       (default 3)
// Before a build, run the TypeScript sources: node --conditions=hyperexport-source bench/storage.ts
// Target (issue 6): MB/s and peak RSS per backend, with the ratio to local disk.
//
// The export: a local VM folder (test/support/make-vm-folder.ts: a .vmx and one streamOptimized
// VMDK whose disk is three quarters pseudo-random, one quarter zeros), its capacity chosen so
// that the VMDK, the bytes that flow, is about 1 GiB (256 MiB). It is exported as OVF by
// source-local through runJob:
// - local (the reference): store-local into a directory, with its defaults (fsync, read-back
//   verification);
// - file: store-remote streaming to a file:// target (FileStorageService): the remote sink's own
//   cost, with no network;
// - s3: cloud-s3 to s3rver (npm; test/support/s3-server.ts, with its recording front), which runs
//   in a child process of its own: s3rver itself is the bottleneck, at about 65 MB/s here;
// - azure: cloud-azure to Azurite (npm; its own process, test/support/azurite.ts);
// - gcs: cloud-gcs (the real @google-cloud/storage client) to test/support/gcs-fake.ts, a fake of
//   the JSON API and resumable uploads, in a child process of its own; credentials are a Workload
//   Identity Federation file exchanged at the fake's token endpoint;
// - sftp: cloud-sftp to Debian's OpenSSH sshd on a loopback port (test/support/sshd.ts; root only).
// Every upload runs in a child process of its own (`--one NAME`) that reports its peak RSS
// (getrusage), so one backend's memory cannot hide another's, and loads only its own backend.
// Each case is timed from runJob's start to its end (opening the target, the upload, its check
// and the export's record included). Cases are interleaved round by round; figures are medians.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Exporter, runJob } from '@hyperexport/core';
import type { JobSpec, PluginInstance } from '@hyperexport/core';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import storeRemote from '@hyperexport/store-remote';
import { startAzurite } from '../test/support/azurite.ts';
import type { Azurite } from '../test/support/azurite.ts';
import { GcsFake } from '../test/support/gcs-fake.ts';
import { makeVmFolder } from '../test/support/make-vm-folder.ts';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, startS3Server } from '../test/support/s3-server.ts';
import { startSshd } from '../test/support/sshd.ts';
import type { RunningSshd } from '../test/support/sshd.ts';
import { argValue, loadAverage, mbPerSecond, median, ratio, round, runChild, settleDisk, startFigures } from './support.ts';
import type { ChildFigures } from './support.ts';

const self = fileURLToPath(import.meta.url);
const BUCKET = 'bench';

type Backend = 'local' | 'file' | 's3' | 'azure' | 'gcs' | 'sftp';

/** What an upload child needs; secrets are not in it (they go in the child's environment). */
interface Upload {
  readonly backend: Backend;
  readonly source: string;
  /** The target URL (every backend but local). */
  readonly target?: string | undefined;
  /** The output directory (local). */
  readonly output?: string | undefined;
  /** The backend plugin's options (endpoints, key file paths). */
  readonly options?: Record<string, unknown> | undefined;
}

interface UploadFigures extends ChildFigures {
  readonly bytes: number;
  /** The job's `write` stage: the data flow and the upload's checks, without opening the target. */
  readonly writeSeconds: number | undefined;
}

/** A local server a backend uploads to: how to reach it, and how to stop it. */
interface Server {
  readonly upload: (source: string) => Upload;
  readonly env: NodeJS.ProcessEnv;
  readonly what: string;
  stop(): Promise<void>;
}

if (process.argv[2] === '--one') {
  console.log(JSON.stringify(await uploadOnce(JSON.parse(process.argv[3]!) as Upload)));
  process.exit(0);
} else if (process.argv[2] === '--serve') {
  await serve(process.argv[3] as 's3' | 'gcs', process.argv[4]!);
} else {
  await main();
}

/** The backend plugin, loaded only in the child that uses it. */
async function backendPlugin(backend: Backend, options: Record<string, unknown> = {}): Promise<PluginInstance[]> {
  switch (backend) {
    case 'local':
      return [storeLocal()];
    case 'file':
      return [storeLocal(), storeRemote()];
    case 's3':
      return [storeRemote(), (await import('@hyperexport/cloud-s3')).default(options)];
    case 'azure':
      return [storeRemote(), (await import('@hyperexport/cloud-azure')).default(options)];
    case 'gcs':
      return [storeRemote(), (await import('@hyperexport/cloud-gcs')).default(options)];
    case 'sftp':
      return [storeRemote(), (await import('@hyperexport/cloud-sftp')).default(options)];
  }
}

/** One export, as `hyperexport export --source DIR --format ovf` with --output or --upload URL --stream-upload runs it. */
async function uploadOnce(upload: Upload): Promise<UploadFigures> {
  const exporter = await Exporter.create([sourceLocal(), ...(await backendPlugin(upload.backend, upload.options))]);
  const spec: JobSpec = {
    source: upload.source,
    format: 'ovf',
    output: upload.output,
    name: 'bench',
    parallel: 4,
    overwrite: true,
    extra: upload.target === undefined ? {} : { targets: [upload.target], streamUpload: true },
  };
  let writeSeconds: number | undefined;
  exporter.bus.on('stage:end', (event) => {
    if (event.stage === 'write') writeSeconds = event.durationMs / 1000;
  });
  const done = startFigures();
  const result = await runJob(exporter, spec);
  const figures = done();
  if (result.status !== 'succeeded') throw new Error(`the export to ${upload.backend} failed: ${JSON.stringify(result.error)}`);
  const disk = result.files.find((file) => file.kind === 'disk')!;
  return { ...figures, writeSeconds, bytes: disk.size };
}

/**
 * `--serve s3|gcs DIR`: runs an in-process test server in a process of its own, so that neither
 * the uploader nor the main run shares its event loop; prints how to reach it as one JSON line.
 */
async function serve(kind: 's3' | 'gcs', directory: string): Promise<void> {
  let stop: () => Promise<void>;
  if (kind === 's3') {
    const server = await startS3Server({ bucket: BUCKET });
    stop = () => server.stop();
    console.log(JSON.stringify({ endpoint: server.endpoint }));
  } else {
    const fake = await GcsFake.start({ buckets: [BUCKET] });
    const subjectToken = randomBytes(16).toString('hex');
    fake.acceptSubjectToken(subjectToken);
    const credentialFile = await fake.writeCredentialFile(directory, subjectToken);
    stop = () => fake.stop();
    console.log(JSON.stringify({ endpoint: fake.endpoint, credentialFile }));
  }
  const shutDown = () => void stop().finally(() => process.exit(0));
  process.once('SIGTERM', shutDown);
  process.once('SIGINT', shutDown);
}

/** Starts `--serve KIND` and waits for its JSON line. */
async function startServeChild<T>(kind: 's3' | 'gcs', directory: string): Promise<{ info: T; child: ChildProcess }> {
  const child = spawn(process.execPath, [...process.execArgv, self, '--serve', kind, directory], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the ${kind} server exited (${code}): ${stderr.slice(-2000)}`)));
  });
  return { info: JSON.parse(line) as T, child };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function startS3(work: string): Promise<Server> {
  const { info, child } = await startServeChild<{ endpoint: string }>('s3', work);
  return {
    what: 's3rver 3 behind the recording front of test/support/s3-server.ts, in its own process',
    upload: (source) => ({ backend: 's3', source, target: `s3://${BUCKET}/exports?endpoint=${encodeURIComponent(info.endpoint)}` }),
    env: { AWS_ACCESS_KEY_ID: S3RVER_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: S3RVER_SECRET_KEY, AWS_EC2_METADATA_DISABLED: 'true' },
    stop: () => stopChild(child),
  };
}

async function startGcs(work: string): Promise<Server> {
  const { info, child } = await startServeChild<{ endpoint: string; credentialFile: string }>('gcs', work);
  return {
    what: 'test/support/gcs-fake.ts (JSON API and resumable uploads) in its own process, through the real @google-cloud/storage client',
    upload: (source) => ({ backend: 'gcs', source, target: `gs://${BUCKET}/exports`, options: { apiEndpoint: info.endpoint, keyFile: info.credentialFile } }),
    env: {},
    stop: () => stopChild(child),
  };
}

async function startAzure(): Promise<Server> {
  const azurite: Azurite = await startAzurite();
  try {
    const { BlobServiceClient } = await import('@azure/storage-blob');
    await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(BUCKET).create();
  } catch (error) {
    await azurite.stop();
    throw error;
  }
  return {
    what: 'Azurite (npm), its own process',
    upload: (source) => ({ backend: 'azure', source, target: `azure://devstoreaccount1/${BUCKET}/exports` }),
    env: { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
    stop: () => azurite.stop(),
  };
}

async function startSftp(): Promise<Server> {
  const sshd: RunningSshd = await startSshd();
  return {
    what: "Debian's OpenSSH sshd (internal-sftp) on a loopback port",
    upload: (source) => ({
      backend: 'sftp',
      source,
      target: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${sshd.root}/exports`,
      options: { keyFile: sshd.privateKeyPath, knownHosts: sshd.knownHostsPath },
    }),
    env: {},
    stop: () => sshd.stop(),
  };
}

async function main(): Promise<void> {
  const small = process.argv.includes('--small');
  const rounds = Number(argValue('--rounds') ?? 3);
  const exportMiB = small ? 256 : 1024;
  const work = await mkdtemp(join(tmpdir(), 'hyperexport-bench-storage-'));
  const loadBefore = loadAverage();
  const servers = new Map<Backend, Server>();
  const missing: Record<string, string> = {};
  try {
    // A quarter of the disk is zeros, which the streamOptimized VMDK skips: the VMDK is about
    // three quarters of the capacity.
    const vm = await makeVmFolder(join(work, 'vm', 'bench'), 'bench', [Math.round((exportMiB * 4) / 3)]);
    const vmdkBytes = (await stat(vm.disks[0]!)).size;

    const starters: Array<[Backend, () => Promise<Server>]> = [
      ['s3', () => startS3(work)],
      ['azure', () => startAzure()],
      ['gcs', () => startGcs(work)],
      ['sftp', () => startSftp()],
    ];
    for (const [backend, start] of starters) {
      try {
        servers.set(backend, await start());
      } catch (error) {
        missing[backend] = (error as Error).message.split('\n')[0]!;
      }
    }
    const fileTarget = join(work, 'file-target');
    await mkdir(fileTarget);
    const output = join(work, 'local');
    const cases = new Map<Backend, { upload: Upload; env: NodeJS.ProcessEnv; what: string }>([
      ['local', { upload: { backend: 'local', source: vm.directory, output }, env: {}, what: 'store-local into a directory (fsync, read-back verification)' }],
      [
        'file',
        {
          upload: { backend: 'file', source: vm.directory, target: pathToFileURL(fileTarget).href },
          env: {},
          what: 'store-remote streaming to a file:// target',
        },
      ],
      ...[...servers].map(([backend, server]) => [backend, { upload: server.upload(vm.directory), env: server.env, what: server.what }] as const),
    ]);

    const runs = new Map<Backend, UploadFigures[]>([...cases.keys()].map((backend) => [backend, []]));
    for (let round = 0; round < rounds; round++) {
      for (const [backend, { upload, env }] of cases) {
        await rm(output, { recursive: true, force: true });
        settleDisk();
        runs.get(backend)!.push(await runChild<UploadFigures>(self, ['--one', JSON.stringify(upload)], { ...process.env, ...env }));
      }
    }

    const reference = median(runs.get('local')!.map((figures) => figures.seconds));
    // Best rounds: on a shared machine other sessions only ever slow a case down.
    const fastest = (backend: Backend) => Math.min(...runs.get(backend)!.map((figures) => figures.seconds));
    const summary = (backend: Backend) => {
      const all = runs.get(backend)!;
      const seconds = median(all.map((figures) => figures.seconds));
      const writeSeconds = median(all.map((figures) => figures.writeSeconds ?? Number.NaN));
      return {
        what: cases.get(backend)!.what,
        seconds: round(seconds),
        MBps: mbPerSecond(vmdkBytes, seconds),
        ratioToLocal: ratio(reference, seconds),
        writeStageMBps: mbPerSecond(vmdkBytes, writeSeconds),
        bestMBps: mbPerSecond(vmdkBytes, fastest(backend)),
        bestRatioToLocal: ratio(fastest('local'), fastest(backend)),
        cpuSeconds: round(median(all.map((figures) => figures.cpuSeconds))),
        mainThreadCpuSeconds: round(median(all.map((figures) => figures.mainThreadCpuSeconds ?? Number.NaN))),
        peakRssMB: Math.max(...all.map((figures) => figures.peakRssMB)),
        allMBps: all.map((figures) => mbPerSecond(vmdkBytes, figures.seconds)),
      };
    };
    console.log(
      JSON.stringify(
        {
          benchmark: 'storage',
          export: {
            format: 'ovf',
            diskCapacityMiB: Math.round((exportMiB * 4) / 3),
            vmdkBytes,
            content: 'streamOptimized VMDK of a disk three quarters pseudo-random, one quarter zeros',
          },
          machine: { cpus: availableParallelism(), loadAverageBefore: loadBefore, loadAverageAfter: loadAverage() },
          rounds,
          mode: 'store-remote streaming (extra: { targets: [url], streamUpload: true }), no local copy',
          backends: Object.fromEntries([...cases.keys()].map((backend) => [backend, summary(backend)])),
          ...(Object.keys(missing).length > 0 ? { missing } : {}),
          note: "medians of interleaved rounds (best*: the fastest round of each case); each case timed from runJob start to end (target opened, upload checked, record written); MB/s of VMDK bytes; ratioToLocal = local seconds / backend seconds; cpuSeconds is the uploading process's (every thread), mainThreadCpuSeconds its event loop thread alone; peak RSS is the uploading process's (getrusage), with Node and that backend's SDK loaded; the servers run in other processes on the same 2 CPUs",
        },
        null,
        2,
      ),
    );
  } finally {
    for (const server of servers.values()) await server.stop().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}
