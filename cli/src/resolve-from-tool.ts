// A config anywhere on disk may import `@hyperexport/core` (for `defineConfig`, `definePlugin`)
// or a built-in plugin, while nothing is installed next to it: the tool was installed globally.
// This resolve hook lets such an import fall back to the tool's own copy; a config folder that
// has its own copy (a project that depends on @hyperexport/core) keeps using it.
import { registerHooks } from 'node:module';

/** True when `specifier` is one of `packages` or a subpath of one (`@hyperexport/core/cli`). */
export function isCarriedPackage(specifier: string, packages: readonly string[]): boolean {
  return packages.some((name) => specifier === name || specifier.startsWith(`${name}/`));
}

/**
 * From now on, a bare import of one of `packages` that its importer's folder cannot resolve
 * resolves as if imported from `toolUrl` (a module of the installed tool).
 */
export function resolveCarriedPackagesFromTool(packages: readonly string[], toolUrl: string): void {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !isCarriedPackage(specifier, packages)) throw error;
        return nextResolve(specifier, { ...context, parentURL: toolUrl });
      }
    },
  });
}
