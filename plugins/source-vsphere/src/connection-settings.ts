// Where the connection comes from, the govc way: GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD(_FILE),
// GOVC_INSECURE, GOVC_DATACENTER, GOVC_TLS_THUMBPRINT, GOVC_TLS_CA_CERTS; the same keys in the
// config file; and flags, which win. The password is never a flag value: it comes from the
// environment, a file, or a prompt.
import { readFile } from 'node:fs/promises';
import { ConfigError, readSecretFile } from '@hyperexport/core';
import { knownHostThumbprint } from './known-hosts.ts';
import { normalizeThumbprint } from './soap/tls.ts';
import type { ConnectSettings } from './soap/vim-client.ts';

/** The plugin's options in the config file. */
export interface VsphereOptions {
  url?: string | undefined;
  username?: string | undefined;
  /** A file holding the password (first line). */
  passwordFile?: string | undefined;
  /** The environment variable holding the password (default GOVC_PASSWORD). */
  passwordEnv?: string | undefined;
  insecure?: boolean | undefined;
  thumbprint?: string | undefined;
  /** PEM file of CA certificates to trust. */
  caFile?: string | undefined;
  datacenter?: string | undefined;
}

/** What the job or the command line sets (the declared settings of connection-declarations.ts). */
export interface ConnectionFlags {
  url?: string | undefined;
  username?: string | undefined;
  passwordFile?: string | undefined;
  insecure?: boolean | undefined;
  thumbprint?: string | undefined;
  datacenter?: string | undefined;
}

export interface ResolvedConnection {
  readonly settings: ConnectSettings;
  readonly datacenter: string | undefined;
}

export type PasswordPrompt = (question: string) => Promise<string>;

