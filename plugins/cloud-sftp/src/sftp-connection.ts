// One SSH connection with its SFTP channel, opened on first use and opened again after the
// server dropped it. Failures to connect are reported with their reason: the host key (with its
// fingerprint), the credentials (with what was tried), or the network.
import { ExportError } from '@hyperexport/core';
import type SftpClient from 'ssh2-sftp-client';
import type { ConnectConfig, SFTPWrapper } from 'ssh2';
import type { HostKeyPolicy } from './host-key-policy.ts';
import type { SftpAuth } from './sftp-auth.ts';
import { loadSftpClient } from './ssh-libraries.ts';

export interface SftpConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** The target, as printed. */
  readonly url: string;
  readonly auth: SftpAuth;
  readonly hostKeys: HostKeyPolicy;
  readonly connectTimeout: number;
}

export class SftpConnection {
  readonly #options: SftpConnectionOptions;
  #client: SftpClient | undefined;
  #sftp: SFTPWrapper | undefined;
  #connecting: Promise<SFTPWrapper> | undefined;

  constructor(options: SftpConnectionOptions) {
    this.#options = options;
  }

  /** The SFTP channel, connecting (again) when there is none. */
  async sftp(): Promise<SFTPWrapper> {
    if (this.#sftp) return this.#sftp;
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  /** True while `sftp` is the channel of the live connection (not one the server dropped). */
  isLive(sftp: SFTPWrapper): boolean {
    return this.#sftp === sftp;
  }

  /** True when the server supports atomic rename over an existing file (posix-rename@openssh.com). */
  supportsPosixRename(sftp: SFTPWrapper): boolean {
    return (sftp as unknown as { _extensions?: Record<string, string> })._extensions?.['posix-rename@openssh.com'] === '1';
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#sftp = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  async #connect(): Promise<SFTPWrapper> {
    const { auth, hostKeys } = this.#options;
    const dropped = () => {
      // The server went away: the next operation connects again.
      if (this.#client === client) {
        this.#client = undefined;
        this.#sftp = undefined;
      }
    };
    // Loaded here, on the first connection, not when the plugin is (ssh-libraries.ts).
    const SftpClientClass = await loadSftpClient();
    // Our own listeners: the library's defaults print to the console.
    const client = new SftpClientClass('hyperexport', { error: dropped, end: dropped, close: dropped });
    const config: ConnectConfig = {
      host: this.#options.host,
      port: this.#options.port,
      username: auth.username,
      ...(auth.privateKey ? { privateKey: auth.privateKey } : {}),
      ...(auth.passphrase !== undefined ? { passphrase: auth.passphrase } : {}),
      ...(auth.agent ? { agent: auth.agent } : {}),
      ...(auth.password !== undefined ? { password: auth.password } : {}),
      authHandler: [...auth.methods],
      hostVerifier: (key: Buffer) => hostKeys.verify(key),
      ...(hostKeys.preferredAlgorithms.length > 0 ? { algorithms: { serverHostKey: { prepend: [...hostKeys.preferredAlgorithms] } as never } } : {}),
      readyTimeout: this.#options.connectTimeout,
      // Long uploads cross NATs and firewalls that forget idle-looking connections.
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
    };
    try {
      const sftp = await client.connect(config);
      // SFTP is request/answer: without TCP_NODELAY each small request waits out Nagle's
      // algorithm against delayed ACKs (measured ~40 ms per round trip on loopback).
      (client as unknown as { client: { setNoDelay(on: boolean): void } }).client.setNoDelay(true);
      this.#client = client;
      this.#sftp = sftp;
      return sftp;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw this.#connectError(error);
    }
  }

  #connectError(error: unknown): Error {
    const { url, host, port, auth, hostKeys } = this.#options;
    if (hostKeys.rejection) return hostKeys.rejection;
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown }).code;
    if (/All configured authentication methods failed/i.test(message)) {
      return new ExportError(`${url}: the server refused to log in ${auth.username} (tried ${auth.described})`, {
        code: 'AUTH',
        hint: `check the user name in the URL and that the server accepts these credentials: the public key in ~${auth.username}/.ssh/authorized_keys, the agent's keys (ssh-add -l), or the password`,
        cause: error,
      });
    }
    if (code === 'ECONNREFUSED' || /refused connection|ECONNREFUSED/.test(message)) {
      return new ExportError(`${url}: ${host}:${port} refused the connection`, {
        code: 'UNREACHABLE',
        hint: 'check the host and port in the URL and that the SSH server is running',
        cause: error,
      });
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /Address lookup failed/.test(message)) {
      return new ExportError(`${url}: cannot resolve ${host}`, { code: 'UNREACHABLE', hint: 'check the host name in the URL and DNS', cause: error });
    }
    if (/Timed out while waiting for handshake|ETIMEDOUT/.test(message)) {
      return new ExportError(`${url}: no SSH handshake with ${host}:${port} within the time allowed`, {
        code: 'UNREACHABLE',
        hint: 'check the host, port and firewall; raise the cloud-sftp `connectTimeout` option for slow links',
        cause: error,
      });
    }
    return new ExportError(`${url}: cannot connect: ${message}`, { code: 'UNREACHABLE', hint: 'check the URL, the network and the SSH server', cause: error });
  }
}
