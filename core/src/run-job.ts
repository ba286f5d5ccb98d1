// The run loop of one job: validate → transform → snapshot → download → store → write →
// post-validate → commit → notify → retain. Cleanup (snapshot removal, lease abort, removal of
// staged files) always runs; one failure aborts the job's signal so every stream stops.
import { basename } from 'node:path';
import { CancelledError, ExportError, describeError, isAbortError } from './errors.ts';
import { publishedBefore } from './exporter.ts';
import type { Exporter, PublishedExport } from './exporter.ts';
import { Job, StoreTargets, ValidationReport, fixExportId, setPlannedSnapshot } from './job.ts';
import { exportJobKey } from './job-key.ts';
import { exportRecordName } from './model.ts';
import type {
  ExportDestination,
  ExportLayout,
  ExportRecord,
  ExportSink,
  ExportSource,
  JobResult,
  JobSpec,
  JobStatus,
  SnapshotRef,
  StoredFile,
  TransformPlan,
  ValidationIssue,
} from './model.ts';
import { expandNameTemplate } from './name-template.ts';
import { redactCredentialsDeep } from './redact-credentials.ts';
import { checkSettings } from './settings-check.ts';
import { checkPlanForFormat, createTransformPlan } from './stage-declarations.ts';
import { withExportEstimate } from './fs/disk-full.ts';
import { parseTargetUrl, redactUrl } from './storage/storage-registry.ts';
import { byteStageNames, expectedSourceBytes, openExportCheckpoint, pacingStreams, writeExport, writeExportRecord } from './write-export.ts';

export interface RunOptions {
  /** Cancels the job (Ctrl-C, a batch being stopped). */
  signal?: AbortSignal;
}

