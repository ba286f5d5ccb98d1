// Loads a heavy package the first time it is needed, not when the plugin is imported: the CLI
// imports every built-in plugin on every run (`hyperexport --help` included), and most runs never
// use this one. Every plugin that loads an SDK this way uses it.
import { ExportError } from './errors.ts';

export interface LazyPackage<T> {
  /** The package to load, as `npm install` takes it. */
  readonly name: string;
  /** The plugin package that depends on it, for the hint. */
  readonly plugin: string;
  /** What it is needed for, finishing "…needs NAME ": "to talk to S3". */
  readonly neededFor: string;
  /** The import itself: `() => import('NAME')` (a literal specifier, so bundlers and tsc see it). */
  readonly load: () => Promise<T>;
}

/** A loader that imports the package once, shares the result, and says what to install when it fails. */
export function lazyPackage<T>(spec: LazyPackage<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= spec.load().catch((error: unknown) => {
      // Not kept: a later call tries again (the package may have been installed since).
      loading = undefined;
      throw cannotLoad(spec, error);
    });
    return loading;
  };
}

/** The error for a package that did not load: which one is missing and how to install it. */
export function cannotLoad(spec: Pick<LazyPackage<unknown>, 'name' | 'plugin' | 'neededFor'>, error: unknown): ExportError {
  const where = `where ${spec.plugin} is installed; add -g if that is a global install`;
  const missing = missingPackageOf(error);
  if (missing === spec.name) {
    return new ExportError(`${spec.plugin} needs ${spec.name} ${spec.neededFor}, and it is not installed`, {
      code: 'MISSING_DEPENDENCY',
      hint: `install it with \`npm install ${spec.name}\` ${where}`,
      cause: error,
    });
  }
  if (missing !== undefined) {
    return new ExportError(`${spec.plugin} needs ${spec.name} ${spec.neededFor}, and ${spec.name}'s dependency ${missing} is not installed`, {
      code: 'MISSING_DEPENDENCY',
      hint: `reinstall it with \`npm install ${spec.name}\` ${where}`,
      cause: error,
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new ExportError(`${spec.plugin} cannot load ${spec.name}, which it needs ${spec.neededFor}: ${reason}`, {
    code: 'MISSING_DEPENDENCY',
    hint: `reinstall it with \`npm install ${spec.name}\` ${where}`,
    cause: error,
  });
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/**
 * The package a "not found" error names: Node's ESM loader says "Cannot find package 'NAME'
 * imported from …", its CommonJS loader "Cannot find module 'NAME'". A path (a file missing inside
 * an installed package) names no package: that error is shown as it is.
 */
function missingPackageOf(error: unknown): string | undefined {
  if (!isNotFound(error)) return undefined;
  const named = /Cannot find (?:package|module) '([^']+)'/.exec((error as Error).message ?? '')?.[1];
  if (named === undefined || named.startsWith('.') || named.startsWith('/') || named.startsWith('file:') || /^[A-Za-z]:[\\/]/.test(named)) return undefined;
  // A deep import names a file inside its package: keep the package part.
  const parts = named.split('/');
  return named.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
