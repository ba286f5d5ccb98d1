// Where the history lives: the plugin's `path` option, else $HYPEREXPORT_HISTORY, else
// ~/.hyperexport/history.jsonl. The commands use the same rule, so they read what exports wrote.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const HISTORY_ENV = 'HYPEREXPORT_HISTORY';

export function defaultHistoryPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[HISTORY_ENV];
  return fromEnv ? expandHome(fromEnv) : join(homedir(), '.hyperexport', 'history.jsonl');
}

/** The configured path (`~` expanded, relative to the working directory), else the default. */
export function resolveHistoryPath(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return configured ? expandHome(configured) : defaultHistoryPath(env);
}

function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return resolve(path);
}
