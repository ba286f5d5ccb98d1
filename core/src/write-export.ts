// The data flow of one export: source files → transforms → every sink, as an OVF folder or an
// OVA. Streams are composed here with pipeline() and the job's signal, never with .pipe().
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Checkpoint } from './checkpoint.ts';
import type { CheckpointBinder } from './checkpoint-bindings.ts';
import { recreateExclusively } from './fs/exclusive-file.ts';
import type { Job } from './job.ts';
import { describeError } from './errors.ts';
import type {
  Artifact,
  ExportLayout,
  ExportRecord,
  ExportSink,
  ExportSource,
  FileDigest,
  SnapshotRef,
  SourceFile,
  StoredFile,
  TransformedFile,
  TransformPlan,
  TransformStage,
} from './model.ts';
import { exportRecordName } from './model.ts';
import { stageSees } from './stage-declarations.ts';
import { rewriteFileReferences } from './ovf/file-references.ts';
import type { FileReferenceChange } from './ovf/file-references.ts';
import { createOvaStream, ovaSize } from './ovf/ova-writer.ts';
import { formatManifest } from './ovf/manifest.ts';
import { DigestMeter, digestStream } from './stream/digest-meter.ts';
import { fanOut } from './stream/fan-out.ts';
import { runWithConcurrency } from './stream/concurrency.ts';

export interface WrittenFiles {
  readonly files: StoredFile[];
  /** Bytes read from the source. */
  readonly bytesRead: number;
  /** The files that stages changed, by stored name (see WrittenExport.transformed). */
  readonly transformed: ReadonlyMap<string, TransformedFile>;
}

interface Context {
  readonly job: Job;
  readonly source: ExportSource;
  readonly plan: TransformPlan;
  readonly sinks: readonly ExportSink[];
  readonly layout: ExportLayout;
  readonly progress: ReadProgress;
  /** Set when an interrupted run of this export can be continued. */
  readonly checkpoint: Checkpoint | undefined;
  /** Filled as files are written: each file that stages changed, by stored name. */
  readonly transformed: Map<string, TransformedFile>;
}

/** The snapshot a job exports from, and how to remove one that an interrupted run took. */
export interface ExportSnapshots {
  readonly current: SnapshotRef | undefined;
  readonly removeLeftover: (snapshot: SnapshotRef) => Promise<void>;
}

/** What the write continues from: the checkpoint of an interrupted run, and the snapshots to settle. */
export interface WriteResumption {
  /** The checkpoint opened for this export (openExportCheckpoint); undefined when none applies. */
  readonly checkpoint: Checkpoint | undefined;
  readonly snapshots?: ExportSnapshots | undefined;
}

/**
 * Writes the export. The job's export id must be fixed before (run-job does, from the checkpoint
 * that `resumption` carries): stages read it while they write.
 */
export async function writeExport(
  job: Job,
  source: ExportSource,
  plan: TransformPlan,
  sinks: readonly ExportSink[],
  layout: ExportLayout,
  resumption: WriteResumption = { checkpoint: undefined },
): Promise<WrittenFiles> {
  const progress = new ReadProgress(source);
  const { checkpoint, snapshots } = resumption;
  if (checkpoint && checkpoint.startedOver.length > 0) {
    const sourceChanged = checkpoint.startedOver.some((why) => why.startsWith(`${SOURCE_BINDING}: `));
    job.warn(
      `starting the interrupted export over (checkpoint ${checkpoint.path}), as ${sourceChanged ? 'it cannot be continued' : 'it was written with other settings'}: ${checkpoint.startedOver.join('; ')}`,
    );
  }
  if (checkpoint && snapshots) await settleSnapshots(job, checkpoint, snapshots);
  if (checkpoint && checkpoint.size > 0) {
    job.info(`continuing an interrupted export: ${checkpoint.size} file(s) already done (checkpoint ${checkpoint.path})`);
  }
  const context: Context = { job, source, plan, sinks, layout, progress, checkpoint, transformed: new Map() };
  const files = layout.format === 'ova' ? await writeOva(context) : await writeOvfFolder(context);
  return { files, bytesRead: progress.total, transformed: context.transformed };
}

