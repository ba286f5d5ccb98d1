// ssh2-sftp-client and ssh2 are loaded when an sftp:// target is first opened, not when the
// plugin is imported or set up: the CLI imports every built-in plugin on every run. Checked in a
// child Node process that watches its own module resolution (module.registerHooks), so the module
// graph is Node's, not vitest's; the same hook makes a package look uninstalled.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const CLIENT = 'ssh2-sftp-client';
const SSH2 = 'ssh2';
const WATCHED = [SSH2, CLIENT];

const PRELUDE = `
import { registerHooks } from 'node:module';
import { createServer } from 'node:net';
const watched = new Set(JSON.parse(process.env.PROBE_WATCH));
const hidden = new Set(JSON.parse(process.env.PROBE_HIDE));
const resolved = new Set();
registerHooks({
  resolve(specifier, context, nextResolve) {
    // A hidden package resolves as from a directory where nothing is installed: Node's own error.
    if (hidden.has(specifier)) return nextResolve(specifier, { ...context, parentURL: 'file:///nonexistent/probe.mjs' });
    const result = nextResolve(specifier, context);
    const name = [...result.url.matchAll(/\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//g)].at(-1)?.[1];
    if (name !== undefined && watched.has(name)) resolved.add(name);
    return result;
  },
});
const loaded = () => [...resolved].sort();
const describeError = (error) => ({ name: error?.name, code: error?.code, message: error?.message, hint: error?.hint });
/** An http:// endpoint on a loopback port nothing listens on. */
async function closedEndpoint() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return 'http://127.0.0.1:' + port;
}
`;

const SET_UP = `
const { Exporter } = await import('@hyperexport/core');
const { default: cloudSftp } = await import('@hyperexport/cloud-sftp');
const exporter = await Exporter.create([cloudSftp()]);
const afterSetup = loaded();
`;

/** Logs in with a password (no key to read), to a port nothing listens on. */
const OPEN_TARGET = SET_UP + `
let error;
try {
  const port = new URL(await closedEndpoint()).port;
  const service = await exporter.storage.open('sftp://probe@127.0.0.1:' + port + '/exports', {
    env: { HYPEREXPORT_SFTP_PASSWORD: 'probe', HOME: '/nonexistent' },
    options: { insecure: true },
  });
  await service.close();
} catch (caught) {
  error = describeError(caught);
}
console.log(JSON.stringify({ afterSetup, afterOpen: loaded(), error }));
`;

/** Logs in with a key file (not a key: ssh2 must load before the file is judged). */
const OPEN_WITH_KEY_FILE = SET_UP + `
const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
const dir = await mkdtemp(join(tmpdir(), 'hyperexport-sftp-probe-'));
let error;
try {
  const keyFile = join(dir, 'id_ed25519');
  await writeFile(keyFile, 'not a key', { mode: 0o600 });
  await exporter.storage.open('sftp://probe@127.0.0.1:22/exports', { env: { HOME: dir }, options: { keyFile, insecure: true } });
} catch (caught) {
  error = describeError(caught);
} finally {
  await rm(dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ afterSetup, afterOpen: loaded(), error }));
`;

interface ProbeResult {
  afterSetup: string[];
  afterOpen: string[];
  error?: { name?: string; code?: string; message?: string; hint?: string };
}

async function probe(body: string, hide: readonly string[] = []): Promise<ProbeResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, PROBE_WATCH: JSON.stringify(WATCHED), PROBE_HIDE: JSON.stringify(hide) };
  delete env.NODE_OPTIONS; // whatever the test runner preloads has no place in the child
  const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=hyperexport-source', '--input-type=module', '-e', PRELUDE + body], { cwd: REPO, env });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ProbeResult;
}

describe('cloud-sftp loads the SSH libraries on first use', () => {
  it('importing the package and setting the plugin up load neither; opening an sftp:// target loads them', async () => {
    const result = await probe(OPEN_TARGET);
    expect(result.afterSetup).toEqual([]);
    expect(result.afterOpen).toEqual([SSH2, CLIENT]);
    // The target was really tried (nothing listens there), so the library did the work.
    expect(result.error).toMatchObject({ code: 'UNREACHABLE' });
  });

  it('says which package is missing and how to install it when ssh2-sftp-client is not installed', async () => {
    const result = await probe(OPEN_TARGET, [CLIENT]);
    expect(result.afterOpen).toEqual([]);
    expect(result.error).toMatchObject({ name: 'ExportError', code: 'MISSING_DEPENDENCY' });
    expect(result.error!.message).toBe('@hyperexport/cloud-sftp needs ssh2-sftp-client to talk to SFTP servers, and it is not installed');
    expect(result.error!.hint).toContain('npm install ssh2-sftp-client');
  });

  it('says so too when a key file is given and ssh2 is not installed', async () => {
    const result = await probe(OPEN_WITH_KEY_FILE, [SSH2]);
    expect(result.afterOpen).toEqual([]);
    expect(result.error).toMatchObject({ name: 'ExportError', code: 'MISSING_DEPENDENCY' });
    expect(result.error!.message).toBe('@hyperexport/cloud-sftp needs ssh2 to read SSH keys, and it is not installed');
    expect(result.error!.hint).toContain('npm install ssh2');
  });
});
