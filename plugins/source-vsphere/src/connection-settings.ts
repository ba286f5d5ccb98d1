// Where the connection comes from, the govc way: GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD,
// GOVC_INSECURE, GOVC_DATACENTER, GOVC_TLS_THUMBPRINT, GOVC_TLS_CA_CERTS; the same keys in the
// config file; and flags, which win. The password is never a flag value: it comes from the
// environment, a file, or a prompt.
import { readFile } from 'node:fs/promises';
import { ConfigError } from '@hyperexport/core';
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

/** Flags from the command line (`spec.extra.connection`). */
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
  const rawUrl = flags.url ?? options.url ?? env.GOVC_URL;
  if (!rawUrl) throw new ConfigError('no vCenter/ESXi URL: set GOVC_URL, the source-vsphere `url` option, or --url');
  const url = parseSdkUrl(rawUrl);
  // govc accepts credentials in the URL (user:password@host); take them, then drop them from it.
  const urlUser = url.username ? decodeURIComponent(url.username) : undefined;
  const urlPassword = url.password ? decodeURIComponent(url.password) : undefined;
  url.username = '';
  url.password = '';
  const username = flags.username ?? options.username ?? env.GOVC_USERNAME ?? urlUser;
  if (!username) throw new ConfigError('no user name: set GOVC_USERNAME, the source-vsphere `username` option, or --username');

  let password: string | undefined;
  const passwordFile = flags.passwordFile ?? options.passwordFile;
  if (passwordFile) {
    try {
      password = (await readFile(passwordFile, 'utf8')).split(/\r?\n/)[0];
    } catch (error) {
      throw new ConfigError(`cannot read the password file ${passwordFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
  }
  password ??= env[options.passwordEnv ?? 'GOVC_PASSWORD'] ?? urlPassword;
  if (password === undefined && prompt) password = await prompt(`Password for ${username}@${url.host}: `);
  if (password === undefined) {
    throw new ConfigError(`no password for ${username}: set ${options.passwordEnv ?? 'GOVC_PASSWORD'}, or give --password-file FILE`, {
      hint: 'passwords are never accepted as flag values, so they do not end up in shell history or process lists',
    });
  }

  const insecure = flags.insecure ?? options.insecure ?? isTrue(env.GOVC_INSECURE);
  const thumbprint = flags.thumbprint ?? options.thumbprint ?? env.GOVC_TLS_THUMBPRINT;
  if (thumbprint) normalizeThumbprint(thumbprint);
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

/** A URL fit for messages: no password. */
export function redactUrl(raw: string): string {
  return raw.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}