async function writeOvfFolder(context: Context): Promise<StoredFile[]> {
  const { job, source, layout } = context;
  const rawDigests: FileDigest[] = [];
  const disks = await runWithConcurrency(
    source.files,
    job.spec.parallel,
    async (file) => {
      const artifact: Artifact = { name: file.name, kind: 'disk', sourceSize: file.size };
      const adopted = await adoptCheckpointed(context, artifact);
      if (adopted) {
        rawDigests.push(adopted.raw);
        return adopted.stored;
      }
      return writeArtifact(
        context,
        artifact,
        (signal) => file.open(signal),
        (digest) => rawDigests.push(digest),
        true,
        async (stored, raw) => {
          // Recorded before file:end is announced: whoever sees the event can rely on the checkpoint.
          await context.checkpoint?.record({ name: file.name, kind: 'disk', raw: raw!, stored, spooled: false });
        },
      );
    },
    (error) => job.abort(error),
    job.signal,
  );
  // Keep the source's order in the descriptor, whatever order the parallel reads finished in.
  const ordered = source.files.map((file) => rawDigests.find((digest) => digest.name === file.name)!);
  const descriptorText = describeStoredFiles(context, await source.descriptor(ordered, job.signal), disks);
  const descriptor = await writeArtifact(context, { name: `${layout.baseName}.ovf`, kind: 'descriptor' }, () =>
    Promise.resolve(Readable.from([Buffer.from(descriptorText)])),
  );
  const manifestText = formatManifest([descriptor, ...disks].map(({ name, size, sha256 }) => ({ name, size, sha256 })));
  const manifest = await writeArtifact(context, { name: `${layout.baseName}.mf`, kind: 'manifest' }, () =>
    Promise.resolve(Readable.from([Buffer.from(manifestText)])),
  );
  return [descriptor, manifest, ...disks];
}

/**
 * An OVA's first member, the .ovf, carries every file's size and the .mf after it every digest,
 * so all disks must be complete before the first byte is written. A file that can be read again
 * (a local disk) is hashed in a first pass; any other (a vSphere NFC stream) is spooled next to
 * the destination and read back from there.
 */
async function writeOva(context: Context): Promise<StoredFile[]> {
  const { job, source, layout, sinks } = context;
  // A sink's spool folder is on the destination's filesystem and survives a crash (the checkpoint
  // refers to it); without one, a private temporary folder is used and removed.
  const sinkSpool = sinks.map((sink) => sink.spoolDirectory?.()).find((dir) => dir !== undefined);
  let privateSpool: Promise<string> | undefined;
  const spoolDirectory = async (): Promise<string> => {
    if (sinkSpool) {
      await mkdir(sinkSpool, { recursive: true });
      return sinkSpool;
    }
    privateSpool ??= mkdtemp(join(tmpdir(), 'hyperexport-spool-'));
    return privateSpool;
  };
  try {
    const members = await runWithConcurrency(
      source.files,
      job.spec.parallel,
      async (file) => {
        if (file.rereadable) return { file, digest: await digestSourceFile(context, file), open: (signal: AbortSignal) => file.open(signal) };
        const spoolPath = join(await spoolDirectory(), file.name);
        const digest = (await adoptSpooled(context, file.name, spoolPath)) ?? (await spoolSourceFile(context, file, spoolPath));
        return { file, digest, open: () => Promise.resolve(createReadStream(spoolPath)) };
      },
      (error) => job.abort(error),
      job.signal,
    );
    const digests = members.map((member) => member.digest);
    const descriptor = Buffer.from(await source.descriptor(digests, job.signal));
    const ovfName = `${layout.baseName}.ovf`;
    const ovfDigest = digestBuffer(ovfName, descriptor);
    const manifest = Buffer.from(formatManifest([ovfDigest, ...digests]));
    const ovaMembers = [
      { name: ovfName, size: descriptor.length, open: () => Promise.resolve(Readable.from([descriptor])) },
      { name: `${layout.baseName}.mf`, size: manifest.length, open: () => Promise.resolve(Readable.from([manifest])) },
      ...members.map(({ digest, open }) => ({ name: digest.name, size: digest.size, open: () => open(job.signal) })),
    ];
    const ova = createOvaStream(ovaMembers, job.signal);
    // Pacing stages (a bandwidth cap) limit reads of the source: the first pass was paced; the
    // package write is too only when it reads the source again rather than the local spool.
    const rereadsSource = members.some(({ file }) => file.rereadable);
    const packageContext = rereadsSource ? context : { ...context, plan: { stages: context.plan.stages.filter((stage) => !pacesOnly(stage)) } };
    // Every member's size is known by now, so the package's is too: its progress has a real total.
    const packageArtifact: Artifact = { name: `${layout.baseName}.ova`, kind: 'package', sourceSize: ovaSize(ovaMembers.map((member) => member.size)) };
    const packageFile = await writeArtifact(packageContext, packageArtifact, () => Promise.resolve(ova), undefined, false);
    return [packageFile];
  } finally {
    if (privateSpool) await rm(await privateSpool, { recursive: true, force: true });
  }
}

