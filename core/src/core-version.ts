// The version of @hyperexport/core, read when asked (not at import): the bundle of the tool
// (the npm tarball and the single executable, scripts/bundle-cli.ts) has no package.json beside
// its code, so the bundler defines HYPEREXPORT_CORE_VERSION instead.
import { readFileSync } from 'node:fs';

declare const HYPEREXPORT_CORE_VERSION: string | undefined;

export function coreVersion(): string {
  if (typeof HYPEREXPORT_CORE_VERSION === 'string') return HYPEREXPORT_CORE_VERSION;
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
