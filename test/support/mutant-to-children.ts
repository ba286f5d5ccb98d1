// Vitest setup file, only during mutation testing (`npm run mutate`, see stryker.config.mjs).
//
// Stryker activates a mutant in the test process through a global; a child process (the CLI
// tests spawn cli/bin/hyperexport.js, which runs dist built from the instrumented sources)
// reads it from the environment instead. Without this, a mutant that only the CLI reaches
// would never be active where it runs, and would always survive.
import { beforeAll } from 'vitest';

const ENV = '__STRYKER_ACTIVE_MUTANT__';

beforeAll(() => {
  // Runs after Stryker's own setup file (it comes first), which sets the active mutant.
  const active = (globalThis as { __stryker__?: { activeMutant?: string | number } }).__stryker__?.activeMutant;
  if (active === undefined) delete process.env[ENV];
  else process.env[ENV] = String(active);
});