/**
 * The source describes the disks as read; a stage that renamed a disk (`disk1.vmdk.gz`) changes
 * its href and size, and a compression with a standard OVF spelling is recorded on the File
 * element, so other OVF tools can read the folder.
 */
function describeStoredFiles(context: Context, descriptor: string, disks: readonly StoredFile[]): string {
  const changes = new Map<string, FileReferenceChange>();
  for (const file of context.source.files) {
    const artifact: Artifact = { name: file.name, kind: 'disk', sourceSize: file.size };
    const renaming = stagesFor(context.plan, artifact).filter((stage) => stage.rename);
    if (renaming.length === 0) continue;
    const stored = disks.find((disk) => disk.name === storedName(renaming, file.name))!;
    // Only a file that is nothing but compressed has a standard spelling (not one also encrypted).
    const compression = renaming.length === 1 ? renaming[0]!.ovfCompression : undefined;
    changes.set(file.name, { href: stored.name, size: stored.size, compression });
  }
  return changes.size === 0 ? descriptor : rewriteFileReferences(descriptor, changes);
}

/** The stages that see an artifact (their declared `artifacts`, narrowed by `appliesTo`), in plan order; the record is never transformed. */
function stagesFor(plan: TransformPlan, artifact: Artifact): TransformStage[] {
  if (artifact.kind === 'record') return [];
  return plan.stages.filter((stage) => stageSees(stage, artifact.kind) && (stage.appliesTo?.(artifact) ?? true));
}

function storedName(stages: readonly TransformStage[], name: string): string {
  let stored = name;
  for (const stage of stages) if (stage.rename) stored = stage.rename(stored);
  return stored;
}

/**
 * Writes the export's record (NAME.FORMAT.hyperexport.json) to every sink, last, once the export is checked: the record by
 * which retention and `hyperexport remote` recognise the tool's exports (see ExportRecord).
 */
export async function writeExportRecord(
  job: Job,
  source: ExportSource,
  plan: TransformPlan,
  sinks: readonly ExportSink[],
  layout: ExportLayout,
  files: readonly StoredFile[],
  pluginOfStage: (stage: TransformStage) => string | undefined = () => undefined,
): Promise<ExportRecord> {
  const stagePlugins = Object.fromEntries(
    plan.stages.flatMap((stage) => {
      const plugin = byteStageNames({ stages: [stage] }).length > 0 ? pluginOfStage(stage) : undefined;
      return plugin === undefined ? [] : [[stage.name, plugin] as const];
    }),
  );
  const record: ExportRecord = {
    kind: 'hyperexport-export',
    version: 1,
    jobId: job.exportId,
    vmName: source.vmName,
    baseName: layout.baseName,
    format: layout.format,
    createdAt: job.startedAt.toISOString(),
    stages: byteStageNames(plan),
    ...(Object.keys(stagePlugins).length > 0 ? { stagePlugins } : {}),
    tags: job.tags,
    files: files.map((file) => ({
      path: layout.format === 'ovf' ? `${layout.baseName}/${file.name}` : file.name,
      kind: file.kind,
      size: file.size,
      sha256: file.sha256,
    })),
  };
  const content = Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
  const context: Context = { job, source, plan, sinks, layout, progress: new ReadProgress(source), checkpoint: undefined, transformed: new Map() };
  await writeArtifact(context, { name: exportRecordName(layout), kind: 'record' }, () => Promise.resolve(Readable.from([content])), undefined, false);
  return record;
}

