// The AWS SDK is loaded when an s3:// target is first opened, not when the plugin is imported or
// set up: the CLI imports every built-in plugin on every run. Checked in a child Node process that
// watches its own module resolution (module.registerHooks), so the module graph is Node's, not
// vitest's; the same hook makes the SDK look uninstalled for the error test.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const SDK = '@aws-sdk/client-s3';
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

const OPEN_TARGET = `
const { Exporter } = await import('@hyperexport/core');
const { default: cloudS3 } = await import('@hyperexport/cloud-s3');
const exporter = await Exporter.create([cloudS3()]);
const afterSetup = loaded();
let error;
try {
  const service = await exporter.storage.open('s3://bucket/exports/?endpoint=' + encodeURIComponent(await closedEndpoint()), {
    env: { AWS_ACCESS_KEY_ID: 'probe', AWS_SECRET_ACCESS_KEY: 'probe', AWS_REGION: 'us-east-1' },
    options: { maxAttempts: 1 },
  });
  await service.close();
} catch (caught) {
  error = describeError(caught);
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

describe('cloud-s3 loads the AWS SDK on first use', () => {
  it('importing the package and setting the plugin up load no SDK; opening an s3:// target loads it', async () => {
    const result = await probe(OPEN_TARGET);
    expect(result.afterSetup).toEqual([]);
    expect(result.afterOpen).toEqual([SDK]);
    // The target was really tried (nothing listens there), so the SDK did the work.
    expect(result.error).toMatchObject({ code: 'UNREACHABLE' });
  });

  it('says which package is missing and how to install it when the SDK is not installed', async () => {
    const result = await probe(OPEN_TARGET, [SDK]);
    expect(result.afterOpen).toEqual([]);
    expect(result.error).toMatchObject({ name: 'ExportError', code: 'MISSING_DEPENDENCY' });
    expect(result.error!.message).toBe('@hyperexport/cloud-s3 needs @aws-sdk/client-s3 to talk to S3, and it is not installed');
    expect(result.error!.hint).toContain('npm install @aws-sdk/client-s3');
  });
});
