// The checkpoint of an export in progress: which files are already complete at the destination
// (or in the spool), with their digests. Written atomically after every file, so that running
// the same export again after a crash continues it: complete files are verified, not fetched
// again. The format is documented in docs/checkpoint.md.
import { readFile } from 'node:fs/promises';
import { bindStages } from './checkpoint-bindings.ts';
import type { CheckpointBinder } from './checkpoint-bindings.ts';
import { writeFileAtomic } from './fs/atomic-write.ts';
import type { ArtifactKind, ExportFormat, FileDigest, SnapshotRef } from './model.ts';

export const CHECKPOINT_VERSION = 1;

export interface CheckpointEntry {
  /** Name of the file as the source names it. */
  readonly name: string;
  readonly kind: ArtifactKind;
  /** The bytes as read from the source (what the OVF descriptor describes). */
  readonly raw: FileDigest;
  /** The file as stored (after transforms), or as spooled for an OVA. */
  readonly stored: FileDigest;
  /** True when the file sits in the spool (OVA), false when at the destination (OVF). */
  readonly spooled: boolean;
}

/** What must match for a checkpoint to apply to a run. */
export interface CheckpointKey {
  /** The source's identity (e.g. the vCenter host and VM id). */
  readonly source: string;
  readonly format: ExportFormat;
  /** The export's name as given, before `{time}` and the like were expanded: the rerun's differ. */
  readonly name: string;
  /** Names of the transform stages in order: other stages mean other stored bytes. */
  readonly stages: readonly string[];
}

interface CheckpointDocument extends CheckpointKey {
  readonly version: number;
  readonly updatedAt: string;
  /** The export's identity (the id of the job that began it): a job that continues it takes it on. */
  readonly exportId?: string | undefined;
  /**
   * The snapshot the run took for this export (`--snapshot-before`), recorded before any file:
   * after a crash, no cleanup removed it, and the next run must.
   */
  readonly snapshot?: SnapshotRef | undefined;
  /**
   * What stages bound beyond their names (a key check value, recipients), by stage name, and the
   * state of the source under `source` (see ExportSource.checkpointBinding).
   */
  readonly bindings?: Readonly<Record<string, string>> | undefined;
  readonly files: readonly CheckpointEntry[];
}

export class Checkpoint {
  readonly path: string;
  /** The export this checkpoint belongs to: the one it was written for, or, when new, `exportId` given to open. */
  readonly exportId: string;
  /**
   * A snapshot that an earlier run of this export took and recorded, and that is not this run's:
   * that run crashed before removing it.
   */
  earlierSnapshot: SnapshotRef | undefined;
  readonly #key: CheckpointKey;
  readonly #snapshot: SnapshotRef | undefined;
  #bindings: Readonly<Record<string, string>> = {};
  /** Why an interrupted export found here is started over rather than continued (empty: it is not). */
  startedOver: readonly string[] = [];
  readonly #entries = new Map<string, CheckpointEntry>();
  // Writes are serialised: parallel disks finish at any time.
  #writing: Promise<void> = Promise.resolve();

  private constructor(path: string, key: CheckpointKey, exportId: string, snapshot: SnapshotRef | undefined) {
    this.path = path;
    this.#key = key;
    this.exportId = exportId;
    this.#snapshot = snapshot?.created ? snapshot : undefined;
  }

  /**
   * Opens the checkpoint at `path`. Entries are kept only if the file is valid and was written
   * for the same export (same source, format, name template and stages); otherwise it starts empty, for
   * the export `exportId`. `snapshot` is the snapshot this run exports from; one it took is
   * recorded by the next write. Every stage that binds its settings (`stages`, see
   * TransformStage.checkpointBinding) must accept what was recorded too, and so must the source
   * when it binds its state (a binder named `source`): when an interrupted export was found but
   * a stage's settings or the source's state differ, `startedOver` says why, and the checkpoint
   * is emptied at once so that no later run continues the files written before.
   */
  static async open(path: string, key: CheckpointKey, exportId: string, snapshot?: SnapshotRef, stages: readonly CheckpointBinder[] = []): Promise<Checkpoint> {
    let document: CheckpointDocument | undefined;
    try {
      document = JSON.parse(await readFile(path, 'utf8')) as CheckpointDocument;
    } catch {
      document = undefined;
    }
    const applies = document?.version === CHECKPOINT_VERSION && sameKey(document, key) && Array.isArray(document.files) && document.files.length > 0;
    const bound = await bindStages(stages, applies ? (isRecord(document!.bindings) ? document!.bindings : {}) : undefined);
    const continues = applies && bound.mismatches.length === 0;
    // Settled here, once: the files continued from the interrupted run belong to the export it
    // began, and so do the rest; otherwise the export is a new one, `exportId`'s.
    const continuedId = continues && typeof document!.exportId === 'string' ? document!.exportId : undefined;
    const checkpoint = new Checkpoint(path, key, continuedId ?? exportId, snapshot);
    // Whatever else differs (a new snapshot means another source identity), a snapshot taken by
    // an earlier run is this export's to remove.
    const earlier = document?.version === CHECKPOINT_VERSION ? takenSnapshot(document.snapshot) : undefined;
    if (earlier && earlier.id !== snapshot?.id) checkpoint.earlierSnapshot = earlier;
    checkpoint.#bindings = bound.values;
    if (applies && !continues) {
      checkpoint.startedOver = bound.mismatches;
      await checkpoint.save();
    } else if (continues) {
      for (const entry of document!.files) checkpoint.#entries.set(entry.name, entry);
    }
    return checkpoint;
  }

  get(name: string): CheckpointEntry | undefined {
    return this.#entries.get(name);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Records a complete file and writes the checkpoint (temporary file, fsync, rename). */
  record(entry: CheckpointEntry): Promise<void> {
    this.#entries.set(entry.name, entry);
    this.#writing = this.#writing.then(() => this.#write());
    return this.#writing;
  }

  forget(name: string): void {
    this.#entries.delete(name);
  }

  /** Writes the checkpoint now, e.g. to record the snapshot this run took before any file is done. */
  save(): Promise<void> {
    this.#writing = this.#writing.then(() => this.#write());
    return this.#writing;
  }

  async #write(): Promise<void> {
    const document: CheckpointDocument = {
      version: CHECKPOINT_VERSION,
      ...this.#key,
      updatedAt: new Date().toISOString(),
      exportId: this.exportId,
      ...(this.#snapshot ? { snapshot: this.#snapshot } : {}),
      bindings: this.#bindings,
      files: [...this.#entries.values()],
    };
    await writeFileAtomic(this.path, `${JSON.stringify(document, null, 2)}\n`);
  }
}

/** A snapshot recorded as taken by a run (not one the user named), if the field is well formed. */
function takenSnapshot(value: unknown): SnapshotRef | undefined {
  const snapshot = value as Partial<SnapshotRef> | undefined;
  if (typeof snapshot !== 'object' || snapshot === null || snapshot.created !== true) return undefined;
  if (typeof snapshot.name !== 'string' || typeof snapshot.id !== 'string' || typeof snapshot.provider !== 'string' || !snapshot.id) return undefined;
  return { name: snapshot.name, id: snapshot.id, created: true, provider: snapshot.provider };
}

function sameKey(a: CheckpointKey, b: CheckpointKey): boolean {
  return (
    a.source === b.source &&
    a.format === b.format &&
    a.name === b.name &&
    a.stages.length === b.stages.length &&
    a.stages.every((stage, index) => stage === b.stages[index])
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
