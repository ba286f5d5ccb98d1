// Starts the vSphere simulator harness (test/vcsim: VMware's vcsim extended with export leases,
// NFC disk URLs and fault injection), builds it first if needed, and stops it afterwards.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';

const HARNESS_DIR = fileURLToPath(new URL('../vcsim/', import.meta.url));
const exec = promisify(execFile);

export interface VcsimVm {
  readonly path: string;
  readonly powerState: string;
  readonly moref: string;
  readonly disks: ReadonlyArray<{
    readonly file: string;
    readonly size: number;
    readonly capacity: number;
    readonly sha256: string;
    /** Local paths of the files on vcsim's datastore that back the disk (descriptor, flat extent). */
    readonly backingFiles: readonly string[];
  }>;
}

export interface Vcsim {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly thumbprint: string;
  readonly thumbprint256: string;
  readonly vms: readonly VcsimVm[];
  readonly control: string;
  /** Environment for the CLI: GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD, GOVC_INSECURE. */
  readonly env: Record<string, string>;
  /** Changes fault injection: `{ cutAfterBytes, cutEvery, rateBytesPerSec, leaseTimeoutSec, initDelayMs, stream, snapshotTaskMs, exportDelayMs }` (test/vcsim/README.md). */
  setFaults(faults: Record<string, unknown>): Promise<void>;
  resetFaults(): Promise<void>;
  leases(): Promise<Array<Record<string, unknown>>>;
  /** Expires every ready lease now, as a host does after a timeout. */
  expireLeases(): Promise<void>;
  stop(): Promise<void>;
}

let built: Promise<void> | undefined;

export function buildVcsim(): Promise<void> {
  built ??= exec('bash', [`${HARNESS_DIR}build.sh`], { maxBuffer: 16 << 20 }).then(() => undefined);
  return built;
}

export async function startVcsim(args: readonly string[] = []): Promise<Vcsim> {
  await buildVcsim();
  const child: ChildProcess = spawn(`${HARNESS_DIR}bin/vcsim-harness`, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`vcsim-harness exited with ${code}: ${stderr}`)));
  });
  const ready = JSON.parse(line) as Omit<Vcsim, 'env' | 'setFaults' | 'resetFaults' | 'leases' | 'expireLeases' | 'stop'>;
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
  const control = async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => {
    const response = await request(`${ready.control}${path}`, {
      method,
      dispatcher,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await response.body.text();
    if (response.statusCode >= 300) throw new Error(`harness ${method} ${path}: ${response.statusCode} ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  return {
    ...ready,
    env: { GOVC_URL: ready.url, GOVC_USERNAME: ready.username, GOVC_PASSWORD: ready.password, GOVC_INSECURE: '1' },
    setFaults: async (faults) => void (await control('POST', '/faults', faults)),
    resetFaults: async () => void (await control('DELETE', '/faults')),
    leases: async () => (await control('GET', '/leases')) as Array<Record<string, unknown>>,
    expireLeases: async () => void (await control('POST', '/leases/expire')),
    stop: async () => {
      await dispatcher.close();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// `node test/support/vcsim.ts [harness flags]`: start it by hand; prints the ready line.
if (import.meta.url === `file://${process.argv[1]}`) {
  const sim = await startVcsim(process.argv.slice(2));
  console.log(JSON.stringify({ url: sim.url, username: sim.username, password: sim.password, vms: sim.vms }));
  process.on('SIGINT', () => void sim.stop().then(() => process.exit(0)));
  process.on('SIGTERM', () => void sim.stop().then(() => process.exit(0)));
}
