// Decides whether to trust the server's host key: against pinned fingerprints, or against a
// known_hosts file (the default: ~/.ssh/known_hosts), or not at all when `insecure` says so.
// ssh2 only learns "verification failed"; the policy remembers why, so the error can show the
// key's fingerprint and say how to add it or what a changed key means.
import { readFile } from 'node:fs/promises';
import { ExportError } from '@hyperexport/core';
import { algorithmsForKeyType, fingerprintOf, hostEntryName, keyTypeOf, knownKeysFor } from './known-hosts.ts';

export interface HostKeyPolicy {
  /** For ssh2's hostVerifier: true to go on with the connection. */
  verify(blob: Buffer): boolean;
  /** Why the last verify() said no, as the error to report (undefined when it said yes). */
  readonly rejection: ExportError | undefined;
  /** Host key algorithms to ask for first (the types known_hosts holds for this host). */
  readonly preferredAlgorithms: readonly string[];
}

export interface HostKeyPolicyOptions {
  readonly host: string;
  readonly port: number;
  /** The target, as printed in messages. */
  readonly url: string;
  readonly knownHostsPath: string;
  readonly fingerprints: readonly string[] | undefined;
  readonly insecure: boolean;
  readonly warn: (message: string) => void;
}

export async function hostKeyPolicy(options: HostKeyPolicyOptions): Promise<HostKeyPolicy> {
  if (options.insecure) return insecurePolicy(options);
  if (options.fingerprints) return pinnedPolicy(options, options.fingerprints);
  let text = '';
  let missing = false;
  try {
    text = await readFile(options.knownHostsPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ExportError(`cannot read the known_hosts file ${options.knownHostsPath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        code: 'CONFIG',
        hint: 'check its permissions, or name another file with the cloud-sftp `knownHosts` option',
      });
    }
    missing = true;
  }
  return knownHostsPolicy(options, text, missing);
}

function shortType(type: string): string {
  if (type === 'ssh-ed25519') return 'ed25519';
  if (type === 'ssh-rsa' || type.startsWith('rsa-')) return 'rsa';
  if (type.startsWith('ecdsa-')) return 'ecdsa';
  return type;
}

function knownHostsPolicy(options: HostKeyPolicyOptions, text: string, missing: boolean): HostKeyPolicy {
  const known = knownKeysFor(text, options.host, options.port);
  const entry = hostEntryName(options.host, options.port);
  const path = options.knownHostsPath;
  let rejection: ExportError | undefined;
  const preferred = [...new Set(known.filter((key) => !key.revoked).flatMap((key) => algorithmsForKeyType(key.type)))];
  return {
    get rejection() {
      return rejection;
    },
    preferredAlgorithms: preferred,
    verify(blob) {
      const type = keyTypeOf(blob);
      const fingerprint = fingerprintOf(blob);
      rejection = undefined;
      const same = known.filter((key) => key.blob.equals(blob));
      if (same.some((key) => key.revoked)) {
        rejection = new ExportError(`${options.url}: the server's host key ${type} ${fingerprint} is marked @revoked in ${path}`, {
          code: 'HOST_KEY_REVOKED',
          hint: 'the server uses a key its administrators withdrew; do not connect until they replace it',
        });
        return false;
      }
      if (same.length > 0) return true;
      const sameType = known.find((key) => key.type === type && !key.revoked);
      if (sameType) {
        rejection = new ExportError(
          `${options.url}: WARNING: the server's host key has changed: it presents ${type} ${fingerprint}, but ${path} line ${sameType.line} holds another ${shortType(type)} key for ${entry}. Someone could be intercepting the connection (man in the middle)`,
          {
            code: 'HOST_KEY_CHANGED',
            hint: `if the server was reinstalled or its key replaced on purpose, remove the old entry with \`ssh-keygen -R '${entry}' -f ${path}\` and add the new one; otherwise do not connect`,
          },
        );
        return false;
      }
      rejection = new ExportError(
        `${options.url}: the server's host key is not known: ${type} ${fingerprint} is not in ${path}${missing ? ' (the file does not exist)' : ''}`,
        {
          code: 'HOST_KEY_UNKNOWN',
          hint: `if ${fingerprint} is the server's key (compare with \`ssh-keygen -lf /etc/ssh/ssh_host_${shortType(type)}_key.pub\` on the server), add it with \`ssh-keyscan -p ${options.port} -t ${shortType(type)} ${options.host} >> ${path}\`, or pin it with the cloud-sftp option fingerprint: '${fingerprint}'`,
        },
      );
      return false;
    },
  };
}

function pinnedPolicy(options: HostKeyPolicyOptions, fingerprints: readonly string[]): HostKeyPolicy {
  let rejection: ExportError | undefined;
  return {
    get rejection() {
      return rejection;
    },
    preferredAlgorithms: [],
    verify(blob) {
      const fingerprint = fingerprintOf(blob);
      rejection = undefined;
      if (fingerprints.includes(fingerprint)) return true;
      rejection = new ExportError(
        `${options.url}: the server presents host key ${keyTypeOf(blob)} ${fingerprint}, not the pinned ${fingerprints.join(' or ')}`,
        {
          code: 'HOST_KEY_MISMATCH',
          hint: "if the server's key was replaced on purpose, update the cloud-sftp `fingerprint` option; otherwise someone could be intercepting the connection: do not connect",
        },
      );
      return false;
    },
  };
}

function insecurePolicy(options: HostKeyPolicyOptions): HostKeyPolicy {
  return {
    rejection: undefined,
    preferredAlgorithms: [],
    verify(blob) {
      const presented = fingerprintOf(blob);
      options.warn(
        `${options.url}: host key NOT checked (insecure: true); the server presented ${keyTypeOf(blob)} ${presented}. Pin it with the cloud-sftp option fingerprint: '${presented}'`,
      );
      return true;
    },
  };
}