async function digestSourceFile(context: Context, file: SourceFile): Promise<FileDigest> {
  const { job, progress } = context;
  const meter = new DigestMeter({ onProgress: (bytes) => progress.update(file.name, bytes) });
  const pacing = pacingStagesFor(context, file).map((stage) => stage.create({ name: file.name, kind: 'disk', sourceSize: file.size }, job.signal));
  await (pipeline as (...streams: unknown[]) => Promise<void>)(await file.open(job.signal), ...pacing, meter, discard(), { signal: job.signal });
  if (file.size !== undefined && meter.bytes !== file.size) {
    throw new Error(`${file.name} changed while it was read: expected ${file.size} bytes, read ${meter.bytes}`);
  }
  return { name: file.name, size: meter.bytes, sha256: meter.sha256 };
}

/** Pacing stages (a bandwidth cap) pass the bytes on unchanged; the plan's check keeps them below BYTE_CHANGING_STAGES_FROM. */
function pacesOnly(stage: TransformStage): boolean {
  return stage.effect === 'paces';
}

/**
 * Streams that pace bytes as the plan's pacing stages do (a bandwidth cap), for moving `artifact`
 * again after the export: an upload of the committed files.
 */
export function pacingStreams(plan: TransformPlan, artifact: Artifact, signal: AbortSignal): Duplex[] {
  return stagesFor(plan, artifact)
    .filter(pacesOnly)
    .map((stage) => stage.create(artifact, signal));
}

/** The pacing stages for a pass that reads a source file without storing it (an OVA's first pass). */
function pacingStagesFor(context: Context, file: SourceFile): TransformStage[] {
  return stagesFor(context.plan, { name: file.name, kind: 'disk', sourceSize: file.size }).filter(pacesOnly);
}

/** The names of the stages that change bytes: what a checkpoint and a record depend on. */
export function byteStageNames(plan: TransformPlan): string[] {
  return plan.stages.filter((stage) => !pacesOnly(stage)).map((stage) => stage.name);
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}

function spoolSourceFile(context: Context, file: SourceFile, spoolPath: string): Promise<FileDigest> {
  return withRestarts(context.job, file.name, 'downloading the file again from the start', () => spoolSourceFileOnce(context, file, spoolPath));
}

async function spoolSourceFileOnce(context: Context, file: SourceFile, spoolPath: string): Promise<FileDigest> {
  const { job, progress } = context;
  job.bus.emit('file:start', { jobId: job.id, name: file.name, kind: 'disk', size: file.size, ...estimateOf(file, 'estimatedSize') });
  const meter = new DigestMeter({
    onProgress: (bytes, bytesPerSecond) => {
      progress.update(file.name, bytes);
      job.bus.emit('file:progress', { jobId: job.id, name: file.name, bytes, total: file.size, ...estimateOf(file, 'estimatedTotal'), bytesPerSecond });
    },
  });
  const pacing = pacingStagesFor(context, file).map((stage) => stage.create({ name: file.name, kind: 'disk', sourceSize: file.size }, job.signal));
  await (pipeline as (...streams: unknown[]) => Promise<void>)(
    await file.open(job.signal),
    ...pacing,
    meter,
    await recreateExclusively(spoolPath, { flush: true, diskFull: { expectedSize: file.size, alternative: 'choose another --output' } }),
    { signal: job.signal },
  );
  const digest = { name: file.name, size: meter.bytes, sha256: meter.sha256 };
  await context.checkpoint?.record({ name: file.name, kind: 'disk', raw: digest, stored: digest, spooled: true });
  job.bus.emit('file:end', { jobId: job.id, name: file.name, kind: 'disk', size: digest.size, sha256: digest.sha256 });
  return digest;
}

/** The raw digest of a file whose source does not check it (see ExportSource.needsRawDigests). */
const UNHASHED = '';

/** A source stream that cannot resume where it was cut throws this code: the file starts again. */
export const SOURCE_RESTART = 'SOURCE_RESTART';
const MAX_RESTARTS_PER_FILE = 5;

