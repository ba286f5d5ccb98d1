// An sftp:// target URL: who to log in as, where, and the directory objects live under.
//   sftp://backup@nas.example.com/srv/backups      absolute path /srv/backups, port 22
//   sftp://backup@10.0.0.5:2222/backups             another port
//   sftp://backup@nas/~/backups                     relative to the login directory
// Passwords never go in the URL (shell history, process lists, logs): the URL is refused.
import { ConfigError, redactUrl } from '@hyperexport/core';

export interface SftpTarget {
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  /** Absolute path, or relative to the login directory (from `/~/`); no trailing slash; '' is the login directory. */
  readonly root: string;
  /** Non-secret settings given in the query: keyFile, knownHosts, fingerprint. */
  readonly query: Readonly<Record<string, string>>;
  /** The URL as printed: no query. */
  readonly url: string;
}

export const QUERY_OPTIONS = ['keyFile', 'knownHosts', 'fingerprint'] as const;

export function parseSftpUrl(url: URL): SftpTarget {
  if (url.protocol !== 'sftp:') throw new ConfigError(`${url.protocol}// is not an SFTP URL`, { hint: 'write it as sftp://user@host:port/path' });
  if (url.password) {
    throw new ConfigError(`${redactUrl(url)}: a password in the URL is refused (it would end up in shell history, process lists and logs)`, {
      hint: 'remove it; give the password in HYPEREXPORT_SFTP_PASSWORD or a file named by the cloud-sftp `passwordFile` option, or use a key',
    });
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new ConfigError(`${redactUrl(url)} has no host`, { hint: 'write it as sftp://user@host:port/path' });
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (!(QUERY_OPTIONS as readonly string[]).includes(key)) {
      throw new ConfigError(`sftp:// URLs take no "${key}" setting`, {
        hint: `the query may hold ${QUERY_OPTIONS.join(', ')}; other settings go in the cloud-sftp plugin options`,
      });
    }
    query[key] = value;
  }
  const port = url.port ? Number(url.port) : 22;
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const path = decodeURIComponent(url.pathname);
  const root = (path.startsWith('/~/') || path === '/~' ? path.slice(3) : path).replace(/\/+$/, '');
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const printed = `sftp://${username ? `${encodeURIComponent(username)}@` : ''}${shownHost}${url.port ? `:${port}` : ''}${url.pathname.replace(/\/+$/, '')}/`;
  return { host, port, username, root, query, url: printed };
}

/** The server-side path of a key (`/`-separated, relative to the root). */
export function remotePath(target: SftpTarget, key: string): string {
  const clean = key.replace(/^\/+/, '');
  if (clean === '' || clean.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new ConfigError(`"${key}" is not a valid object key`, { hint: 'keys are relative paths such as vm1/disk1.vmdk' });
  }
  return joinRemote(target.root, clean);
}

export function joinRemote(directory: string, name: string): string {
  if (directory === '') return name;
  return directory.endsWith('/') ? `${directory}${name}` : `${directory}/${name}`;
}

export function urlOfKey(target: SftpTarget, key: string): string {
  return `${target.url}${key.replace(/^\/+/, '')}`;
}
