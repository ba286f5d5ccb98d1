// StrykerJS: mutation testing of the integrity-critical modules. Run it through
// `npm run mutate` (scripts/mutate.ts), which picks each module's files and tests; see
// docs/testing.md. Not part of `npm test` (a full run takes hours on 2 cores).

// Read by vitest.config.ts: adds the setup file that hands the active mutant to the child
// processes the CLI tests start (test/support/mutant-to-children.ts). Stryker's test runner
// workers inherit this environment.
process.env.HYPEREXPORT_MUTATION = '1';

// Set by scripts/mutate.ts for each module.
const report = process.env.HYPEREXPORT_MUTATE_REPORT ?? 'reports/mutation/mutation';
const files = (process.env.HYPEREXPORT_MUTATE_FILES ?? '').split(',').filter(Boolean);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: {
    configFile: 'vitest.config.ts',
    // scripts/mutate.ts names each module's test files (--testFiles); `related` (vitest's
    // import graph) chooses them only for a file that belongs to no module. CLI tests never
    // import what they test, so the graph alone would miss them.
    related: process.env.HYPEREXPORT_MUTATE_RELATED === '1',
  },
  // In place, not in a sandbox copy: node_modules holds the workspace packages as symlinks into
  // this tree, and the CLI tests run the built dist. A copy would import the unmutated packages
  // through those symlinks. Stryker puts the originals back when it ends (also on Ctrl-C);
  // scripts/mutate.ts then rebuilds dist.
  inPlace: true,
  // No buildCommand: vitest.config.ts's global setup rebuilds dist from the instrumented sources
  // (tolerating the type errors instrumenting causes), so that the CLI's child processes run the
  // mutants too.
  // Two cores shared with other work: one test runner.
  concurrency: 1,
  coverageAnalysis: 'perTest',
  // Mutants that only run while a module loads need every test file reloaded: too slow here.
  ignoreStatic: true,
  timeoutMS: 15_000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 30,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  // Only the mutated files need `// @ts-nocheck` (the build above compiles them); marking
  // every file would make that build recompile the whole repository.
  disableTypeChecks: files.length > 1 ? `{${files.join(',')}}` : (files[0] ?? '{core,plugins/*}/src/**/*.ts'),
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: `${report}.json` },
  htmlReporter: { fileName: `${report}.html` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 90, low: 85, break: null },
};
