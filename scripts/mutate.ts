// Mutation testing of the integrity-critical modules with StrykerJS (stryker.config.mjs), one
// module at a time, smallest first, each against the tests that are meant to guard it. Prints
// each module's mutation score (killed + timed out over all mutants that ran or had no test) and
// writes reports/mutation/<module>.{json,html}. See docs/testing.md.
//
//   npm run mutate                                   every module below (hours on 2 cores)
//   npm run mutate -- --module safe-name,manifest    some of them, by name
//   npm run mutate -- --mutate 'core/src/ovf/safe-name.ts'          one file (any file:
//        the tests of the module that holds it, else vitest's related tests)
//   npm run mutate -- --mutate 'core/src/ovf/ova-index.ts:40-60'    a range of lines
// Anything else on the command line goes to `stryker run` as is (e.g. --concurrency 2).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

interface MutationModule {
  readonly name: string;
  /** Files (or `file:start-end` line ranges) to mutate. */
  readonly mutate: readonly string[];
  /** The test files that guard the module. */
  readonly tests: readonly string[];
  /**
   * Some of the tests reach the module only through the CLI, in a child process, where Stryker
   * sees no per-test coverage: every mutant then runs all of `tests` (slower, but no mutant is
   * wrongly reported as not covered).
   */
  readonly throughCli?: boolean;
}

const MODULES: readonly MutationModule[] = [
  { name: 'safe-name', mutate: ['core/src/ovf/safe-name.ts'], tests: ['core/src/ovf/safe-name.test.ts'] },
  {
    name: 'manifest',
    mutate: ['core/src/ovf/manifest.ts', 'core/src/ovf/manifest-check.ts'],
    tests: ['core/src/ovf/manifest.test.ts', 'core/src/ovf/manifest-check.test.ts'],
  },
  { name: 'ova-index', mutate: ['core/src/ovf/ova-index.ts'], tests: ['core/src/ovf/ova-index.test.ts'] },
  {
    name: 'restore-plan',
    mutate: ['core/src/restore/file-bindings.ts', 'core/src/restore/reversal.ts'],
    tests: ['core/src/restore/*.test.ts', 'plugins/encrypt-aes/src/binding.test.ts'],
  },
  { name: 'retention-policy', mutate: ['plugins/retention/src/policy.ts'], tests: ['plugins/retention/src/policy.test.ts'] },
  // The reading side of the .hxe format (header parsing, nonces) and the decrypting stream.
  {
    name: 'encrypt-aes',
    mutate: ['plugins/encrypt-aes/src/format.ts:192-328', 'plugins/encrypt-aes/src/decrypt-stream.ts'],
    tests: ['plugins/encrypt-aes/src/*.test.ts'],
  },
  // What decides that resumed bytes belong where they are appended: the Content-Length and
  // Content-Range parsing, the checks of each answer, the body's length (not the retry policy).
  {
    name: 'resumable-download',
    mutate: ['plugins/source-vsphere/src/nfc/resumable-download.ts:215-237', 'plugins/source-vsphere/src/nfc/resumable-download.ts:403-505'],
    tests: ['plugins/source-vsphere/src/nfc/resumable-download.test.ts'],
  },
  { name: 'store-local-commit', mutate: ['plugins/store-local/src/local-directory-sink.ts'], tests: ['plugins/store-local/src/*.test.ts'] },
  // The checks: each file against the manifest, the restored OVA or folder against its own.
  { name: 'restore', mutate: ['core/src/restore/restore-export.ts:220-283'], tests: ['test/restore.test.ts'], throughCli: true },
  // Each storage backend's checksum path: the hash computed on the way and checked against the
  // announced one, the sizes and hashes checked after the upload, and (GCS) the CRC32C on reads.
  {
    name: 'gcs-checksum',
    mutate: [
      'plugins/cloud-gcs/src/gcs-storage-service.ts:112-125',
      'plugins/cloud-gcs/src/gcs-storage-service.ts:138-138',
      'plugins/cloud-gcs/src/gcs-storage-service.ts:158-170',
      'plugins/cloud-gcs/src/gcs-storage-service.ts:223-235',
    ],
    tests: ['test/cloud-gcs.test.ts'],
  },
  {
    name: 'azure-checksum',
    mutate: [
      'plugins/cloud-azure/src/block-upload.ts:114-116',
      'plugins/cloud-azure/src/block-upload.ts:129-131',
      'plugins/cloud-azure/src/block-upload.ts:141-141',
      'plugins/cloud-azure/src/block-upload.ts:161-170',
      'plugins/cloud-azure/src/azure-blob-service.ts:59-62',
    ],
    tests: ['test/cloud-azure.test.ts'],
  },
  {
    name: 's3-checksum',
    mutate: [
      'plugins/cloud-s3/src/stream-upload.ts:140-160',
      'plugins/cloud-s3/src/stream-upload.ts:233-290',
      'plugins/cloud-s3/src/s3-storage-service.ts:94-100',
    ],
    tests: ['test/cloud-s3.test.ts'],
  },
  { name: 'sftp-checksum', mutate: ['plugins/cloud-sftp/src/sftp-storage-service.ts:78-115'], tests: ['test/cloud-sftp.test.ts'] },
];

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  if (index < 0) return undefined;
  const value = process.argv[index + 1];
  if (value === undefined || value.startsWith('--')) usage(`${name} needs a value`);
  process.argv.splice(index, 2);
  return value;
}

