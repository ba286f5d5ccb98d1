// Which VMs have an open PagerDuty incident from us, so the next successful export of the same
// VM resolves it. A small JSON file, changed under a lock (several jobs of a batch, or several
// runs, may finish at once) and replaced atomically (a crash leaves the old or the new content).
// Entries are keyed by a fingerprint of the routing key, never the key itself: the state file
// must not hold a secret.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError, withFileLock, writeFileAtomic } from '@hyperexport/core';

export interface TriggeredIncident {
  readonly vm: string;
  readonly dedupKey: string;
  /** When the incident was triggered (ISO 8601). */
  readonly since: string;
  readonly jobId: string;
}

interface StateFile {
  readonly version: 1;
  readonly triggered: Record<string, TriggeredIncident>;
}

export function defaultStateFile(): string {
  return join(homedir(), '.hyperexport', 'pagerduty-state.json');
}

/** A stable, non-reversible name for a routing key (12 hex digits of its SHA-256). */
export function routingKeyFingerprint(routingKey: string): string {
  return createHash('sha256').update(routingKey).digest('hex').slice(0, 12);
}

export class TriggerState {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  static entryKey(fingerprint: string, dedupKey: string): string {
    return `${fingerprint}:${dedupKey}`;
  }

  async get(key: string): Promise<TriggeredIncident | undefined> {
    return (await this.#read()).triggered[key];
  }

  async set(key: string, incident: TriggeredIncident): Promise<void> {
    await this.#update((triggered) => {
      triggered[key] = incident;
    });
  }

  async delete(key: string): Promise<void> {
    await this.#update((triggered) => {
      delete triggered[key];
    });
  }

  async #update(change: (triggered: Record<string, TriggeredIncident>) => void): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await withFileLock(`${this.path}.lock`, async () => {
      const state = await this.#read();
      const triggered = { ...state.triggered };
      change(triggered);
      await writeFileAtomic(this.path, `${JSON.stringify({ version: 1, triggered } satisfies StateFile, null, 2)}\n`, { mode: 0o600 });
    });
  }

  async #read(): Promise<StateFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, triggered: {} };
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as Partial<StateFile>;
      if (parsed.version !== 1 || typeof parsed.triggered !== 'object' || parsed.triggered === null) throw new Error('unknown layout');
      return { version: 1, triggered: parsed.triggered };
    } catch (error) {
      throw new ConfigError(`the PagerDuty state file ${this.path} is damaged (${(error as Error).message})`, {
        hint: 'remove it (open incidents then need resolving by hand once), or set stateFile to another path',
      });
    }
  }
}
