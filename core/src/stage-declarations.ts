// The contract of a transform stage, checked where the stage is added to a plan rather than
// discovered as a digest mismatch mid-export: what its position means (pacing band or
// byte-changing band, see Stage) and which artifacts it sees in each export format.
import { ConfigError } from './errors.ts';
import { BYTE_CHANGING_STAGES_FROM, Stage } from './model.ts';
import type { ArtifactKind, ExportFormat, StageArtifactKind, TransformPlan, TransformStage } from './model.ts';

/** The kinds a stage may declare in `artifacts`: every kind but the record, which no stage sees. */
export const STAGE_ARTIFACT_KINDS: readonly StageArtifactKind[] = Object.freeze(['disk', 'descriptor', 'manifest', 'package']);

/**
 * The artifacts each format passes through its stages. An OVF folder passes its disks, its
 * descriptor and its manifest, each on its own. An OVA passes only the package: its disks are
 * inside it and never pass through a stage on their own, except through pacing stages, which also
 * pace the reads of the disks that the package is made from.
 */
const SEEN_BY_FORMAT: Readonly<Record<ExportFormat, Readonly<Record<TransformStage['effect'], readonly StageArtifactKind[]>>>> = Object.freeze({
  ovf: { paces: ['disk', 'descriptor', 'manifest'], 'changes-bytes': ['disk', 'descriptor', 'manifest'] },
  ova: { paces: ['disk', 'package'], 'changes-bytes': ['package'] },
});

/** The kinds of artifact that `stage` sees in an export of `format` (empty: it would change or pace nothing). */
export function artifactsSeenIn(stage: Pick<TransformStage, 'effect' | 'artifacts'>, format: ExportFormat): StageArtifactKind[] {
  const passing = SEEN_BY_FORMAT[format][stage.effect];
  return stage.artifacts.filter((kind) => passing.includes(kind));
}

/** Whether `stage` sees an artifact of `kind` at all (its declaration; `appliesTo` may narrow it further). */
export function stageSees(stage: Pick<TransformStage, 'artifacts'>, kind: ArtifactKind): boolean {
  return (stage.artifacts as readonly ArtifactKind[]).includes(kind);
}

const POSITIONS = `${Object.entries(Stage)
  .map(([name, position]) => `Stage.${name} ${position}`)
  .join(', ')}`;

/**
 * Checks one stage's declaration: a position in the band its effect belongs to, and artifacts of
 * kinds a stage can see. Throws a ConfigError naming the stage, its position and where it belongs.
 */
export function checkStageDeclaration(stage: TransformStage): void {
  const name = typeof stage?.name === 'string' && stage.name !== '' ? stage.name : undefined;
  const label = name === undefined ? 'a transform stage without a name' : `transform stage "${name}"`;
  if (name === undefined) throw new ConfigError(`${label} was added: every stage needs a name (the record and the checkpoint list it)`);
  if (typeof stage.stage !== 'number' || !Number.isFinite(stage.stage)) {
    throw new ConfigError(`${label} has no position (stage: ${String(stage.stage)})`, { hint: `give \`stage\` one of the Stage positions: ${POSITIONS}` });
  }
  if (stage.effect !== 'paces' && stage.effect !== 'changes-bytes') {
    throw new ConfigError(`${label} does not declare its effect (effect: ${JSON.stringify(stage.effect)})`, {
      hint: `declare effect: 'changes-bytes' (compresses, encrypts: at Stage.COMPRESS ${Stage.COMPRESS} or later) or 'paces' (passes every byte on unchanged, below ${BYTE_CHANGING_STAGES_FROM})`,
    });
  }
  if (stage.effect === 'changes-bytes' && stage.stage < BYTE_CHANGING_STAGES_FROM) {
    throw new ConfigError(
      `${label} changes bytes but sits at position ${stage.stage}, among the pacing stages (below ${BYTE_CHANGING_STAGES_FROM}), which must pass every byte on unchanged`,
      {
        hint: `byte-changing stages go at ${BYTE_CHANGING_STAGES_FROM} or later (Stage.COMPRESS ${Stage.COMPRESS}, Stage.ENCRYPT ${Stage.ENCRYPT}); a stage below ${BYTE_CHANGING_STAGES_FROM} may only pace (effect: 'paces')`,
      },
    );
  }
  if (stage.effect === 'paces' && stage.stage >= BYTE_CHANGING_STAGES_FROM) {
    throw new ConfigError(`${label} only paces but sits at position ${stage.stage}, among the byte-changing stages (${BYTE_CHANGING_STAGES_FROM} and later)`, {
      hint: `pacing stages go below ${BYTE_CHANGING_STAGES_FROM} (Stage.THROTTLE ${Stage.THROTTLE}), where the core also paces uploads and an OVA's first pass with them`,
    });
  }
  const artifacts: unknown = stage.artifacts;
  if (!Array.isArray(artifacts) || artifacts.length === 0) {
    throw new ConfigError(`${label} does not declare which artifacts it sees (artifacts: ${JSON.stringify(artifacts)})`, {
      hint: `declare artifacts: some of ${STAGE_ARTIFACT_KINDS.map((kind) => `'${kind}'`).join(', ')} ('disk' for the disks of an OVF folder, 'package' for a whole OVA)`,
    });
  }
  const unknown = artifacts.filter((kind) => !STAGE_ARTIFACT_KINDS.includes(kind as StageArtifactKind));
  if (unknown.length > 0) {
    throw new ConfigError(`${label} declares artifacts no stage can see: ${unknown.map((kind) => JSON.stringify(kind)).join(', ')}`, {
      hint: `a stage sees some of ${STAGE_ARTIFACT_KINDS.map((kind) => `'${kind}'`).join(', ')}; the export's record never passes through a stage`,
    });
  }
}

