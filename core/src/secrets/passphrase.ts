// Where a passphrase comes from: the HYPEREXPORT_PASSPHRASE variable, a file, or a prompt on a
// terminal, never a command-line value (argv is visible to every user of the machine).
import { readFile, stat } from 'node:fs/promises';
import { ConfigError } from '../errors.ts';
import { promptSecret } from './prompt-secret.ts';

export const PASSPHRASE_ENV = 'HYPEREXPORT_PASSPHRASE';

export interface PassphraseSources {
  /** A file whose content (first line, trailing newline stripped) is the passphrase. */
  readonly file?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Whether a terminal prompt is allowed (default: when stdin is a TTY). */
  readonly prompt?: boolean | undefined;
  /** Ask twice and compare, for a passphrase that is about to encrypt. */
  readonly confirm?: boolean | undefined;
}

/** Reads the passphrase; `purpose` names what it is for in the prompt and in errors. */
export async function readPassphrase(purpose: string, sources: PassphraseSources): Promise<string> {
  if (sources.file !== undefined) return readSecretFile(sources.file, `passphrase file for ${purpose}`);
  const fromEnv = (sources.env ?? process.env)[PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (sources.prompt ?? process.stdin.isTTY) {
    const first = await promptSecret(`Passphrase for ${purpose}: `);
    if (sources.confirm && (await promptSecret('Repeat the passphrase: ')) !== first) throw new ConfigError('the two passphrases differ');
    if (first === '') throw new ConfigError('the passphrase is empty');
    return first;
  }
  throw new ConfigError(`no passphrase for ${purpose}`, {
    hint: `set ${PASSPHRASE_ENV}, or give --passphrase-file FILE (never the passphrase itself on the command line)`,
  });
}

/** A secret kept in a file: the first line without its newline; an empty file is an error. */
export async function readSecretFile(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: 'check the path and its permissions',
      cause: error,
    });
  }
  const secret = text.split(/\r?\n/, 1)[0] ?? '';
  if (secret === '') throw new ConfigError(`the ${what} ${path} is empty`);
  return secret;
}

/** Warns-worthy: a secret file that other users can read. */
export async function isReadableByOthers(path: string): Promise<boolean> {
  const { mode } = await stat(path);
  return (mode & 0o044) !== 0;
}
