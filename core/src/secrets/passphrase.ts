// Where a passphrase comes from: a file (--passphrase-file, a config's passphraseFile, else the
// HYPEREXPORT_PASSPHRASE_FILE variable), the HYPEREXPORT_PASSPHRASE variable, or a prompt on a
// terminal, never a command-line value (argv is visible to every user of the machine). A file
// named in a variable wins over a passphrase in one, as restic's RESTIC_PASSWORD_FILE does over
// RESTIC_PASSWORD.
import { readFile, stat } from 'node:fs/promises';
import { ConfigError } from '../errors.ts';
import { promptSecret } from './prompt-secret.ts';

export const PASSPHRASE_ENV = 'HYPEREXPORT_PASSPHRASE';
export const PASSPHRASE_FILE_ENV = 'HYPEREXPORT_PASSPHRASE_FILE';

export interface PassphraseSources {
  /** A file whose content (first line, trailing newline stripped) is the passphrase. */
  readonly file?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Whether a terminal prompt is allowed (default: when stdin is a TTY). */
  readonly prompt?: boolean | undefined;
  /** Ask twice and compare, for a passphrase that is about to encrypt. */
  readonly confirm?: boolean | undefined;
}

/**
 * The file a passphrase is read from: the one given (a flag, a config option), else the one
 * HYPEREXPORT_PASSPHRASE_FILE names; undefined when neither is set. For warnings about the file.
 */
export function passphraseFileOf(file: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (file !== undefined) return file;
  const fromEnv = env[PASSPHRASE_FILE_ENV];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/** Reads the passphrase; `purpose` names what it is for in the prompt and in errors. */
export async function readPassphrase(purpose: string, sources: PassphraseSources): Promise<string> {
  if (sources.file !== undefined) return readSecretFile(sources.file, `passphrase file for ${purpose}`);
  const namedFile = passphraseFileOf(undefined, sources.env ?? process.env);
  if (namedFile !== undefined) return readSecretFile(namedFile, `passphrase file for ${purpose} (${PASSPHRASE_FILE_ENV})`);
  const fromEnv = (sources.env ?? process.env)[PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (sources.prompt ?? process.stdin.isTTY) {
    const first = await promptSecret(`Passphrase for ${purpose}: `);
    if (sources.confirm && (await promptSecret('Repeat the passphrase: ')) !== first) throw new ConfigError('the two passphrases differ');
    if (first === '') throw new ConfigError('the passphrase is empty');
    return first;
  }
  throw new ConfigError(`no passphrase for ${purpose}`, {
    hint: `set ${PASSPHRASE_ENV}, or give --passphrase-file FILE (or ${PASSPHRASE_FILE_ENV}=FILE); never the passphrase itself on the command line`,
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
