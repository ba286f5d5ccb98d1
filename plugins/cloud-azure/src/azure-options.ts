// Options of the Azure backend: given once for the plugin in the config, and per target
// (`targets: [{ url: 'azure://…', accessTier: 'Cool' }]`), where they override the plugin's.
import { ConfigError, t } from '@hyperexport/core';

export const ACCESS_TIERS = ['Hot', 'Cool', 'Cold', 'Archive'] as const;
export type AccessTier = (typeof ACCESS_TIERS)[number];

const integerIn = (min: number, max: number) => t.isOptional(t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(min, max)]));

// Names of environment variables and files only: a secret itself never goes into a config.
const optionShape = {
  /** Environment variable holding a connection string (default AZURE_STORAGE_CONNECTION_STRING). */
  connectionStringEnv: t.isOptional(t.isString()),
  /** File whose first line is a connection string. */
  connectionStringFile: t.isOptional(t.isString()),
  /** Environment variable holding the account key (default AZURE_STORAGE_KEY). */
  accountKeyEnv: t.isOptional(t.isString()),
  /** File whose first line is the account key. */
  accountKeyFile: t.isOptional(t.isString()),
  /** Environment variable holding a SAS token (default AZURE_STORAGE_SAS_TOKEN). */
  sasTokenEnv: t.isOptional(t.isString()),
  /** File whose first line is a SAS token. */
  sasTokenFile: t.isOptional(t.isString()),
  /** Account URL, for Azurite (http://127.0.0.1:10000/devstoreaccount1) or another cloud. */
  endpoint: t.isOptional(t.isString()),
  /** Access tier the blobs are committed with; default: the account's default tier. */
  accessTier: t.isOptional(t.isEnum(ACCESS_TIERS)),
  /** Block size in MiB (default 8); grown automatically when the blob would need more than 50,000 blocks. */
  blockSizeMiB: integerIn(1, 4000),
  /** Blocks uploaded at once (default 4). Memory is about (concurrency + 1) × block size. */
  concurrency: integerIn(1, 64),
  /** Attempts per request, the first included (default 5); throttling and network errors are retried. */
  maxTries: integerIn(1, 20),
  /** First retry delay in ms, doubled on each retry (default 2000). */
  retryDelayMs: integerIn(0, 600_000),
};

export const azureOptionsSchema = t.isObject(optionShape);

export type AzureOptions = t.InferType<typeof azureOptionsSchema>;

/** Options with their defaults applied. */
export interface ResolvedAzureOptions extends AzureOptions {
  readonly blockSize: number;
  readonly concurrency: number;
  readonly maxTries: number;
  readonly retryDelayMs: number;
}

export const MiB = 1024 * 1024;
export const DEFAULTS = Object.freeze({ blockSizeMiB: 8, concurrency: 4, maxTries: 5, retryDelayMs: 2000 });

/**
 * The plugin's options overlaid with a target's (`{ url, options }` in store-remote's targets).
 * The target's options were not checked when the config loaded, so they are checked here, unknown
 * keys included: a misspelt `acessTier` must not be silently ignored.
 */
export function mergeOptions(pluginOptions: AzureOptions, targetOptions: Readonly<Record<string, unknown>>, target: string): ResolvedAzureOptions {
  const errors: string[] = [];
  if (!azureOptionsSchema(targetOptions, { errors })) {
    const problems = errors.map((error) => error.replace(/^\.([^:]+): /, 'option $1: '));
    throw new ConfigError(`invalid options for the target ${target}: ${problems.join('; ')}`, {
      problems,
      hint: 'see the options of @hyperexport/cloud-azure in its README',
    });
  }
  const own = Object.fromEntries(Object.entries(targetOptions).filter(([, value]) => value !== undefined)) as AzureOptions;
  const merged: AzureOptions = { ...pluginOptions, ...own };
  return {
    ...merged,
    blockSize: (merged.blockSizeMiB ?? DEFAULTS.blockSizeMiB) * MiB,
    concurrency: merged.concurrency ?? DEFAULTS.concurrency,
    maxTries: merged.maxTries ?? DEFAULTS.maxTries,
    retryDelayMs: merged.retryDelayMs ?? DEFAULTS.retryDelayMs,
  };
}