function isRestart(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === SOURCE_RESTART;
}

/** Runs `attempt` again, up to MAX_RESTARTS_PER_FILE times, when the source says its file must start over. */
async function withRestarts<T>(job: Job, name: string, what: string, attempt: () => Promise<T>): Promise<T> {
  for (let restarts = 0; ; restarts++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRestart(error) || restarts >= MAX_RESTARTS_PER_FILE || job.signal.aborted) throw error;
      job.warn(`${name}: ${(error as Error).message}; ${what}`);
    }
  }
}

/**
 * Streams one artifact through the transform stages that apply to it and into every sink.
 * `onRaw` receives the digest of the bytes before transforms (what the OVF describes). When the
 * source says the file must start again (a server that ignores Range), every sink's file is
 * written anew: bytes are never appended to a partial copy.
 */
async function writeArtifact(
  context: Context,
  artifact: Artifact,
  open: (signal: AbortSignal) => Promise<Readable>,
  onRaw?: (digest: FileDigest) => void,
  countsAsRead = true,
  beforeEnd?: (stored: FileDigest, raw: FileDigest | undefined) => Promise<void>,
): Promise<StoredFile> {
  return withRestarts(context.job, artifact.name, 'writing the file again from the start', () =>
    writeArtifactOnce(context, artifact, open, onRaw, countsAsRead, beforeEnd),
  );
}

async function writeArtifactOnce(
  context: Context,
  artifact: Artifact,
  open: (signal: AbortSignal) => Promise<Readable>,
  onRaw: ((digest: FileDigest) => void) | undefined,
  countsAsRead: boolean,
  beforeEnd: ((stored: FileDigest, raw: FileDigest | undefined) => Promise<void>) | undefined,
): Promise<StoredFile> {
  const { job, plan, sinks, progress } = context;
  const stages = stagesFor(plan, artifact);
  const sourceName = artifact.name;
  const stored: Artifact = { ...artifact, name: storedName(stages, artifact.name) };

  // A disk of unknown size: the source's estimate goes with the events, for an honest progress bar.
  const sourceFile = artifact.kind === 'disk' ? context.source.files.find((file) => file.name === sourceName) : undefined;
  job.bus.emit('file:start', { jobId: job.id, name: stored.name, kind: artifact.kind, size: artifact.sourceSize, ...estimateOf(sourceFile, 'estimatedSize') });
  const reportProgress = (bytes: number, bytesPerSecond: number) => {
    if (countsAsRead) progress.update(sourceName, bytes);
    job.bus.emit('file:progress', {
      jobId: job.id,
      name: stored.name,
      bytes,
      total: artifact.sourceSize,
      ...estimateOf(sourceFile, 'estimatedTotal'),
      bytesPerSecond,
    });
  };
  const sinkFiles = await Promise.all(sinks.map((sink) => sink.createFile(stored, job.signal)));
  const input = await open(job.signal);
  // The bytes as read are hashed only when they are also the bytes stored, when the source
  // checks them (an OVF's manifest), or when a plugin will read the stored file back to them
  // (job.checksPlainContent): one SHA-256 pass fewer for a compressed or encrypted disk otherwise.
  // Stages that only pace (a bandwidth cap) change no byte: the stored bytes are the raw bytes.
  const byteStages = stages.filter((stage) => !pacesOnly(stage));
  const changesBytes = byteStages.length > 0;
  const readsBack = job.checksPlainContent && byteStages.every((stage) => stage.reverse !== undefined);
  const hashRaw = !changesBytes || readsBack || ((onRaw !== undefined || beforeEnd !== undefined) && context.source.needsRawDigests === true);
  const rawMeter = new DigestMeter({ onProgress: reportProgress, hash: hashRaw });
  // Without transforms the raw bytes are the stored bytes: one meter measures both.
  const storedMeter = changesBytes ? new DigestMeter() : rawMeter;
  const middle = stages.map((stage) => stage.create(stored, job.signal));
  const chain = [rawMeter, ...middle, ...(storedMeter === rawMeter ? [] : [storedMeter])];
  await (pipeline as (...streams: unknown[]) => Promise<void>)(input, ...chain, fanOut(sinkFiles.map((file) => file.stream)), { signal: job.signal });

  if (artifact.sourceSize !== undefined && rawMeter.bytes !== artifact.sourceSize) {
    throw new Error(`${sourceName}: expected ${artifact.sourceSize} bytes from the source, got ${rawMeter.bytes}`);
  }
  const raw: FileDigest | undefined = onRaw || beforeEnd ? { name: sourceName, size: rawMeter.bytes, sha256: hashRaw ? rawMeter.sha256 : UNHASHED } : undefined;
  if (onRaw && raw) onRaw(raw);
  const digest: FileDigest = { name: stored.name, size: storedMeter.bytes, sha256: storedMeter.sha256 };
  if (changesBytes) {
    const plain = hashRaw ? { name: sourceName, size: rawMeter.bytes, sha256: rawMeter.sha256 } : undefined;
    context.transformed.set(stored.name, transformedFile(stored, sourceName, byteStages, plain));
  }
  const locations = await Promise.all(sinkFiles.map((file) => file.finish(digest)));
  if (beforeEnd) await beforeEnd(digest, raw);
  job.bus.emit('file:end', { jobId: job.id, name: stored.name, kind: artifact.kind, size: digest.size, sha256: digest.sha256 });
  return { name: stored.name, kind: artifact.kind, size: digest.size, sha256: digest.sha256, locations };
}

