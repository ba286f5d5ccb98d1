import { defineConfig } from 'vitest/config';

// Tests import every workspace package from its TypeScript source (the `hyperexport-source`
// export condition), so one copy of core is loaded and no build is needed between edits.
export default defineConfig({
  resolve: { conditions: ['hyperexport-source'] },
  ssr: { resolve: { conditions: ['hyperexport-source'] } },
  test: {
    include: ['core/src/**/*.test.ts', 'plugins/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // The CLI tests run the built `dist` (cli/bin/hyperexport.js): build first, so that a plain
    // `npx vitest run` after an edit never tests a stale build. Incremental: ~2 s when up to date.
    globalSetup: ['test/support/build-before-tests.ts'],
    // Mutation testing only (stryker.config.mjs sets it): the CLI's child processes get the mutant.
    setupFiles: process.env['HYPEREXPORT_MUTATION'] === '1' ? ['test/support/mutant-to-children.ts'] : [],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // clipanion imports a directory (lib/platform), which Node's ESM loader refuses; let Vite resolve it.
    server: { deps: { inline: ['clipanion'] } },
  },
});
