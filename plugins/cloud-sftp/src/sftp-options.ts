// Options of the cloud-sftp plugin, for the plugin as a whole or per target (a target's win).
// None is secret: passwords and key passphrases come from the environment or from files.
import { ConfigError, t } from '@hyperexport/core';

export const PASSWORD_ENV = 'HYPEREXPORT_SFTP_PASSWORD';
export const KEY_PASSPHRASE_ENV = 'HYPEREXPORT_SFTP_KEY_PASSPHRASE';

export interface SftpOptions {
  /** Private key file (OpenSSH, PEM or PuTTY format). Default: ~/.ssh/id_ed25519, id_ecdsa, id_rsa when no agent and no password. */
  keyFile?: string | undefined;
  /** File holding the key's passphrase (or HYPEREXPORT_SFTP_KEY_PASSPHRASE). */
  keyPassphraseFile?: string | undefined;
  /** Use the ssh-agent at SSH_AUTH_SOCK (default true when it is set). */
  agent?: boolean | undefined;
  /** File holding the password (or HYPEREXPORT_SFTP_PASSWORD). */
  passwordFile?: string | undefined;
  /** known_hosts file to check the server's key against (default ~/.ssh/known_hosts). */
  knownHosts?: string | undefined;
  /** Pinned host key fingerprint(s), `SHA256:…` as ssh-keygen -l prints; replaces known_hosts. */
  fingerprint?: string | string[] | undefined;
  /** Accept any host key. Dangerous (man in the middle): only for throwaway test servers. */
  insecure?: boolean | undefined;
  /** Permissions of uploaded files (default 0o600). */
  fileMode?: number | undefined;
  /** Milliseconds to wait for the SSH handshake (default 20000). */
  connectTimeout?: number | undefined;
}

export const sftpOptionsSchema = t.isObject({
  keyFile: t.isOptional(t.isString()),
  keyPassphraseFile: t.isOptional(t.isString()),
  agent: t.isOptional(t.isBoolean()),
  passwordFile: t.isOptional(t.isString()),
  knownHosts: t.isOptional(t.isString()),
  fingerprint: t.isOptional(t.isOneOf([t.isString(), t.isArray(t.isString())])),
  insecure: t.isOptional(t.isBoolean()),
  fileMode: t.isOptional(t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(0, 0o777)])),
  connectTimeout: t.isOptional(t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1000)])),
});

/** Checks a target's own options against the plugin's schema. */
export function checkTargetOptions(options: Readonly<Record<string, unknown>>, url: string): SftpOptions {
  const errors: string[] = [];
  if (!sftpOptionsSchema(options, { errors })) {
    throw new ConfigError(`invalid cloud-sftp options for ${url}`, {
      problems: errors,
      hint: 'see the cloud-sftp README for the options an sftp:// target takes',
    });
  }
  return options as SftpOptions;
}

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** Pinned fingerprints, checked for form (`SHA256:` and 43 base64 characters, as ssh-keygen prints). */
export function pinnedFingerprints(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value : value.split(',')).map((entry) => entry.trim().replace(/=+$/, '')).filter(Boolean);
  for (const entry of list) {
    if (!FINGERPRINT.test(entry)) {
      throw new ConfigError(`"${entry}" is not a host key fingerprint`, {
        hint: 'give it as ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub prints it on the server: SHA256: followed by 43 base64 characters',
      });
    }
  }
  return list.length > 0 ? list : undefined;
}

export function mergeOptions(plugin: SftpOptions, query: Readonly<Record<string, string>>, target: SftpOptions): SftpOptions {
  const defined = <T extends object>(value: T): Partial<T> =>
    Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
  return { ...defined(plugin), ...defined(query), ...defined(target) };
}