export async function runJob(exporter: Exporter, spec: JobSpec, options: RunOptions = {}): Promise<JobResult> {
  const { hooks, bus } = exporter;
  const job = new Job(spec, bus, options.signal);
  bus.emit('job:start', { jobId: job.id, spec: redactedSpec(job.spec) });

  const stage = async <T>(name: string, body: () => Promise<T>, announce: { expectedBytes?: number; estimated?: boolean } = {}): Promise<T> => {
    job.signal.throwIfAborted();
    const started = performance.now();
    bus.emit('stage:start', { jobId: job.id, stage: name, ...announce });
    try {
      const value = await body();
      bus.emit('stage:end', { jobId: job.id, stage: name, durationMs: Math.round(performance.now() - started) });
      return value;
    } catch (error) {
      bus.emit('stage:end', { jobId: job.id, stage: name, durationMs: Math.round(performance.now() - started), error: describeError(error).message });
      throw error;
    }
  };

  let snapshot: SnapshotRef | undefined;
  let source: ExportSource | undefined;
  let sinks: readonly ExportSink[] = [];
  let layout: ExportLayout | undefined;
  let files: StoredFile[] = [];
  let locations: readonly string[] = [];
  let destinations: readonly ExportDestination[] = [];
  let bytesRead = 0;
  let status: JobStatus = 'succeeded';
  let failure: unknown;
  let committed = false;

  try {
    await checkSettings(exporter, job.spec);
    job.source = await stage('inspect', () => inspect(exporter, job));
    await stage('validate', async () => {
      const report = new ValidationReport();
      await hooks.validate.promise(job, report);
      for (const issue of report.issues) if (issue.level === 'warning') job.warn(issue.message, issue.plugin);
      throwIfInvalid(report, 'pre-export checks failed');
    });
    // The stages are known before any snapshot is taken or byte read: one that breaks its
    // contract, or that sees nothing in the chosen format, stops the job here (a usage error).
    const plan = await stage('transform', () => hooks.transform.promise(createTransformPlan(), job));
    checkPlanForFormat(plan, spec.format, (added) => exporter.pluginOfStage(added));
    const orderedPlan: TransformPlan = { stages: [...plan.stages].sort((a, b) => a.stage - b.stage) };
    snapshot = await stage('snapshot', () => hooks.snapshot.promise(job));
    source = await stage('download', () => hooks.download.promise(job, { snapshot }));
    if (!source) {
      throw new ExportError('no source plugin can open this export', {
        code: 'NO_SOURCE',
        hint: 'give --source PATH (a VM folder, .ovf or .ova) or --vm PATH with a vSphere source plugin configured',
      });
    }
    const opened = source;
    const targets = new StoreTargets();
    await stage('store', () => hooks.store.promise(targets, job));
    sinks = targets.sinks;
    if (sinks.length === 0) {
      throw new ExportError('no destination for the export', { code: 'NO_DESTINATION', hint: 'give --output DIR or --upload URL, or configure targets' });
    }
    const nameTemplate = spec.name ?? '{vm}';
    const exportLayout: ExportLayout = {
      baseName: exportBaseName(expandNameTemplate(nameTemplate, { vm: opened.vmName, startedAt: job.startedAt })),
      format: spec.format,
      overwrite: spec.overwrite,
      jobKey: exportJobKey({
        identity: opened.jobIdentity ?? opened.identity,
        kind: opened.kind,
        vmName: opened.vmName,
        format: spec.format,
        nameTemplate,
        stages: byteStageNames(orderedPlan),
      }),
    };
    layout = exportLayout;
    await Promise.all(sinks.map((sink) => sink.prepare(exportLayout, job.signal)));
    const snapshots = { current: snapshot, removeLeftover: (leftover: SnapshotRef) => hooks.snapshotCleanup.promise(job, leftover) };
    const written = await stage(
      'write',
      async () => {
        const checkpoint = await openExportCheckpoint(job, opened, orderedPlan, sinks, exportLayout, snapshot);
        // The export's identity, fixed here once, before any stage writes a byte that binds it.
        fixExportId(job, checkpoint?.exportId ?? job.id);
        return writeExport(job, opened, orderedPlan, sinks, exportLayout, { checkpoint, snapshots });
      },
      expectedSourceBytes(opened),
    );
    files = written.files;
    bytesRead = written.bytesRead;
    await stage('postValidate', async () => {
      const report = new ValidationReport();
      const stagedPaths = new Map(
        files.map((file) => [file.name, sinks.map((sink) => sink.stagedPath?.(file.name)).filter((path): path is string => path !== undefined)]),
      );
      await hooks.postValidate.promise(job, report, {
        baseName: exportLayout.baseName,
        format: exportLayout.format,
        files,
        stagedPaths,
        transformed: written.transformed,
      });
      for (const issue of report.issues) if (issue.level === 'warning') job.warn(issue.message, issue.plugin);
      throwIfInvalid(report, 'post-export checks failed');
    });
    const record: ExportRecord = await writeExportRecord(job, opened, orderedPlan, sinks, exportLayout, files, (stage) => exporter.pluginOfStage(stage));
    locations = await stage('commit', async () => (await Promise.all(sinks.map((sink) => sink.commit(job.signal)))).flat());
    committed = true;
    await opened.complete();
    let published: PublishedExport = {
      baseName: exportLayout.baseName,
      format: exportLayout.format,
      files: [...files],
      record,
      localPaths: new Map(
        [...files.map((file) => file.name), exportRecordName(exportLayout)].flatMap((name) => {
          const path = sinks.map((sink) => sink.committedPath?.(name)).find((candidate) => candidate !== undefined);
          return path === undefined ? [] : [[name, path] as const];
        }),
      ),
      locations: [...locations],
      derivedFiles: [],
      destinations: [],
      pace: (artifact) => pacingStreams(orderedPlan, artifact, job.signal),
    };
    // What was committed stays committed; a failure here (an upload) still fails the export, and
    // the result has what the plugins before the failing one returned.
    try {
      published = await stage('published', () => hooks.published.promise(published, job));
    } catch (error) {
      published = publishedBefore(error) ?? published;
      throw error;
    } finally {
      locations = published.locations;
      destinations = published.destinations;
      files = [...published.files, ...published.derivedFiles];
    }
  } catch (error) {
    failure = job.signal.aborted && isAbortError(error) ? (job.signal.reason ?? error) : error;
    failure = withExportEstimate(failure, job.source);
    status = isAbortError(failure) || (options.signal?.aborted ?? false) ? 'cancelled' : 'failed';
    // Cancelled by the caller (Ctrl-C): the reason is the caller's ("interrupted by SIGINT"), not
    // the hook that happened to be running ("[source-vsphere] download: ...") when it came.
    if (status === 'cancelled' && !(failure instanceof CancelledError))
      failure = new CancelledError(options.signal?.aborted ? (options.signal.reason ?? failure) : failure);
    job.abort(failure);
    await settle(job, 'failed', hooks.failed.promise(job, failure));
    // Once committed, the export is published and the source completed: a later failure (an
    // upload after the export, a conversion) fails the job but removes nothing that was committed.
    if (!committed) {
      if (source) await settle(job, 'source abort', source.abort(failure));
      await Promise.all(sinks.map((sink) => settle(job, 'sink abort', sink.abort(failure))));
      files = [];
    }
  } finally {
    if (snapshot) await settle(job, 'snapshot cleanup', hooks.snapshotCleanup.promise(job, snapshot));
  }

  const finishedAt = new Date();
  // The result leaves the process: notifiers send it, the history keeps it, the CLI prints it.
  // An error or a warning may quote a URL with its password (GOVC_URL, a library's message):
  // masked here, as the bus masks events, since hooks do not go through the bus.
  const result: JobResult = redactCredentialsDeep({
    id: job.id,
    status,
    vmName: source?.vmName ?? job.source?.name,
    format: spec.format,
    baseName: layout?.baseName,
    startedAt: job.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - job.startedAt.getTime(),
    bytesRead,
    files,
    locations,
    warnings: job.warnings,
    ...(failure === undefined ? {} : { error: describeError(failure) }),
  });
  await hooks.notify.promise(result, job);
  if (status === 'succeeded') await hooks.retain.promise({ job, result, destinations });
  await settle(job, 'jobEnd', hooks.jobEnd.promise(job, result));
  await settle(job, 'release', hooks.release.promise(job));
  bus.emit('job:end', { jobId: job.id, result });
  return result;
}

