// The single executable has no folder of packages on disk, yet a config next to it may import
// `@hyperexport/core` or a built-in plugin. These hooks answer such an import, when the config's
// own folder cannot resolve it, with a module that re-exports the executable's own copy: the
// same objects the executable uses, so a config's plugins are the ones it runs.
import { registerHooks } from 'node:module';

const SCHEME = 'hyperexport-carried:';
const REGISTRY = Symbol.for('hyperexport.carried-modules');

/** ESM source that re-exports the in-memory module `name` (its default and every named export). */
export function reexportSource(name: string, module: Record<string, unknown>): string {
  const lines = [`const carried = globalThis[Symbol.for('hyperexport.carried-modules')][${JSON.stringify(name)}];`];
  for (const key of Object.keys(module)) {
    if (key === 'default' || !/^[A-Za-z_$][\w$]*$/.test(key)) continue;
    lines.push(`export const ${key} = carried[${JSON.stringify(key)}];`);
  }
  if ('default' in module) lines.push('export default carried.default;');
  return lines.join('\n');
}

export function serveCarriedPackagesFromMemory(modules: Readonly<Record<string, Record<string, unknown>>>): void {
  (globalThis as Record<symbol, unknown>)[REGISTRY] = modules;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !Object.hasOwn(modules, specifier)) throw error;
        return { url: `${SCHEME}${specifier}`, format: 'module', shortCircuit: true };
      }
    },
    load(url, context, nextLoad) {
      if (!url.startsWith(SCHEME)) return nextLoad(url, context);
      const name = url.slice(SCHEME.length);
      return { format: 'module', source: reexportSource(name, modules[name] ?? {}), shortCircuit: true };
    },
  });
}
