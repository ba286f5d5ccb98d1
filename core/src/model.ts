// The data that flows through one export job. Plugins read and produce these shapes; the core
// owns the control flow around them (see exporter.ts).
import type { Duplex, Readable, Writable } from 'node:stream';

/** The package layout an export is written as. */
export type ExportFormat = 'ova' | 'ovf';

/**
 * What the user asked for: CLI flags, the config's `export` section and a profile, merged.
 * Sources and stores interpret the fields that concern them; unknown extra keys are kept in `extra`.
 */
export interface JobSpec {
  /** A local VM folder, `.ovf` or `.ova` (source-local). */
  source?: string | undefined;
  /** A vSphere inventory path or VM name (source-vsphere). */
  vm?: string | undefined;
  format: ExportFormat;
  /** Local destination directory (store-local). */
  output?: string | undefined;
  /** Base name of the export (`NAME.ova` or `NAME/`); defaults to the source's VM name. */
  name?: string | undefined;
  /** How many disks are read at once. */
  parallel: number;
  /** Replace an existing export of the same name at the destination. */
  overwrite: boolean;
  /** Options for plugins that are not core fields, by key (e.g. `snapshot`). */
  extra: Record<string, unknown>;
}

/** A file of the source VM that the export carries: a disk, an nvram, an ISO. */
export interface SourceFile {
  /** File name inside the export package; a plain name, never a path. */
  readonly name: string;
  /** Bytes, when known before reading (local files); vSphere disk streams often have none. */
  readonly size?: number | undefined;
  /**
   * When `size` is unknown: the source's honest guess of the bytes it will deliver (a vSphere
   * disk stream is compressed and sparse, so its capacity is only an upper bound). It may be
   * refined while the file is read; the core reads it again with every progress event.
   */
  readonly estimatedSize?: number | undefined;
  /**
   * True when the bytes can be read again and will be the same (a local file). The core then
   * reads such files twice for an OVA (hash first, then write) instead of spooling them.
   */
  readonly rereadable: boolean;
  /** Opens the bytes. A source that can resume does so inside the stream it returns. */
  open(signal: AbortSignal): Promise<Readable>;
}