/**
 * `--validate-only`: inspects the source and runs the pre-export checks, nothing else. Returns
 * every issue found (errors and warnings).
 */
export async function checkJob(exporter: Exporter, spec: JobSpec, options: RunOptions = {}): Promise<{ issues: ValidationIssue[]; source: Job['source'] }> {
  const job = new Job(spec, exporter.bus, options.signal);
  try {
    await checkSettings(exporter, job.spec);
    job.source = await inspect(exporter, job);
    const report = new ValidationReport();
    await exporter.hooks.validate.promise(job, report);
    return { issues: report.issues, source: job.source };
  } finally {
    await settle(job, 'release', exporter.hooks.release.promise(job));
  }
}

/** What the export will read (a snapshot, planSnapshot) and what the source says about the VM. */
async function inspect(exporter: Exporter, job: Job): Promise<Job['source']> {
  setPlannedSnapshot(job, await exporter.hooks.planSnapshot.promise(job));
  return exporter.hooks.inspect.promise(job);
}

function throwIfInvalid(report: ValidationReport, title: string): void {
  const errors = report.errors;
  if (errors.length === 0) return;
  const lines = errors.map((issue) => `${issue.plugin ? `[${issue.plugin}] ` : ''}${issue.check}: ${issue.message}`);
  throw new ExportError(`${title}:\n  ${lines.join('\n  ')}`, { code: 'VALIDATION' });
}

/**
 * The spec as observers may see it (`--json` prints it): target URLs without passwords or
 * query strings, where SAS tokens live.
 */
function redactedSpec(spec: JobSpec): JobSpec {
  const targets = spec.extra.targets;
  if (!Array.isArray(targets)) return spec;
  const redact = (target: unknown) => {
    if (typeof target !== 'string') return target;
    try {
      return redactUrl(parseTargetUrl(target));
    } catch {
      return '***';
    }
  };
  return { ...spec, extra: { ...spec.extra, targets: targets.map(redact) } };
}

/** Cleanup must not mask the original failure: its own errors become warnings. */
async function settle(job: Job, what: string, promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    job.warn(`${what} failed: ${describeError(error).message}`);
  }
}

/** A VM name made safe as a file name: path separators and control characters replaced. */
export function exportBaseName(name: string): string {
  const cleaned = basename(name.replace(/[\\/]/g, '_'))
    .replace(/[\u0000-\u001f<>:"|?*]/g, '_')
    .trim();
  if (!cleaned || cleaned === '.' || cleaned === '..')
    throw new ExportError(`cannot make a file name from the VM name "${name}"`, { hint: 'give --name NAME' });
  return cleaned;
}