/** Under which name the checkpoint binds the source's state (ExportSource.checkpointBinding). */
const SOURCE_BINDING = 'source';

/**
 * The checkpoint of this export, when one applies: the source has an identity and every sink can
 * adopt files. Its `exportId` is the id of the job that began the export (an interrupted one), or
 * this job's id when it begins here: what the export id is fixed to.
 */
export async function openExportCheckpoint(
  job: Job,
  source: ExportSource,
  plan: TransformPlan,
  sinks: readonly ExportSink[],
  layout: ExportLayout,
  snapshot: SnapshotRef | undefined,
): Promise<Checkpoint | undefined> {
  if (!source.identity || !sinks.every((sink) => sink.adoptFile)) return undefined;
  const path = sinks.map((sink) => sink.checkpointPath?.()).find((candidate) => candidate !== undefined);
  if (!path) return undefined;
  // The source binds the state it reads (a VM's disks) as stages bind their settings.
  const binders: CheckpointBinder[] = plan.stages.filter((stage) => !pacesOnly(stage));
  if (source.checkpointBinding) binders.unshift({ name: SOURCE_BINDING, checkpointBinding: (recorded) => source.checkpointBinding!(recorded) });
  return Checkpoint.open(
    path,
    { source: source.identity, format: layout.format, name: job.spec.name ?? '{vm}', stages: byteStageNames(plan) },
    job.id,
    snapshot,
    binders,
  );
}

/**
 * A snapshot that a crashed run of this export took (its checkpoint names it) is removed; then
 * the snapshot this run took is recorded, before any file, so that whenever this run crashes
 * the next one finds it. (A new snapshot is another source identity: the files of the crashed
 * run are not reused, they come from another point in time.)
 */
async function settleSnapshots(job: Job, checkpoint: Checkpoint, snapshots: ExportSnapshots): Promise<void> {
  const leftover = checkpoint.earlierSnapshot;
  if (leftover) {
    job.info(`the interrupted run of this export took snapshot "${leftover.name}": removing it`);
    try {
      await snapshots.removeLeftover(leftover);
    } catch (error) {
      job.warn(`could not remove snapshot "${leftover.name}" that the interrupted run took (${describeError(error).message}); remove it by hand`);
    }
  }
  if (leftover || snapshots.current?.created) await checkpoint.save();
}