/**
 * The stage list of a transform plan: `push` checks each stage's declaration as it is added, so
 * a wrong one fails in the transform hook of the plugin that added it, naming both.
 */
class CheckedStages extends Array<TransformStage> {
  override push(...stages: TransformStage[]): number {
    for (const stage of stages) checkStageDeclaration(stage);
    return super.push(...stages);
  }
}

/** An empty plan for the transform hook, whose stages are checked as plugins add them. */
export function createTransformPlan(): TransformPlan {
  return { stages: new CheckedStages() };
}

/**
 * Every stage of the final plan checked again (a plugin may have replaced the list), then the
 * stages that would see nothing in the chosen format: a usage error listing each (with the plugin
 * that added it, when `pluginOf` knows), before any snapshot is taken or byte read.
 */
export function checkPlanForFormat(plan: TransformPlan, format: ExportFormat, pluginOf: (stage: TransformStage) => string | undefined = () => undefined): void {
  for (const stage of plan.stages) checkStageDeclaration(stage);
  const blind = plan.stages.filter((stage) => artifactsSeenIn(stage, format).length === 0);
  if (blind.length === 0) return;
  const other: ExportFormat = format === 'ova' ? 'ovf' : 'ova';
  const problems = blind.map(
    (stage) =>
      `transform stage "${stage.name}" sees only ${stage.artifacts.join(', ')} artifacts, and an ${format.toUpperCase()} export passes ${describePassing(format, stage.effect)} through its stages: it would ${stage.effect === 'paces' ? 'pace' : 'change'} nothing${addedBy(pluginOf(stage))}`,
  );
  throw new ConfigError(problems.length === 1 ? problems[0]! : `${problems.length} transform stages would see nothing in an ${format.toUpperCase()} export`, {
    problems: problems.length === 1 ? [] : problems,
    hint: `export with --format ${other}, where ${blind.every((stage) => artifactsSeenIn(stage, other).length > 0) ? 'it sees its artifacts' : 'more artifacts pass'}, or leave out the setting that adds ${blind.length === 1 ? 'the stage' : 'these stages'}`,
  });
}

function describePassing(format: ExportFormat, effect: TransformStage['effect']): string {
  if (format === 'ovf') return 'its disks, descriptor and manifest';
  return effect === 'paces' ? 'the disks it reads and its package (.ova)' : 'only its package (.ova), with the disks inside it,';
}

function addedBy(plugin: string | undefined): string {
  return plugin === undefined ? '' : ` (added by the plugin ${plugin})`;
}
