// Starts Azurite, Microsoft's Azure Storage emulator (npm package `azurite`, a root devDependency),
// as a child process on a loopback port, for tests of the Azure Blob backend against a real server.
// It persists to a folder, so a test can kill it mid-upload and start it again on the same data.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Azurite's one account and its well-known key (published by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Folder Azurite keeps its data in; a fresh temp folder (removed on stop) when not given. */
  location?: string;
  /** Port to listen on; 0 (the default) lets the OS pick a free one. */
  port?: number;
}

export interface Azurite {
  readonly port: number;
  readonly location: string;
  /** Account URL in Azurite's path style: http://127.0.0.1:PORT/devstoreaccount1 */
  readonly endpoint: string;
  /** A connection string with the well-known key and this instance's blob endpoint. */
  readonly connectionString: string;
  /** Graceful stop (Azurite saves its database); removes the data folder if it made it. */
  stop(): Promise<void>;
  /** SIGKILL, like a crashed server; keeps the data folder (restart on it with `location`). */
  kill(): Promise<void>;
}

const LISTENING = /successfully listens on https?:\/\/[^:]+:(\d+)/;

export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const ownsLocation = options.location === undefined;
  const location = options.location ?? (await mkdtemp(join(tmpdir(), 'hyperexport-azurite-')));
  const require = createRequire(import.meta.url);
  const main = join(dirname(require.resolve('azurite/package.json')), 'dist/src/blob/main.js');
  // --skipApiVersionCheck: the current @azure/storage-blob speaks a newer API version than
  // Azurite knows and would be refused. --disableTelemetry: tests make no calls home.
  const child = spawn(
    process.execPath,
    [
      main,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(options.port ?? 0),
      '--location',
      location,
      '--skipApiVersionCheck',
      '--loose',
      '--silent',
      '--disableTelemetry',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );

  let port: number;
  try {
    port = await waitUntilListening(child);
  } catch (error) {
    child.kill('SIGKILL');
    if (ownsLocation) await rm(location, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const removeLocation = async () => {
    if (ownsLocation) await rm(location, { recursive: true, force: true });
  };
  return {
    port,
    location,
    endpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint};`,
    async stop() {
      await terminate(child, 'SIGTERM');
      await removeLocation();
    },
    async kill() {
      await terminate(child, 'SIGKILL');
    },
  };
}

function waitUntilListening(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`Azurite did not start within 60 s:\n${output}`)), 60_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = LISTENING.exec(output);
      if (match) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(Number(match[1]));
      }
    };
    const onExit = (code: number | null) => fail(new Error(`Azurite exited (code ${code}) before listening:\n${output}`));
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
