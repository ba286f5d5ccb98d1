// Typed errors. Every error that reaches the user says what went wrong and what to do; errors
// raised inside a plugin's tap are tagged with the plugin and hook so the message can name them.

// Errors are recognised by brand, not by prototype: a plugin package may load its own copy of
// core, and a ConfigError made by that copy must still be a ConfigError to the CLI's copy (or it
// would lose its exit code, check name and hint). A Symbol.for key is shared by every copy, and the
// brands are plain strings on the prototype, so `instanceof` (through Symbol.hasInstance) and
// `hasErrorBrand` agree across copies. Kept in this file so it has no imports of its own.
const ERROR_BRANDS = Symbol.for('hyperexport.error.brands');

/** True when `value` is an instance of a class branded `brand` by any copy of core. */
export function hasErrorBrand(value: unknown, brand: string): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const brands: unknown = (value as Record<symbol, unknown>)[ERROR_BRANDS];
  return Array.isArray(brands) && brands.includes(brand);
}

/**
 * Brands an error class, so `instanceof` recognises instances made by another copy of the module
 * that defines it. Call it in the class's static block: `static { brandError(this, 'hyperexport.X'); }`;
 * the brand must be unique to the class and the same in every copy (a package-qualified name).
 */
export function brandError(errorClass: abstract new (...args: never[]) => Error, brand: string): void {
  const inherited: unknown = (Object.getPrototypeOf(errorClass.prototype) as Record<symbol, unknown>)[ERROR_BRANDS];
  const brands = Object.freeze([...(Array.isArray(inherited) ? (inherited as string[]) : []), brand]);
  Object.defineProperty(errorClass.prototype, ERROR_BRANDS, { value: brands });
  Object.defineProperty(errorClass, Symbol.hasInstance, {
    value(this: unknown, value: unknown): boolean {
      // A subclass without a brand of its own inherits this method: it is checked the ordinary way.
      if (this !== errorClass) return Function.prototype[Symbol.hasInstance].call(this, value);
      return hasErrorBrand(value, brand);
    },
  });
}

/** Exit codes of the CLI, documented in the README. */
export const ExitCode = Object.freeze({
  OK: 0,
  EXPORT_FAILED: 1,
  USAGE: 2,
});

/** Base class: a message meant for the user, with an optional hint on how to fix it. */
export class HyperExportError extends Error {
  static {
    brandError(this, 'hyperexport.HyperExportError');
  }

  readonly code: string;
  readonly hint: string | undefined;
  constructor(code: string, message: string, options: { hint?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HyperExportError';
    this.code = code;
    this.hint = options.hint;
  }
}

/** A problem with the configuration or the command line: exit code 2. */
export class ConfigError extends HyperExportError {
  static {
    brandError(this, 'hyperexport.ConfigError');
  }

  /** Every problem found, one per line, when several were collected. */
  readonly problems: readonly string[];
  constructor(message: string, options: { problems?: readonly string[]; hint?: string; cause?: unknown } = {}) {
    super('CONFIG', message, options);
    this.name = 'ConfigError';
    this.problems = options.problems ?? [];
  }
}

/** A failure while running an export: exit code 1. */
export class ExportError extends HyperExportError {
  static {
    brandError(this, 'hyperexport.ExportError');
  }

  constructor(message: string, options: { code?: string; hint?: string; cause?: unknown } = {}) {
    super(options.code ?? 'EXPORT', message, options);
    this.name = 'ExportError';
  }
}

/** Raised when the job was cancelled (Ctrl-C, a sibling failure). */
export class CancelledError extends HyperExportError {
  static {
    brandError(this, 'hyperexport.CancelledError');
  }

  constructor(reason?: unknown) {
    const why = reason instanceof Error ? reason.message : '';
    // A reason that already says "export cancelled" (one from another copy of core) is not said twice.
    super('CANCELLED', why.startsWith('export cancelled') ? why : `export cancelled${why ? `: ${why}` : ''}`, { cause: reason });
    this.name = 'CancelledError';
  }
}

/** Wraps an error thrown inside a plugin's tap, keeping the original as `cause`. */
export class PluginError extends HyperExportError {
  static {
    brandError(this, 'hyperexport.PluginError');
  }

  readonly plugin: string;
  readonly hook: string;
  constructor(plugin: string, hook: string, cause: unknown) {
    const inner = cause instanceof Error ? cause.message : String(cause);
    const innerCode = cause instanceof HyperExportError ? cause.code : 'PLUGIN';
    const hint = cause instanceof HyperExportError ? cause.hint : undefined;
    super(innerCode, `[${plugin}] ${hook}: ${inner}`, { hint, cause });
    this.name = 'PluginError';
    this.plugin = plugin;
    this.hook = hook;
  }
}

/** The message and the tags of any thrown value, for results and logs. */
export function describeError(error: unknown): { message: string; plugin?: string; hook?: string; code?: string; hint?: string } {
  if (error instanceof PluginError) {
    return { message: error.message, plugin: error.plugin, hook: error.hook, code: error.code, ...(error.hint ? { hint: error.hint } : {}) };
  }
  if (error instanceof HyperExportError) {
    return { message: error.message, code: error.code, ...(error.hint ? { hint: error.hint } : {}) };
  }
  if (error instanceof Error) return { message: error.message };
  return { message: String(error) };
}

/**
 * The message of any thrown value followed by its hint in brackets, for problems listed one per
 * line (validation issues, notifier problems): "cannot read key.asc: ENOENT (check the path)".
 */
export function formatErrorWithHint(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const hint = typeof error === 'object' && error !== null ? (error as { hint?: unknown }).hint : undefined;
  return typeof hint === 'string' && hint !== '' ? `${message} (${hint})` : message;
}

/** True when the error means "the user or a sibling cancelled", not a failure of its own. */
export function isAbortError(error: unknown): boolean {
  return error instanceof CancelledError || (error instanceof Error && (error.name === 'AbortError' || (error as NodeJS.ErrnoException).code === 'ABORT_ERR'));
}
