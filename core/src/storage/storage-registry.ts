// Which backend opens which URL scheme. Plugins register backends in setup(); the registry is
// sealed with the hooks, so the set of schemes is fixed for a run.
import { ConfigError } from '../errors.ts';
import { redactUrlCredentials } from '../redact-credentials.ts';
import type { JobSpec } from '../model.ts';
import type { StorageBackend, StorageOpenContext, StorageService } from './storage-service.ts';

/** Says where a job's export is written locally (a folder), or undefined when it is not. */
export type LocalOutputResolver = (job: { readonly spec: JobSpec }) => string | undefined;

export class StorageRegistry {
  readonly #backends = new Map<string, StorageBackend>();
  readonly #localOutputs: LocalOutputResolver[] = [];
  #sealed = false;

  register(backend: StorageBackend): void {
    if (this.#sealed) throw new Error(`storage backend "${backend.name}" registered after setup; register it in setup()`);
    for (const scheme of backend.schemes) {
      const existing = this.#backends.get(scheme);
      if (existing) throw new ConfigError(`both "${existing.name}" and "${backend.name}" handle ${scheme}:// URLs; configure only one of them`);
      this.#backends.set(scheme, backend);
    }
  }

  /**
   * Registers how a plugin that writes exports to a local folder (store-local) finds that folder
   * for a job: `--output`, or a folder of its own options. Others (store-remote) ask
   * `localOutputOf` instead of looking at `--output` alone, which would miss the second.
   */
  registerLocalOutput(plugin: string, resolve: LocalOutputResolver): void {
    if (this.#sealed) throw new Error(`local output of "${plugin}" registered after setup; register it in setup()`);
    this.#localOutputs.push(resolve);
  }

  /** The folder the job's export is written to locally, or undefined when it has no local copy. */
  localOutputOf(job: { readonly spec: JobSpec }): string | undefined {
    for (const resolve of this.#localOutputs) {
      const directory = resolve(job);
      if (directory !== undefined) return directory;
    }
    return undefined;
  }

  /** @internal called by Exporter.create once every plugin is set up. */
  seal(): void {
    this.#sealed = true;
  }

  get schemes(): string[] {
    return [...this.#backends.keys()].sort();
  }

  backendFor(url: URL): StorageBackend | undefined {
    return this.#backends.get(url.protocol.replace(/:$/, ''));
  }

  /**
   * Checks a target URL and its options without connecting: a scheme some plugin stores to, and
   * whatever its backend checks before opening. Throws a ConfigError naming the problem.
   */
  check(target: string, options: Readonly<Record<string, unknown>> = {}): void {
    const url = parseTargetUrl(target);
    const backend = this.backendFor(url);
    if (!backend) throw this.#unknownScheme(url);
    backend.check?.(url, options);
  }

  #unknownScheme(url: URL): ConfigError {
    const known = this.schemes.map((scheme) => `${scheme}://`).join(', ') || 'none';
    return new ConfigError(`no configured plugin stores to ${url.protocol}// URLs (${redactUrl(url)})`, {
      hint: `schemes available: ${known}; add the storage plugin for it to the config (see \`hyperexport plugins list\`)`,
    });
  }

  /** Opens a target URL (`s3://bucket/prefix`, `file:///dir`, a plain path means file://). */
  async open(target: string, context: Partial<StorageOpenContext> = {}): Promise<StorageService> {
    const url = parseTargetUrl(target);
    const backend = this.backendFor(url);
    if (!backend) throw this.#unknownScheme(url);
    return backend.open(url, { signal: context.signal ?? new AbortController().signal, env: context.env ?? process.env, options: context.options ?? {} });
  }
}

/** A target as a URL; a plain absolute or relative path is a file:// URL. */
export function parseTargetUrl(target: string): URL {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    try {
      return new URL(target);
    } catch {
      throw new ConfigError(`"${redactText(target)}" is not a valid target URL`, {
        hint: 'write it like s3://bucket/prefix, azure://account/container/prefix, gs://bucket/prefix, sftp://user@host:22/path or file:///dir',
      });
    }
  }
  const { pathToFileURL } = process.getBuiltinModule('node:url');
  return pathToFileURL(target);
}

/** The URL as it may be printed: no password, no query (SAS tokens live there). */
export function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  if (copy.search) copy.search = '?***';
  return copy.href;
}

/** A target that does not parse, as it may be quoted: the password masked as in every event, no query. */
function redactText(text: string): string {
  return redactUrlCredentials(text).replace(/\?.*$/, '?***');
}
