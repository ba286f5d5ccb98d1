// Restore must undo every transform an export was written with: a stage left in place would give
// disks that are still compressed or encrypted, under plain names, "restored". Two ways to know
// what was applied: the export record lists the stages by name, and HyperExport's own stages
// append a suffix even where the plugin that undoes it is not installed here.
import { ConfigError } from '../errors.ts';
import type { ReverseStage } from '../model.ts';
import { packageNameProblem } from '../cli/package-name.ts';
import { planReversal } from './reversal.ts';

/** The transform stages of HyperExport's own plugins: the name a record lists, the suffix, the plugin that undoes it. */
const KNOWN_STAGES: readonly { readonly stage: string; readonly suffix: string; readonly plugin: string }[] = [
  { stage: 'gzip', suffix: '.gz', plugin: '@hyperexport/compress' },
  { stage: 'zstd', suffix: '.zst', plugin: '@hyperexport/compress' },
  { stage: 'aes-256-gcm', suffix: '.hxe', plugin: '@hyperexport/encrypt-aes' },
  { stage: 'openpgp', suffix: '.gpg', plugin: '@hyperexport/encrypt-pgp' },
];

const RESTORING_PLUGINS = [...new Set(KNOWN_STAGES.map((known) => known.plugin))].join(', ');

/**
 * Throws unless an installed reverse stage undoes each forward stage `applied` (as an export record
 * lists them). `stagePlugins` (the record's) names the plugin that added each stage.
 */
export function refuseStagesNotUndone(
  applied: readonly string[],
  installed: readonly ReverseStage[],
  what: string,
  stagePlugins: Readonly<Record<string, string>> = {},
): void {
  for (const stage of applied) {
    if (installed.some((reverse) => (reverse.undoes ?? reverse.name) === stage)) continue;
    const known = KNOWN_STAGES.find((candidate) => candidate.stage === stage)?.plugin;
    if (known !== undefined) throw notUndone(what, stage, known);
    // The record is read from storage: only a well-formed package name goes into an `npm install` hint.
    const plugin: unknown = Object.hasOwn(stagePlugins, stage) ? stagePlugins[stage] : undefined;
    if (typeof plugin === 'string' && packageNameProblem(plugin) === undefined) {
      throw new ConfigError(
        `${what} was written with the transform stage "${stage}" of the plugin "${plugin}", which is not configured here: nothing was restored`,
        {
          hint: `install the package of the plugin "${plugin}" (npm install ${plugin}, when it is published under its name), list it in the plugins of your hyperexport.config.ts, then restore again`,
        },
      );
    }
    throw notUndone(what, stage, undefined);
  }
}

/**
 * Throws when `storedName`, once the installed stages are stripped, still ends in the suffix of
 * one of HyperExport's own stages: the plugin that undoes it is not installed.
 */
export function refuseSuffixesNotUndone(storedName: string, installed: readonly ReverseStage[], what: string): void {
  const { plainName } = planReversal(storedName, installed);
  const known = KNOWN_STAGES.find((candidate) => plainName.endsWith(candidate.suffix) && plainName.length > candidate.suffix.length);
  if (known) throw notUndone(what, known.stage, known.plugin);
}

function notUndone(what: string, stage: string, plugin: string | undefined): ConfigError {
  const message = `${what} was written with the transform stage "${stage}", which no installed plugin undoes: restored, its files would still be transformed`;
  return new ConfigError(message, {
    hint: plugin
      ? `install ${plugin} (npm install ${plugin}), then restore again`
      : `restore undoes the stages of ${RESTORING_PLUGINS}; undo "${stage}" with the tool of the plugin that wrote it`,
  });
}