export async function resolveConnection(
  options: VsphereOptions,
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv,
  prompt?: PasswordPrompt,
): Promise<ResolvedConnection> {
  // Malformed values first, before anything is read or asked.
  checkConnectionSettings(options, flags, env);
  const { url, origin } = connectionUrl(options, flags, env);
  // govc accepts credentials in GOVC_URL (user:password@host); take them, then drop them from it.
  // (connectionUrl refused a password in --url and the config, see checkConnectionSettings.)
  const urlUser = url.username ? decodeURIComponent(url.username) : undefined;
  const urlPassword = url.password ? decodeURIComponent(url.password) : undefined;
  url.username = '';
  url.password = '';
  // A user in the URL counts where the URL was given (`-u backup@vc` on the command line wins over
  // GOVC_USERNAME; a user in GOVC_URL is the last resort), so the explicit choice is never overridden.
  const username =
    flags.username ??
    (origin === 'flag' ? urlUser : undefined) ??
    options.username ??
    (origin === 'config' ? urlUser : undefined) ??
    env.GOVC_USERNAME ??
    urlUser;
  if (!username) throw new ConfigError('no user name: set GOVC_USERNAME, the source-vsphere `username` option, --username, or give it in the URL (user@host)');
  const password = await connectionPassword(options, flags, env, urlPassword, prompt && (() => prompt(`Password for ${username}@${url.host}: `)));
  if (password === undefined) {
    throw new ConfigError(`no password for ${username}: set ${options.passwordEnv ?? 'GOVC_PASSWORD or GOVC_PASSWORD_FILE'}, or give --password-file FILE`, {
      hint: 'passwords are never accepted as flag values, so they do not end up in shell history or process lists',
    });
  }

  const insecure = flags.insecure ?? options.insecure ?? isTrue(env.GOVC_INSECURE);
  let thumbprint = flags.thumbprint ?? options.thumbprint ?? env.GOVC_TLS_THUMBPRINT;
  if (thumbprint) normalizeThumbprint(thumbprint);
  // govc's pinned thumbprints: a host found there is pinned, as with --thumbprint.
  else if (env.GOVC_TLS_KNOWN_HOSTS) thumbprint = await knownHostThumbprint(env.GOVC_TLS_KNOWN_HOSTS, url);
  const caFile = options.caFile ?? env.GOVC_TLS_CA_CERTS;
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = await readFile(caFile, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read the CA file ${caFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
  }
  return {
    settings: { url, username, password, insecure, thumbprint, ca },
    datacenter: flags.datacenter ?? options.datacenter ?? env.GOVC_DATACENTER,
  };
}

/**
 * The usage check of the connection settings, without reading any file or asking anything:
 * the URL well formed and without a password where one is refused, the thumbprint well formed.
 * Throws a ConfigError. Nothing is checked when no URL is set anywhere (a job without --vm).
 */
export function checkConnectionSettings(options: VsphereOptions, flags: ConnectionFlags, env: NodeJS.ProcessEnv): void {
  if (flags.url !== undefined || options.url !== undefined || env.GOVC_URL !== undefined) connectionUrl(options, flags, env);
  const thumbprint = flags.thumbprint ?? options.thumbprint ?? env.GOVC_TLS_THUMBPRINT;
  if (thumbprint !== undefined) normalizeThumbprint(thumbprint);
}

/**
 * The SDK URL from the flag, the config or GOVC_URL. A password in `--url` is refused (every user
 * of the machine sees a command line in `ps`), and in the config's `url` (a file that is copied
 * and committed); GOVC_URL may hold one, as govc allows: the environment is not visible to
 * other users. Either way it is dropped from the URL before anything prints it.
 */
function connectionUrl(options: VsphereOptions, flags: ConnectionFlags, env: NodeJS.ProcessEnv): { url: URL; origin: 'flag' | 'config' | 'env' } {
  const [rawUrl, shownOrigin, origin] =
    flags.url !== undefined
      ? [flags.url, '--url', 'flag' as const]
      : options.url !== undefined
        ? [options.url, 'the source-vsphere url option', 'config' as const]
        : [env.GOVC_URL, 'GOVC_URL', 'env' as const];
  if (!rawUrl) throw new ConfigError('no vCenter/ESXi URL: set GOVC_URL, the source-vsphere `url` option, or -u/--url');
  const url = parseSdkUrl(rawUrl);
  if (origin !== 'env' && url.password !== '') {
    const shown = new URL(url.href);
    shown.password = '***';
    throw new ConfigError(
      `${shownOrigin} ${shown.href} has a password in it, which ${origin === 'flag' ? 'every user of this machine can read in the process list' : 'ends up wherever the config file is copied'}`,
      {
        hint: 'keep the user name (user@host) and remove the password; give it with GOVC_PASSWORD, GOVC_PASSWORD_FILE, --password-file FILE (or the passwordFile option), or type it at the prompt',
      },
    );
  }
  return { url, origin };
}

/**
 * The password, from the first of: --password-file, the config's passwordFile, the variable the
 * config's passwordEnv names (instead of the two GOVC_ ones), GOVC_PASSWORD_FILE, GOVC_PASSWORD,
 * the password in GOVC_URL, and a prompt. A file named in a variable wins over a password in one, as restic's
 * RESTIC_PASSWORD_FILE does over RESTIC_PASSWORD.
 */
async function connectionPassword(
  options: VsphereOptions,
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv,
  urlPassword: string | undefined,
  prompt: (() => Promise<string>) | undefined,
): Promise<string | undefined> {
  const passwordFile = flags.passwordFile ?? options.passwordFile;
  if (passwordFile) return readSecretFile(passwordFile, 'password file');
  // The config naming its own variable replaces the GOVC_ ones.
  if (options.passwordEnv !== undefined) return env[options.passwordEnv] ?? urlPassword ?? (await prompt?.());
  if (env.GOVC_PASSWORD_FILE) return readSecretFile(env.GOVC_PASSWORD_FILE, 'password file named by GOVC_PASSWORD_FILE');
  return env.GOVC_PASSWORD ?? urlPassword ?? (await prompt?.());
}

/** `vc.example.com`, `https://vc.example.com`, or `https://vc.example.com/sdk` → the SDK URL. */
export function parseSdkUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`);
  } catch {
    throw new ConfigError(`"${redactUrl(raw)}" is not a URL; expected https://HOST/sdk`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`unsupported URL scheme ${url.protocol} in GOVC_URL; use https://`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/sdk';
  return url;
}

/**
 * A URL fit for messages: no password. It is for text that did not parse as a URL, so the
 * password may hold anything, `@`, `/` and spaces included: everything up to the last `@` goes
 * (a path with an `@` in it is hidden too, rather than part of a password shown).
 */
export function redactUrl(raw: string): string {
  return raw.replace(/\/\/([^:/@\s]*):.*@/, '//$1:***@');
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}