function usage(problem: string): never {
  console.error(
    `mutate: ${problem}\nUsage: npm run mutate [-- --module NAME[,NAME…] | --mutate 'FILE[:LINES]'] [stryker options]\nModules: ${MODULES.map((module) => module.name).join(', ')}`,
  );
  process.exit(2);
}

/** Source lines of a module's files: the order in which they run (smallest first). */
function size(module: MutationModule): number {
  return module.mutate.reduce((total, file) => total + readFileSync(join(ROOT, file.replace(/:[\d:-]+$/, '')), 'utf8').split('\n').length, 0);
}

const onlyNames = option('--module')?.split(',');
const mutateArg = option('--mutate');
const passThrough = process.argv.slice(2);

let plan: MutationModule[];
if (mutateArg !== undefined) {
  const files = mutateArg.split(',');
  const plain = (file: string) => file.replace(/:[\d:-]+$/, '');
  const owner = MODULES.find((module) => files.every((file) => module.mutate.some((own) => plain(own) === plain(file))));
  plan = [{ name: owner?.name ?? 'adhoc', mutate: files, tests: owner?.tests ?? [], throughCli: owner?.throughCli }];
} else {
  const unknown = onlyNames?.filter((name) => !MODULES.some((module) => module.name === name));
  if (unknown?.length) usage(`no module named ${unknown.join(', ')}`);
  plan = MODULES.filter((module) => !onlyNames || onlyNames.includes(module.name)).sort((a, b) => size(a) - size(b));
}

interface Score {
  readonly module: string;
  readonly killed: number;
  readonly timedOut: number;
  readonly survived: number;
  readonly noCoverage: number;
  readonly score: number;
}

/** The score as Stryker counts it: detected (killed, timeout) over valid mutants. */
function readScore(module: string, report: string): Score {
  const { files } = JSON.parse(readFileSync(report, 'utf8')) as { files: Record<string, { mutants: Array<{ status: string }> }> };
  const count = (status: string) => Object.values(files).reduce((total, file) => total + file.mutants.filter((mutant) => mutant.status === status).length, 0);
  const killed = count('Killed');
  const timedOut = count('Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const valid = killed + timedOut + survived + noCoverage;
  return { module, killed, timedOut, survived, noCoverage, score: valid === 0 ? Number.NaN : Math.round(((killed + timedOut) / valid) * 1000) / 10 };
}

/** Expands `dir/*.test.ts` (the only pattern the table uses) so that Stryker gets plain files. */
function expand(pattern: string): string[] {
  if (!pattern.includes('*')) return [pattern];
  const folder = dirname(pattern);
  const suffix = pattern.slice(pattern.lastIndexOf('*') + 1);
  return readdirSync(join(ROOT, folder))
    .filter((file) => file.endsWith(suffix))
    .map((file) => `${folder}/${file}`);
}

const scores: Score[] = [];
let failed = false;
mkdirSync(join(ROOT, 'reports/mutation'), { recursive: true });
try {
  for (const module of plan) {
    const report = `reports/mutation/${module.name}.json`;
    const tests = module.tests.flatMap(expand);
    console.log(
      `\nmutate: ${module.name}: ${module.mutate.join(', ')} against ${tests.length ? tests.join(', ') : "vitest's related tests"}${module.throughCli ? ' (through the CLI: every test file runs for every mutant)' : ''}`,
    );
    const result = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/@stryker-mutator/core/bin/stryker.js'),
        'run',
        'stryker.config.mjs',
        '--mutate',
        module.mutate.join(','),
        ...(tests.length ? ['--testFiles', tests.join(',')] : []),
        '--coverageAnalysis',
        module.throughCli ? 'off' : 'perTest',
        ...passThrough,
      ],
      {
        cwd: ROOT,
        stdio: 'inherit',
        env: {
          ...process.env,
          HYPEREXPORT_MUTATE_REPORT: join('reports/mutation', module.name),
          HYPEREXPORT_MUTATE_FILES: module.mutate.map((file) => file.replace(/:[\d:-]+$/, '')).join(','),
          HYPEREXPORT_MUTATE_RELATED: tests.length ? '0' : '1',
        },
      },
    );
    if (result.status !== 0 || !existsSync(join(ROOT, report))) {
      console.error(`mutate: ${module.name}: stryker exited ${result.status ?? result.signal}`);
      failed = true;
      break;
    }
    scores.push(readScore(module.name, join(ROOT, report)));
  }
} finally {
  // Stryker puts the original sources back in place, but drops the executable bit of what it
  // rewrote, and dist was built from the instrumented sources: put both right.
  // The vitest runner leaves a copy of its setup file per test runner at the root.
  for (const file of readdirSync(ROOT)) if (/^stryker-setup-\d+\.js$/.test(file)) rmSync(join(ROOT, file), { force: true });
  for (const file of readdirSync(join(ROOT, 'cli/bin'))) chmodSync(join(ROOT, 'cli/bin', file), statSync(join(ROOT, 'cli/bin', file)).mode | 0o111);
  const build = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('mutate: rebuilding dist from the restored sources failed; run `npm run build`');
    failed = true;
  }
}

if (scores.length) {
  console.log(`\nMutation scores (${new Date().toISOString().slice(0, 10)}):\n`);
  console.log('| Module | Score | Killed | Timed out | Survived | No coverage |');
  console.log('|---|---|---|---|---|---|');
  for (const score of scores)
    console.log(`| ${score.module} | ${score.score}% | ${score.killed} | ${score.timedOut} | ${score.survived} | ${score.noCoverage} |`);
}
process.exit(failed ? 1 : 0);
