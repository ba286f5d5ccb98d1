// A user's project outside the workspace that runs HyperExport with an outside plugin: the packed
// core, the packed built-in plugins a local export and a restore need, and the packed plugin,
// installed by npm; its own hyperexport.config.ts lists the plugin.
//
// The `hyperexport` program of the project is the core's CLI (`main` of @hyperexport/core/cli)
// with those built-ins as its defaults, as @hyperexport/cli runs it with all of them: that package
// needs every built-in installed (the cloud SDKs among them), whose install takes minutes, and
// this project is about the plugin, not about them.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './cli.ts';
import { npmInstall, packPackage } from './npm-project.ts';

/** The built-ins the project installs and runs with: a local source and store, and a reversible transform so restore has stages. */
export const PROJECT_BUILTINS = ['source-local', 'store-local', 'compress'] as const;

export interface PluginProject {
  readonly directory: string;
  /** The project's `hyperexport` program (a script for node), for runCli's `command`. */
  readonly cli: string;
  readonly config: string;
}

/**
 * Packs core, PROJECT_BUILTINS and the plugin package at `pluginDirectory` into `folder`, then
 * makes the project `folder/project` with them installed and a config listing `plugins`
 * (the config's `plugins` array, as TypeScript source; `imports` are its import lines).
 */
export async function makePluginProject(folder: string, pluginDirectory: string, config: { imports: string; plugins: string }): Promise<PluginProject> {
  const tarballs = [await packPackage(join(REPO_ROOT, 'core'), folder)];
  for (const builtin of PROJECT_BUILTINS) tarballs.push(await packPackage(join(REPO_ROOT, 'plugins', builtin), folder));
  tarballs.push(await packPackage(pluginDirectory, folder));
  const directory = join(folder, 'project');
  await mkdir(directory);
  await writeFile(join(directory, 'package.json'), `${JSON.stringify({ name: 'plugin-acceptance-project', private: true, type: 'module' }, null, 2)}\n`);
  await npmInstall(directory, tarballs);
  const cli = join(directory, 'hyperexport.mjs');
  await writeFile(
    cli,
    `import { main } from '@hyperexport/core/cli';
const defaultPlugins = [
${PROJECT_BUILTINS.map((name) => `  { name: '@hyperexport/${name}', load: () => import('@hyperexport/${name}') },`).join('\n')}
];
process.exitCode = await main(process.argv.slice(2), { defaultPlugins, version: '0.1.0' });
`,
  );
  const project = { directory, cli, config: join(directory, 'hyperexport.config.ts') };
  await writeProjectConfig(project, config);
  return project;
}

/** (Re)writes the project's hyperexport.config.ts. */
export async function writeProjectConfig(project: PluginProject, config: { imports: string; plugins: string }): Promise<void> {
  await writeFile(
    project.config,
    `import { defineConfig } from '@hyperexport/core';
${config.imports}

export default defineConfig({ plugins: [${config.plugins}] });
`,
  );
}
