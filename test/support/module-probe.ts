// Runs a piece of ES module code in a child Node process that watches its own module resolution
// (`module.registerHooks`), to see which packages a plugin really loads and when, and to make a
// package look uninstalled. A child process, because vitest has its own module graph (it transforms,
// inlines and caches modules), so only a plain `node` shows what the CLI would load.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * What the probe's code finds already defined (plain JavaScript, no TypeScript):
 * - `loaded()`: the watched packages resolved so far, sorted by name.
 * - `describeError(error)`: `{ name, code, message, hint }` of an error, fit for JSON.
 * - `closedEndpoint()`: an `http://127.0.0.1:PORT` URL of a loopback port nothing listens on.
 * - `withTempFile(name, content, fn)`: writes `content` to a file `name` (mode 0600) in a new directory
 *   under os.tmpdir(), returns what `fn(file, dir)` resolves to, and removes the directory.
 * - `report(value)`: prints `value` as JSON, the probe's result (the last line of stdout).
 */
const PRELUDE = `
import { registerHooks } from 'node:module';
import { createServer } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const watched = new Set(JSON.parse(process.env.PROBE_WATCH));
const hidden = new Set(JSON.parse(process.env.PROBE_HIDE));
const resolved = new Set();
registerHooks({
  resolve(specifier, context, nextResolve) {
    // A hidden package resolves as from a directory where nothing is installed: Node's own error.
    if (hidden.has(specifier)) return nextResolve(specifier, { ...context, parentURL: 'file:///nonexistent/probe.mjs' });
    const result = nextResolve(specifier, context);
    // The package a URL belongs to is the last node_modules/NAME (or @scope/NAME) in its path.
    const name = [...result.url.matchAll(/\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//g)].at(-1)?.[1];
    if (name !== undefined && watched.has(name)) resolved.add(name);
    return result;
  },
});
const loaded = () => [...resolved].sort();
const describeError = (error) => ({ name: error?.name, code: error?.code, message: error?.message, hint: error?.hint });
async function closedEndpoint() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return 'http://127.0.0.1:' + port;
}
async function withTempFile(name, content, fn) {
  const dir = await mkdtemp(join(tmpdir(), 'hyperexport-probe-'));
  try {
    const file = join(dir, name);
    await writeFile(file, content, { mode: 0o600 });
    return await fn(file, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const report = (value) => console.log(JSON.stringify(value));
`;

/** An error as `describeError` in the probe puts it. */
export interface ProbedError {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly hint?: string;
}

export interface ProbeOptions {
  /** npm package names whose resolution `loaded()` records. */
  readonly watch: readonly string[];
  /** npm package names (bare specifiers) that fail to resolve, with Node's own ERR_MODULE_NOT_FOUND. */
  readonly hide?: readonly string[];
  /** ES module code (top-level await allowed) run after the prelude; it ends with `report(result)`. */
  readonly body: string;
}

/**
 * Runs `body` in `node --conditions=hyperexport-source` (workspace packages from their TypeScript
 * sources, as in the tests) in the repository root, and returns what it reported. The caller states
 * the result's shape: it is whatever the body reported.
 */
export async function probeModules(options: ProbeOptions): Promise<unknown> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PROBE_WATCH: JSON.stringify(options.watch),
    PROBE_HIDE: JSON.stringify(options.hide ?? []),
  };
  delete env.NODE_OPTIONS; // whatever the test runner preloads has no place in the child
  const args = ['--conditions=hyperexport-source', '--input-type=module', '-e', PRELUDE + options.body];
  const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { cwd: REPO, env });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as unknown;
  } catch {
    throw new Error(`the probe reported no JSON result (did its body end with report(...)?)\nstdout: ${stdout}\nstderr: ${stderr}`);
  }
}
