// Which reverse stages undo a stored file, read from its name: `disk1.vmdk.zst.hxe` was
// compressed with zstd and then encrypted, so it is decrypted first and decompressed second.
import type { ReverseStage } from '../model.ts';

export interface Reversal {
  /** The stages to run, in the order they undo the file (outermost transform first). */
  readonly steps: readonly ReverseStage[];
  /** The name once every step ran (`disk1.vmdk`). */
  readonly plainName: string;
}

export function planReversal(storedName: string, stages: readonly ReverseStage[]): Reversal {
  const steps: ReverseStage[] = [];
  let name = storedName;
  for (;;) {
    const stage = stages.find((candidate) => name.endsWith(candidate.suffix) && name.length > candidate.suffix.length);
    if (!stage) break;
    steps.push(stage);
    name = name.slice(0, -stage.suffix.length);
  }
  return { steps, plainName: name };
}
