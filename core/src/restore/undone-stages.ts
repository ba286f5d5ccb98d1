// Restore must undo every transform an export was written with: a stage left in place would give
// disks that are still compressed or encrypted, under plain names, "restored". Which plugin to
// install is never guessed from a list of HyperExport's own: the export record names the plugin
// that added each stage (`stagePlugins`); for a record written before it did, or no record, the
// loaded plugins' own `reverseStages` declarations name it (by stage name or stored-name suffix).
import { ConfigError } from '../errors.ts';
import type { ReverseStage } from '../model.ts';
import { packageNameProblem } from '../cli/package-name.ts';
import { planReversal } from './reversal.ts';

/** A loaded plugin as restore's refusals name it: its reverse stages, and the package that provides it. */
export interface StageDeclaringPlugin {
  /** The plugin's name, as export records list it in `stagePlugins`. */
  readonly name: string;
  /** The package to install for it, when known (a default plugin's); otherwise its name is shown. */
  readonly package?: string | undefined;
  readonly reverseStages: readonly ReverseStage[];
}

/** What a refusal tells to install for `plugin`: its package when a loaded plugin of that name says. */
function installNameOf(plugin: StageDeclaringPlugin): string {
  return plugin.package ?? plugin.name;
}

const undoneStageOf = (reverse: ReverseStage): string => reverse.undoes ?? reverse.name;

/**
 * Throws unless an installed reverse stage undoes each forward stage `applied` (as an export record
 * lists them). `stagePlugins` (the record's) names the plugin that added each stage; `declaring`
 * (the loaded plugins) names it for records without that field.
 */
export function refuseStagesNotUndone(
  applied: readonly string[],
  installed: readonly ReverseStage[],
  what: string,
  stagePlugins: Readonly<Record<string, string>> | undefined = undefined,
  declaring: readonly StageDeclaringPlugin[] = [],
): void {
  for (const stage of applied) {
    if (installed.some((reverse) => undoneStageOf(reverse) === stage)) continue;
    if (stagePlugins !== undefined && Object.hasOwn(stagePlugins, stage)) throw notUndoneByRecordedPlugin(what, stage, stagePlugins[stage], declaring);
    const declarer = declaring.find((plugin) => plugin.reverseStages.some((reverse) => undoneStageOf(reverse) === stage));
    if (declarer) throw notUndone(what, stage, installNameOf(declarer));
    const why =
      stagePlugins === undefined
        ? `its export record predates "stagePlugins" (the field naming the plugin of each stage)`
        : `its export record's "stagePlugins" names no plugin for it`;
    throw new ConfigError(`${what} was written with the transform stage "${stage}", which no installed plugin undoes: nothing was restored`, {
      hint: `${why}, and no loaded plugin declares a reverse stage for "${stage}": find the plugin in the "plugins" of the config that wrote the export, list it in yours, then restore again`,
    });
  }
}

function notUndoneByRecordedPlugin(what: string, stage: string, plugin: unknown, declaring: readonly StageDeclaringPlugin[]): ConfigError {
  // The record is read from storage: only a well-formed package name goes into an `npm install` hint.
  if (typeof plugin !== 'string' || packageNameProblem(plugin) !== undefined) {
    return new ConfigError(`${what} was written with the transform stage "${stage}", which no installed plugin undoes: nothing was restored`, {
      hint: `the export record's "stagePlugins" names no plugin for "${stage}" that HyperExport can install; undo "${stage}" with the tool of the plugin that wrote it`,
    });
  }
  const loaded = declaring.find((candidate) => candidate.name === plugin);
  if (loaded) return notUndone(what, stage, installNameOf(loaded));
  return new ConfigError(
    `${what} was written with the transform stage "${stage}" of the plugin "${plugin}", which is not configured here: nothing was restored`,
    {
      hint: `install the package of the plugin "${plugin}" (npm install ${plugin}, when it is published under its name), list it in the plugins of your hyperexport.config.ts, then restore again`,
    },
  );
}

/**
 * Throws when `storedName`, once the installed stages are stripped, still ends in the suffix a
 * loaded plugin declares for a reverse stage that is not installed.
 */
export function refuseSuffixesNotUndone(
  storedName: string,
  installed: readonly ReverseStage[],
  what: string,
  declaring: readonly StageDeclaringPlugin[] = [],
): void {
  const { plainName } = planReversal(storedName, installed);
  for (const plugin of declaring)
    for (const reverse of plugin.reverseStages) {
      if (installed.includes(reverse)) continue;
      if (plainName.endsWith(reverse.suffix) && plainName.length > reverse.suffix.length) throw notUndone(what, undoneStageOf(reverse), installNameOf(plugin));
    }
}

function notUndone(what: string, stage: string, plugin: string): ConfigError {
  const message = `${what} was written with the transform stage "${stage}", which no installed plugin undoes: restored, its files would still be transformed`;
  return new ConfigError(message, { hint: `install ${plugin} (npm install ${plugin}), then restore again` });
}