/** A file once it has been read in full: its real size and SHA-256. */
export interface FileDigest {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * An opened export: what a download-hook plugin returns. vSphere holds an NFC lease behind it;
 * the local source holds file handles. The core calls exactly one of `complete` or `abort`.
 */
export interface ExportSource {
  /** Which plugin opened it, for messages. */
  readonly kind: string;
  /** The VM's name; the default base name of the export. */
  readonly vmName: string;
  /**
   * Names this source so a later run can tell it is the same export (e.g. vCenter host and VM
   * id). Sources that set it can continue an interrupted export from its checkpoint.
   */
  readonly identity?: string | undefined;
  /**
   * What stays the same across the runs of one job when `identity` does not: a vSphere export
   * names the snapshot it reads in `identity`, and a rerun with `--snapshot-before` takes a new
   * one, yet must find the crashed run's staging folder (and remove that run's snapshot). Names
   * the job (ExportLayout.jobKey); `identity` still decides whether a checkpoint applies.
   * Defaults to `identity`.
   */
  readonly jobIdentity?: string | undefined;
  /**
   * The state of what this source reads, when `identity` does not pin it (a powered-off VM
   * exported without a snapshot: its disks change if it runs again), bound into the checkpoint
   * under the name `source` as a stage's settings are (TransformStage.checkpointBinding): a rerun
   * whose value differs starts the export over instead of adding disks of a later state to files
   * of an earlier one. Given the value the interrupted run recorded, returns the value to record
   * now and, when the state differs or cannot be read (then the export must start over), why.
   * Sources whose `identity` already pins their content (a snapshot, a local file's size and
   * modification time) need none.
   */
  checkpointBinding?(recorded: string | undefined): Promise<StageBinding>;
  readonly files: readonly SourceFile[];
  /**
   * Produces the OVF descriptor for the files as they were read (vSphere's CreateDescriptor needs
   * the real sizes, so this runs after the download). File names must match `files`.
   */
  descriptor(files: readonly FileDigest[], signal: AbortSignal): Promise<string>;
  /**
   * True when `descriptor` checks the SHA-256 of the files as read (an existing OVF's manifest).
   * Otherwise, when transforms change the bytes, the core hashes only the bytes as stored and
   * `descriptor` gets the sizes with an empty `sha256`.
   */
  readonly needsRawDigests?: boolean | undefined;
  /**
   * Told, as the export goes, how many bytes were read from this source so far over all its
   * files (a file that starts again counts from zero again), e.g. to report a lease's percentage.
   */
  progress?(bytesRead: number): void;
  complete(): Promise<void>;
  abort(reason: unknown): Promise<void>;
}

/**
 * What kind of file an artifact is; transforms use it to decide what to touch. The `record`
 * (NAME.hyperexport.json) is never transformed.
 */
export type ArtifactKind = 'descriptor' | 'manifest' | 'disk' | 'package' | 'record';

/** One file as it is about to be stored: a disk, the `.ovf`, the `.mf`, or the whole `.ova`. */
export interface Artifact {
  /** Name as stored, after transforms renamed it (e.g. `disk1.vmdk.zst`). */
  name: string;
  readonly kind: ArtifactKind;
  /** Size before transforms, when known. */
  readonly sourceSize?: number | undefined;
}

/** A record of one stored artifact in the job result. */
export interface StoredFile {
  readonly name: string;
  readonly kind: ArtifactKind;
  readonly size: number;
  readonly sha256: string;
  /** Where each sink put it (file path, URL). */
  readonly locations: readonly string[];
}

/** A file being written by one sink. */
export interface SinkFile {
  readonly stream: Writable;
  /**
   * Called after the stream has finished: make the bytes durable and check they are what was
   * sent. Returns where the file will be once the sink commits.
   */
  finish(expected: FileDigest): Promise<string>;
}

/**
 * A destination of an export: a local directory, a bucket, an SFTP folder. The core fans each
 * artifact out to every sink and then commits all of them, or aborts all of them.
 */
export interface ExportSink {
  /** Human-readable destination, e.g. `file:///backups/vm1.ova`. */
  readonly description: string;
  /** Checks the destination (existing export, writability) before any byte moves. */
  prepare(layout: ExportLayout, signal: AbortSignal): Promise<void>;
  /**
   * A directory on the same filesystem as the destination where the core may spool disks of an
   * OVA; undefined when the sink has no local filesystem.
   */
  spoolDirectory?(): string | undefined;
  createFile(artifact: Artifact, signal: AbortSignal): Promise<SinkFile>;
  /**
   * Where this sink keeps the checkpoint of an unfinished export (see docs/checkpoint.md), so a
   * run after a crash can continue it. Sinks without one make every run start afresh.
   */
  checkpointPath?(): string | undefined;
  /**
   * Takes over a file that an interrupted run of the same export already wrote, after checking
   * it against `expected`. Returns its location, or undefined when it is missing or differs.
   */
  adoptFile?(artifact: Artifact, expected: FileDigest, signal: AbortSignal): Promise<string | undefined>;
  /** Where a finished file is before `commit`, for post-export checks; undefined when not local. */
  stagedPath?(name: string): string | undefined;
  /** Publishes every finished file at once (rename into place). */
  commit(signal: AbortSignal): Promise<readonly string[]>;
  /** Where a published file is on the local filesystem after `commit`; undefined when not local. */
  committedPath?(name: string): string | undefined;
  /** Removes whatever was written. Must not throw for a sink that never started. */
  abort(reason: unknown): Promise<void>;
}

/** How the export is laid out at every destination. */
export interface ExportLayout {
  readonly baseName: string;
  readonly format: ExportFormat;
  readonly overwrite: boolean;
  /**
   * Which job this export is, the same for a run and the rerun that continues it after a crash
   * (whatever time `{time}` rendered): a sink keys its staging folder and checkpoint by it.
   */
  readonly jobKey?: JobKey | undefined;
}

/** Identifies an export job across runs (see core/src/job-key.ts and docs/checkpoint.md). */
export interface JobKey {
  /** Hex digest of the source's identity: the same VM (or local files) gives the same. */
  readonly source: string;
  /** Hex digest of the settings that decide the export (format, name template, byte-changing stages). */
  readonly settings: string;
}

/** The stream stages a transform plugin can add, ordered by `stage` (see Stage). */
export interface TransformStage {
  readonly name: string;
  /**
   * Position in the chain; lower runs first. Use the `Stage` constants: below
   * BYTE_CHANGING_STAGES_FROM only pacing stages, from it on byte-changing ones (see Stage).
   */
  readonly stage: number;
  /**
   * What the stage does to the bytes: `'paces'` (passes every byte on unchanged, at a pace; a
   * position below BYTE_CHANGING_STAGES_FROM) or `'changes-bytes'` (compresses, encrypts; a position
   * of BYTE_CHANGING_STAGES_FROM or later). Checked when the stage is added to the plan.
   */
  readonly effect: 'paces' | 'changes-bytes';
  /**
   * The artifacts the stage sees. An OVF export passes its `disk`s, `descriptor` and `manifest`
   * through the stages, each on its own; an OVA export passes only its `package`: the disks inside
   * it never pass through a byte-changing stage on their own (pacing stages also see them as they
   * are read for the package). So a stage of only `['disk']` changes nothing in an OVA, and the
   * core refuses that export before it starts (a usage error naming the stage).
   */
  readonly artifacts: readonly StageArtifactKind[];
  /** Narrows the declared `artifacts` further (e.g. by name); default: every artifact of those kinds. */
  appliesTo?(artifact: Artifact): boolean;
  /** The new stored name of an artifact this stage applies to (e.g. add `.zst`). */
  rename?(name: string): string;
  /**
   * How an OVF descriptor records this stage on a File reference (`ovf:compression="gzip"`), for
   * stages that have a standard OVF spelling; the core writes it into the descriptor.
   */
  readonly ovfCompression?: string | undefined;
  /** A fresh Duplex for one artifact. Called once per artifact and attempt. */
  create(artifact: Artifact, signal: AbortSignal): Duplex;
  /**
   * A fresh Duplex that undoes what `create` wrote for `artifact` (the artifact as `create` got
   * it) with what the stage holds during the job (the key it encrypted with), so the post-export
   * checks can read a stored file back to the bytes it was made from. Build it from the same code
   * as the package's ReverseStage. Omit it only when the stage cannot undo its output during the
   * export (OpenPGP: only a recipient's private key can); stages that only pace need none.
   */
  reverse?(artifact: Artifact, signal: AbortSignal): Promise<Duplex>;
  /**
   * What, beyond its name, decides the bytes this stage writes (the key it encrypts with, the
   * recipients), bound into the checkpoint so that a run with other ones starts the export over
   * instead of continuing it. Given the value the interrupted run recorded (undefined when there
   * is none), returns the value to record now, made so that it equals `recorded` when the
   * settings are the same (e.g. with the recorded salt), and, when they differ, why. The value is
   * stored in the clear: it must reveal nothing secret (a key check value, key fingerprints).
   */
  checkpointBinding?(recorded: string | undefined): Promise<StageBinding>;
}

/** A stage's contribution to the checkpoint (see TransformStage.checkpointBinding). */
export interface StageBinding {
  readonly value: string;
  /** Why the recorded export cannot be continued with this stage's settings; undefined when it can. */
  readonly mismatch?: string | undefined;
}

/**
 * A stored file that transform stages changed (compressed, encrypted), with what the post-export
 * checks need to read it back to the bytes it was made from.
 */
export interface TransformedFile {
  /** Its name before the transforms (`web01.ova` for `web01.ova.zst.hxe`). */
  readonly plainName: string;
  /** The stages that changed its bytes, in the order they ran. */
  readonly stages: readonly string[];
  /**
   * Size and SHA-256 of the bytes before the transforms. Undefined when they were not hashed: no
   * plugin set `job.checksPlainContent`, a stage cannot undo its output (`irreversible`), or the
   * file was adopted from an interrupted run that did not hash them.
   */
  readonly plain?: FileDigest | undefined;
  /** The first of `stages` without a way back during the export (see TransformStage.reverse). */
  readonly irreversible?: string | undefined;
  /**
   * Fresh streams that turn the stored bytes back into the plain bytes, to be piped in this order
   * (the last stage's reverse first); undefined when `irreversible` is set.
   */
  readonly reverse?: ((signal: AbortSignal) => Promise<Duplex[]>) | undefined;
}

/**
 * Positions of transform stages (TransformStage.stage), lower first, in the way webpack numbers
 * its processAssets stages. The positions form two bands with different contracts, checked when
 * a stage is added to the plan (a stage in the wrong band is a ConfigError naming it):
 *
 * - The pacing band, below BYTE_CHANGING_STAGES_FROM (200): stages that pass every byte on
 *   unchanged, at a pace (a bandwidth cap), `effect: 'paces'`. The core also puts them in front
 *   of reads that store nothing (the first pass over an OVA's disks) and of transfers after the
 *   export (PublishedExport.pace), and leaves them out of the checkpoint and the record.
 * - The byte-changing band, BYTE_CHANGING_STAGES_FROM and later: stages that change bytes
 *   (compress, encrypt), `effect: 'changes-bytes'`. Each needs its way back (a ReverseStage),
 *   is listed in the record and bound into the checkpoint.
 */
export const Stage = Object.freeze({
  /** Pacing: a bandwidth cap (bandwidth). */
  THROTTLE: 100,
  /** The first byte-changing position: compression (compress), before encryption, as encrypted bytes do not compress. */
  COMPRESS: 200,
  /** Encryption (encrypt-aes, encrypt-pgp), after compression. */
  ENCRYPT: 300,
});

/** Where the byte-changing band begins: a stage below it may only pace (see Stage). */
export const BYTE_CHANGING_STAGES_FROM = Stage.COMPRESS;

/** The kinds of artifact a stage can see: every kind but the record, which no stage sees. */
export type StageArtifactKind = Exclude<ArtifactKind, 'record'>;

/** The transform plan that the transform waterfall hook passes from plugin to plugin. */
export interface TransformPlan {
  readonly stages: TransformStage[];
}

/** Problems collected by the validate hooks; any error fails the job before data moves. */
export interface ValidationIssue {
  readonly level: 'error' | 'warning';
  readonly check: string;
  readonly message: string;
  readonly plugin?: string | undefined;
}

/**
 * What a source can tell about the VM before anything is exported (the inspect hook), for the
 * pre-export checks and `vm info`.
 */
export interface SourceInfo {
  readonly name: string;
  /** Inventory path or local path. */
  readonly path?: string | undefined;
  readonly powerState?: 'poweredOn' | 'poweredOff' | 'suspended' | string | undefined;
  /** Storage the VM uses now (thin disks: what they hold); what an export needs at most. */
  readonly committedBytes?: number | undefined;
  /** Sum of the disks' capacities. */
  readonly provisionedBytes?: number | undefined;
  readonly disks?: readonly { readonly label: string; readonly capacityBytes: number; readonly fileName?: string | undefined }[] | undefined;
}

/**
 * What the planSnapshot hook returns: the export will read a snapshot, not the live disks, so
 * a running VM is fine. Decided from the job's settings, before anything is taken.
 */
export interface PlannedSnapshot {
  /** The plugin that will take or pick the snapshot. */
  readonly provider: string;
  /** True when it takes a new one (removed afterwards), false when it exports an existing one. */
  readonly takes: boolean;
}

export interface SnapshotRef {
  readonly name: string;
  readonly id: string;
  /** True when the tool created it and must remove it in cleanup. */
  readonly created: boolean;
  readonly provider: string;
}

export type JobStatus = 'succeeded' | 'failed' | 'cancelled';

/** The outcome of one job: what `--json` prints last and what history records. */
export interface JobResult {
  readonly id: string;
  readonly status: JobStatus;
  readonly vmName?: string | undefined;
  readonly format: ExportFormat;
  readonly baseName?: string | undefined;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** Bytes read from the source. */
  readonly bytesRead: number;
  readonly files: readonly StoredFile[];
  /** Where the export was committed (one per sink). */
  readonly locations: readonly string[];
  readonly warnings: readonly string[];
  readonly error?:
    | {
        readonly message: string;
        readonly plugin?: string | undefined;
        readonly hook?: string | undefined;
        readonly code?: string | undefined;
        readonly hint?: string | undefined;
      }
    | undefined;
}

/**
 * The way back of a transform stage, for `hyperexport restore`: recognises the stored names its
 * forward stage produced (by suffix) and undoes it as a stream. A plugin declares its own in
 * `definePlugin({ reverseStages })`.
 */
export interface ReverseStage {
  readonly name: string;
  /** Suffix the forward stage appends to a stored name, e.g. `.zst`; restore strips it. */
  readonly suffix: string;
  /** The OVF spelling of what it undoes (`ovf:compression="gzip"`), as its forward stage's `ovfCompression`. */
  readonly ovfCompression?: string | undefined;
  /**
   * The name of the forward TransformStage it undoes, as export records list it (`zstd` for
   * `zstd-decompress`); default: its own name. Restore refuses an export whose record lists a
   * stage that no installed reverse stage undoes.
   */
  readonly undoes?: string | undefined;
  /**
   * A fresh Duplex that turns the stored bytes of `storedName` back into its input. A stage whose
   * files record what they were written as (encrypt-aes binds the stored name and the export's
   * job id into its authenticated header) hands that to `bindings.check` before it hands out
   * any byte, so a swapped, renamed or mixed-in file fails the restore.
   */
  create(storedName: string, keys: RestoreKeys, signal: AbortSignal, bindings?: RestoreBindings): Promise<Duplex>;
}

/** A place an export was stored (see PublishedExport.destinations). */
export interface ExportDestination {
  /** A storage URL (`file:///backups`, `s3://bucket/prefix`) that `exporter.storage.open` takes. */
  readonly url: string;
  /** Backend options to open it with (credentials references, endpoint), as the store plugin had them. */
  readonly options?: Readonly<Record<string, unknown>> | undefined;
}

/** What a stored file says it was written as, read from an authenticated header. */
export interface FileBinding {
  /** The file's stored name when it was written, after every transform renamed it (its base name, e.g. `web01-disk1.vmdk.zst.hxe`). */
  readonly storedName: string;
  /** The id of the export job that wrote it (the record's `jobId`). */
  readonly exportId: string;
}

/** One restore's check that every file is the one its name says, and all come from one export. */
export interface RestoreBindings {
  /**
   * Throws an ExportError when the file restored as `storedName` was written under another name
   * or by another export than the other files (or the record) of this restore. `binding` is
   * undefined for a file whose format binds nothing (an older format version).
   */
  check(storedName: string, binding: FileBinding | undefined): void;
}

/** Key material for undoing encryption; every source is optional and read only when needed. */
export interface RestoreKeys {
  /** Asks for the passphrase (env HYPEREXPORT_PASSPHRASE, --passphrase-file, then a prompt). */
  passphrase(purpose: string): Promise<string>;
  /** A raw 32-byte key file (encrypt-aes). */
  readonly keyFile?: string | undefined;
  /** Armored OpenPGP private key files (encrypt-pgp). */
  readonly privateKeyFiles: readonly string[];
}

/**
 * What the tool writes beside every export as `NAME.FORMAT.hyperexport.json` (the last file written):
 * retention and `hyperexport remote` recognise the tool's exports by it, never by file names.
 */
export interface ExportRecord {
  readonly kind: 'hyperexport-export';
  readonly version: 1;
  readonly jobId: string;
  readonly vmName: string;
  readonly baseName: string;
  readonly format: ExportFormat;
  /** When the export started (ISO 8601, UTC); retention orders exports by it. */
  readonly createdAt: string;
  /** Names of the transform stages that changed bytes, in order (e.g. `zstd`, `aes-256-gcm`); pacing stages are left out. */
  readonly stages: readonly string[];
  /**
   * The plugin that added each of `stages`, by stage name (`{ "xor": "hyperexport-xor" }`), so that
   * restore can name the plugin to install when none undoes a stage. Absent in older records.
   */
  readonly stagePlugins?: Readonly<Record<string, string>> | undefined;
  readonly tags: readonly string[];
  /** Every file of the export, as stored, with paths relative to the record's folder. */
  readonly files: readonly { readonly path: string; readonly kind: ArtifactKind; readonly size: number; readonly sha256: string }[];
}

export const EXPORT_RECORD_SUFFIX = '.hyperexport.json';

/**
 * The record's file name: NAME.ova.hyperexport.json or NAME.ovf.hyperexport.json, beside the
 * export (an OVA and an OVF folder of the same name can share a directory).
 */
export function exportRecordName(layout: Pick<ExportLayout, 'baseName' | 'format'>): string {
  return `${layout.baseName}.${layout.format}${EXPORT_RECORD_SUFFIX}`;
}
