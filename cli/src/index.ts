// The `hyperexport` program: the core's CLI with the built-in plugins as its defaults.
import { main } from '@hyperexport/core/cli';
import { DEFAULT_PLUGINS } from './default-plugins.ts';
import { resolveCarriedPackagesFromTool } from './resolve-from-tool.ts';

export { DEFAULT_PLUGINS } from './default-plugins.ts';

/** The packages a config may import without installing them next to it. */
export const CARRIED_PACKAGES: readonly string[] = ['@hyperexport/core', ...DEFAULT_PLUGINS.map((plugin) => plugin.name)];

/** Runs one command with the process's streams; returns the exit code. */
export async function run(argv: string[], options: { version: string }): Promise<number> {
  resolveCarriedPackagesFromTool(CARRIED_PACKAGES, import.meta.url);
  return main(argv, { defaultPlugins: DEFAULT_PLUGINS, version: options.version });
}