/** A file an interrupted run completed: every sink checks its copy; then it is not fetched again. */
async function adoptCheckpointed(context: Context, artifact: Artifact): Promise<{ raw: FileDigest; stored: StoredFile } | undefined> {
  const { checkpoint, sinks, job } = context;
  const entry = checkpoint?.get(artifact.name);
  if (!checkpoint || !entry || entry.spooled) return undefined;
  const storedArtifact: Artifact = { ...artifact, name: entry.stored.name };
  const locations = await Promise.all(sinks.map((sink) => sink.adoptFile!(storedArtifact, entry.stored, job.signal)));
  if (locations.some((location) => location === undefined)) {
    checkpoint.forget(artifact.name);
    return undefined;
  }
  const byteStages = stagesFor(context.plan, artifact).filter((stage) => !pacesOnly(stage));
  if (byteStages.length > 0) {
    context.transformed.set(
      entry.stored.name,
      transformedFile(storedArtifact, artifact.name, byteStages, entry.raw.sha256 === UNHASHED ? undefined : entry.raw),
    );
  }
  context.progress.update(artifact.name, entry.raw.size);
  job.info(`${entry.stored.name}: already written by the interrupted run and verified; not downloaded again`);
  job.bus.emit('file:end', { jobId: job.id, name: entry.stored.name, kind: artifact.kind, size: entry.stored.size, sha256: entry.stored.sha256 });
  return {
    raw: entry.raw,
    stored: { name: entry.stored.name, kind: artifact.kind, size: entry.stored.size, sha256: entry.stored.sha256, locations: locations as string[] },
  };
}

/** A spooled disk an interrupted run completed, if the spool still holds it intact. */
async function adoptSpooled(context: Context, name: string, spoolPath: string): Promise<FileDigest | undefined> {
  const entry = context.checkpoint?.get(name);
  if (!entry?.spooled) return undefined;
  const size = await stat(spoolPath).then(
    (info) => info.size,
    () => undefined,
  );
  if (size !== entry.stored.size) return undefined;
  const { sha256 } = await digestStream(createReadStream(spoolPath), context.job.signal);
  if (sha256 !== entry.stored.sha256) return undefined;
  context.progress.update(name, entry.raw.size);
  context.job.info(`${name}: already downloaded by the interrupted run and verified; not downloaded again`);
  return entry.stored;
}

/** How the post-export checks can read back `stored`, which `byteStages` made from `plainName`. */
function transformedFile(stored: Artifact, plainName: string, byteStages: readonly TransformStage[], plain: FileDigest | undefined): TransformedFile {
  const stages = byteStages.map((stage) => stage.name);
  const irreversible = byteStages.find((stage) => stage.reverse === undefined)?.name;
  if (irreversible !== undefined) return { plainName, stages, irreversible };
  return {
    plainName,
    stages,
    plain,
    // The last stage wrote the outermost layer: it is undone first.
    reverse: (signal) => Promise.all([...byteStages].reverse().map((stage) => stage.reverse!(stored, signal))),
  };
}

/**
 * The source's estimate of a file of unknown size, under the event field `key`; nothing when the
 * size is known or the source has no guess (so events of such files stay as they were).
 */
function estimateOf<K extends string>(file: SourceFile | undefined, key: K): Partial<Record<K, number>> {
  if (!file || file.size !== undefined || file.estimatedSize === undefined) return {};
  return { [key]: file.estimatedSize } as Partial<Record<K, number>>;
}

/** What the export expects to read from the source: exact when every size is known. */
export function expectedSourceBytes(source: ExportSource): { expectedBytes?: number; estimated?: boolean } {
  let total = 0;
  let estimated = false;
  for (const file of source.files) {
    const bytes = file.size ?? file.estimatedSize;
    if (bytes === undefined) return {};
    total += bytes;
    if (file.size === undefined) estimated = true;
  }
  return { expectedBytes: total, ...(estimated ? { estimated } : {}) };
}

function digestBuffer(name: string, content: Buffer): FileDigest {
  return { name, size: content.length, sha256: createHash('sha256').update(content).digest('hex') };
}

/** Tracks bytes read over all files and tells the source (which may report it to its server). */
class ReadProgress {
  readonly #perFile = new Map<string, number>();
  readonly #source: ExportSource;

  constructor(source: ExportSource) {
    this.#source = source;
  }

  update(name: string, bytes: number): void {
    this.#perFile.set(name, bytes);
    this.#source.progress?.(this.total);
  }

  get total(): number {
    let sum = 0;
    for (const bytes of this.#perFile.values()) sum += bytes;
    return sum;
  }
}
