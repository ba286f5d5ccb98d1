// govc's pinned thumbprints (GOVC_TLS_KNOWN_HOSTS): one `host thumbprint` per line, as written by
// `govc about.cert -k -thumbprint`, SHA-1 in colon hex. The variable may list several files
// (separated by `:`, like PATH); a missing file is skipped, as govc does. A host without a port
// means port 443 (govc's rule), so `vc.example.com` matches https://vc.example.com/sdk.
import { readFile } from 'node:fs/promises';
import { delimiter } from 'node:path';
import { ConfigError } from '@hyperexport/core';
import { normalizeThumbprint } from './soap/tls.ts';

/** `host:port` as govc compares it: a host without a port is on 443. */
export function hostKey(host: string): string {
  const lower = host.toLowerCase();
  const hasPort = lower.startsWith('[') ? /\]:\d+$/.test(lower) : /:\d+$/.test(lower);
  return hasPort ? lower : `${lower}:443`;
}

/** The host of an SDK URL as a known-hosts key (URL omits the default port, govc does not). */
export function hostKeyOfUrl(url: URL): string {
  return hostKey(url.port ? url.host : `${url.host}:${url.protocol === 'http:' ? 80 : 443}`);
}

/**
 * The thumbprint pinned for `url`'s host in the known-hosts files `list` names, or undefined
 * when no file has it. Throws a ConfigError for a file that cannot be read or a malformed
 * thumbprint of that host (other hosts' lines are left alone).
 */
export async function knownHostThumbprint(list: string, url: URL): Promise<string | undefined> {
  const wanted = hostKeyOfUrl(url);
  let found: string | undefined;
  for (const path of list.split(delimiter).filter((entry) => entry !== '')) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new ConfigError(`cannot read the known hosts file ${path} (GOVC_TLS_KNOWN_HOSTS): ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        cause: error,
      });
    }
    for (const [index, line] of text.split(/\r?\n/).entries()) {
      const separator = line.indexOf(' ');
      if (separator <= 0) continue;
      if (hostKey(line.slice(0, separator)) !== wanted) continue;
      const thumbprint = line.slice(separator + 1).trim();
      try {
        normalizeThumbprint(thumbprint);
      } catch (error) {
        throw new ConfigError(`${path}:${index + 1} (GOVC_TLS_KNOWN_HOSTS): ${(error as Error).message}`, {
          hint: 'write one "host thumbprint" per line, as `govc about.cert -k -thumbprint` prints it',
        });
      }
      // Like govc, a later line for the same host replaces an earlier one.
      found = thumbprint;
    }
  }
  return found;
}
