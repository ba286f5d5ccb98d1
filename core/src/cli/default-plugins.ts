// The plugins every `hyperexport` run has unless the config turns them off (`builtins: false`)
// or configures them itself. The core names none of them: the program that calls `main()` (the
// @hyperexport/cli package, or the single executable built from it) passes the list. Each entry
// carries its own loader, so an installed tool imports a package only when it is used and a
// bundler sees every import.
import type { BaseContext } from 'clipanion';

/** What a default plugin's package exports: the plugin, whose definition declares what it provides (reverse stages among it). */
export interface DefaultPluginModule {
  default?: unknown;
  /** Still read by `plugins list` beside the definition's commands. */
  commands?: unknown;
}

export interface DefaultPlugin {
  /** The package name, as a JSON or YAML config names it (e.g. `@hyperexport/compress`). */
  readonly name: string;
  load(): Promise<DefaultPluginModule>;
}

/** The clipanion context of every HyperExport command: the usual streams and the default plugins. */
export interface HyperExportContext extends BaseContext {
  readonly defaultPlugins: readonly DefaultPlugin[];
}
