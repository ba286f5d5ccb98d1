// Earlier names of settings (`before` for snapshotBefore): a config or a profile written with one
// still loads. The value moves to the current name; both given is a conflict, not a silent pick.
import type { SettingsDeclarations } from './setting-declaration.ts';

export interface Renamed {
  readonly values: Record<string, unknown>;
  /** `"before" and "snapshotBefore" both set`: the caller names the file. */
  readonly problems: string[];
  /** Old names that were mapped, `before -> snapshotBefore`, for a note to the user. */
  readonly mapped: ReadonlyArray<readonly [from: string, to: string]>;
}

/** Renames the keys of `values` that are former names of a declared setting. */
export function renameFormerNames(
  values: Readonly<Record<string, unknown>>,
  declarations: ReadonlyMap<string, { formerNames?: readonly string[] | undefined }> | SettingsDeclarations,
): Renamed {
  const entries = declarations instanceof Map ? [...declarations] : Object.entries(declarations);
  const currentOf = new Map<string, string>();
  for (const [name, declaration] of entries) for (const former of declaration.formerNames ?? []) currentOf.set(former, name);
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  const mapped: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(values)) {
    // A key that is itself a setting's name stays (a profile's `name` is the export's name, not a former snapshot option).
    const current = isDeclared(declarations, key) ? undefined : currentOf.get(key);
    if (current === undefined) {
      if (!(key in out)) out[key] = value;
      continue;
    }
    if (values[current] !== undefined) {
      problems.push(`"${key}" is the former name of "${current}", and both are set; keep only "${current}"`);
      continue;
    }
    out[current] = value;
    mapped.push([key, current]);
  }
  return { values: out, problems, mapped };
}

function isDeclared(declarations: ReadonlyMap<string, unknown> | SettingsDeclarations, key: string): boolean {
  return declarations instanceof Map ? declarations.has(key) : Object.hasOwn(declarations, key);
}
