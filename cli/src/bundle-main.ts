// Entry point of the bundled tool: scripts/bundle-cli.ts bundles it with esbuild, with every
// dependency, into one CommonJS script, which is both the `hyperexport` of the npm tarball
// (`npm run pack:cli`) and the main script of the single executable (`npm run build:sea`; Node 24
// runs only a CommonJS script there). Every built-in plugin is inside: the loaders of
// DEFAULT_PLUGINS are literal import()s, which the bundle resolves.
import * as core from '@hyperexport/core';
import { main } from '@hyperexport/core/cli';
import { serveCarriedPackagesFromMemory } from './carried-modules.ts';
import { DEFAULT_PLUGINS } from './default-plugins.ts';
import { quietUserFolderWarnings } from './quiet-warnings.ts';

/** Set by the bundler from cli/package.json. */
declare const HYPEREXPORT_VERSION: string;

async function runExecutable(): Promise<number> {
  quietUserFolderWarnings();
  const modules: Record<string, Record<string, unknown>> = { '@hyperexport/core': core };
  for (const plugin of DEFAULT_PLUGINS) modules[plugin.name] = (await plugin.load()) as Record<string, unknown>;
  serveCarriedPackagesFromMemory(modules);
  return main(process.argv.slice(2), { defaultPlugins: DEFAULT_PLUGINS, version: HYPEREXPORT_VERSION });
}

runExecutable().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
