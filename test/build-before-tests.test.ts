// The CLI tests run the built `dist`; the global setup (test/support/build-before-tests.ts)
// builds before any test runs. This pins it: if the setup is dropped, a run after an edit fails
// here instead of silently testing the stale build.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/cli.ts';

describe('the build the CLI tests run', () => {
  it('is up to date with the sources when the tests start', async () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    // --dry lists, without building, each project a build would rebuild.
    const { stdout } = await promisify(execFile)(process.execPath, [tsc, '-b', '--dry'], { cwd: REPO_ROOT });
    const stale = stdout.split('\n').filter((line) => /would (?:build|update)/.test(line));
    expect(stale, 'projects whose dist is older than their sources').toEqual([]);
  });
});
