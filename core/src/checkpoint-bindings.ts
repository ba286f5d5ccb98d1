// What a stage contributes to the checkpoint beyond its name: a stage whose bytes depend on a
// secret or on other settings (the key an encrypt stage uses, the recipients it encrypts to)
// binds them, so that a run with other ones does not continue an export written with the first
// (no single key would restore it, or a removed recipient could still read some disks). The
// source binds the state of what it reads the same way (ExportSource.checkpointBinding, under
// the name `source`): a VM whose disks changed since the crash must not give the rest of the
// export. Each binder owns what it records and how it compares; the core only stores the values
// and starts over when one differs. See docs/checkpoint.md.
import type { TransformStage } from './model.ts';

/** Anything that binds a value into the checkpoint under its name: a stage, or the source. */
export type CheckpointBinder = Pick<TransformStage, 'name' | 'checkpointBinding'>;

export interface StageBindings {
  /** What to record now, by stage name. */
  readonly values: Readonly<Record<string, string>>;
  /** Why the recorded export cannot be continued, one line per stage that differs (empty: it can). */
  readonly mismatches: readonly string[];
}

/**
 * Asks every stage (and the source) that binds something for its value, given what the interrupted run recorded
 * (`recorded` undefined when there is no checkpoint that applies).
 */
export async function bindStages(stages: readonly CheckpointBinder[], recorded: Readonly<Record<string, unknown>> | undefined): Promise<StageBindings> {
  const values: Record<string, string> = {};
  const mismatches: string[] = [];
  for (const stage of stages) {
    if (!stage.checkpointBinding) continue;
    const before = recorded?.[stage.name];
    const previous = typeof before === 'string' ? before : undefined;
    const { value, mismatch } = await stage.checkpointBinding(previous);
    values[stage.name] = value;
    if (recorded === undefined) continue;
    // The stage explains; the core makes sure that a value that differs is never continued.
    const why =
      mismatch ??
      (previous === undefined
        ? 'the interrupted run recorded nothing to check its settings against'
        : previous !== value
          ? 'the interrupted run used other settings'
          : undefined);
    if (why !== undefined) mismatches.push(`${stage.name}: ${why}`);
  }
  return { values, mismatches };
}
