// OpenPGP.js is loaded when something is first encrypted or decrypted (a stream made to do so),
// not when the plugin is imported or set up: the CLI imports every built-in plugin (and
// `hyperexport restore` every reverse stage) on every run. Checked in a child Node process
// that watches its own module resolution (module.registerHooks), so the module graph is Node's,
// not vitest's; the same hook makes the library look uninstalled for the error test.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const SDK = 'openpgp';
const WATCHED = [SDK];

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

/** Sets the plugin up, then encrypts a few bytes with a passphrase. */
const ENCRYPT = `
const { Exporter } = await import('@hyperexport/core');
const { default: encryptPgp, createEncryptStream, reverseStages } = await import('@hyperexport/encrypt-pgp');
const { Readable, Writable } = await import('node:stream');
const { pipeline } = await import('node:stream/promises');
await Exporter.create([encryptPgp()]);
const afterSetup = loaded();
const stream = createEncryptStream({ recipients: [], passphrase: 'probe' }, { filename: 'disk.vmdk' });
let bytes = 0;
let error;
try {
  await pipeline(Readable.from([Buffer.from('plain bytes')]), stream, new Writable({ write(chunk, _encoding, callback) { bytes += chunk.length; callback(); } }));
} catch (caught) {
  error = describeError(caught);
}
console.log(JSON.stringify({ afterSetup, afterOpen: loaded(), bytes, reverseStages: reverseStages.length, error }));
`;

/**
 * Prepares a job's encryption (what the validate hook does) with two recipient key files and a
 * passphrase file. With openpgp missing, that must be one problem, found before any file is read.
 */
const PREPARE = `
const { prepareEncryption } = await import(new URL('plugins/encrypt-pgp/src/prepare-encryption.ts', 'file://' + process.cwd() + '/').href);
const afterSetup = loaded();
const prepared = await prepareEncryption({ recipients: ['/nonexistent/alice.asc', '/nonexistent/bob.asc'], symmetric: true, passphraseFile: '/nonexistent/passphrase' });
console.log(JSON.stringify({ afterSetup, afterOpen: loaded(), problems: prepared.problems, keys: prepared.keys ?? null }));
`;

interface PrepareResult extends ProbeResult {
  problems: string[];
  keys: unknown;
}

interface EncryptResult extends ProbeResult {
  bytes: number;
  reverseStages: number;
}

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

describe('encrypt-pgp loads OpenPGP.js on first use', () => {
  it('importing the package and setting the plugin up load nothing; encrypting loads it', async () => {
    const result = (await probe(ENCRYPT)) as EncryptResult;
    expect(result.reverseStages).toBe(1);
    expect(result.afterSetup).toEqual([]);
    expect(result.error).toBeUndefined();
    expect(result.bytes).toBeGreaterThan('plain bytes'.length);
    expect(result.afterOpen).toEqual([SDK]);
  });

  it('says which package is missing and how to install it when openpgp is not installed', async () => {
    const result = (await probe(ENCRYPT, [SDK])) as EncryptResult;
    expect(result.afterOpen).toEqual([]);
    expect(result.bytes).toBe(0);
    expect(result.error).toMatchObject({ name: 'ExportError', code: 'MISSING_DEPENDENCY' });
    expect(result.error!.message).toBe('@hyperexport/encrypt-pgp needs openpgp to encrypt and decrypt OpenPGP messages, and it is not installed');
    expect(result.error!.hint).toContain('npm install openpgp');
  });

  it('reports a missing openpgp once among the checks of a job, before any key or passphrase file is read', async () => {
    const result = (await probe(PREPARE, [SDK])) as PrepareResult;
    expect(result.keys).toBeNull();
    // Not one problem per recipient, and not "cannot read /nonexistent/…": the library comes first.
    expect(result.problems).toEqual([
      '@hyperexport/encrypt-pgp needs openpgp to encrypt and decrypt OpenPGP messages, and it is not installed (install it with `npm install openpgp` where @hyperexport/encrypt-pgp is installed; add -g if that is a global install)',
    ]);
  });
});
