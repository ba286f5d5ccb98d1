// Opens sftp:// targets: merges options (plugin, URL query, target), reads credentials, sets up
// the host key check and connects, so every problem shows at open.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { StorageBackend, StorageOpenContext, StorageService } from '@hyperexport/core';
import { hostKeyPolicy } from './host-key-policy.ts';
import { resolveAuth } from './sftp-auth.ts';
import { SftpConnection } from './sftp-connection.ts';
import { checkTargetOptions, mergeOptions, pinnedFingerprints } from './sftp-options.ts';
import type { SftpOptions } from './sftp-options.ts';
import { SftpStorageService } from './sftp-storage-service.ts';
import { parseSftpUrl } from './sftp-target.ts';

export interface SftpBackendHooks {
  /** Where warnings go (the insecure host key one); default process.emitWarning. */
  readonly warn?: (message: string) => void;
}

export function createSftpBackend(name: string, pluginOptions: SftpOptions, hooks: SftpBackendHooks = {}): StorageBackend {
  const warn = hooks.warn ?? ((message: string) => process.emitWarning(message, { type: 'HyperExportWarning', code: 'HYPEREXPORT_SFTP_INSECURE' }));
  return {
    name,
    schemes: ['sftp'],
    check(url: URL, options: Readonly<Record<string, unknown>>): void {
      const target = parseSftpUrl(url);
      mergeOptions(pluginOptions, target.query, checkTargetOptions(options, target.url));
    },
    async open(url: URL, context: StorageOpenContext): Promise<StorageService> {
      const target = parseSftpUrl(url);
      const options = mergeOptions(pluginOptions, target.query, checkTargetOptions(context.options, target.url));
      const auth = await resolveAuth(target.username, options, context.env);
      const home = context.env.HOME || homedir();
      const hostKeys = await hostKeyPolicy({
        host: target.host,
        port: target.port,
        url: target.url,
        knownHostsPath: options.knownHosts ?? join(home, '.ssh', 'known_hosts'),
        fingerprints: pinnedFingerprints(options.fingerprint),
        insecure: options.insecure === true,
        warn,
      });
      const connection = new SftpConnection({
        host: target.host,
        port: target.port,
        url: target.url,
        auth,
        hostKeys,
        connectTimeout: options.connectTimeout ?? 20_000,
      });
      const service = new SftpStorageService(target, connection, { fileMode: options.fileMode ?? 0o600 });
      context.signal.throwIfAborted();
      await service.connect();
      return service;
    },
  };
}
