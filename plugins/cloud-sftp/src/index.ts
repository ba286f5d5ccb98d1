// @hyperexport/cloud-sftp: stores exports on SSH servers (sftp://user@host:port/path), host keys
// checked against known_hosts or a pinned fingerprint, files renamed into place when complete.
import { definePlugin } from '@hyperexport/core';
import { createSftpBackend } from './sftp-backend.ts';
import { sftpOptionsSchema } from './sftp-options.ts';
import type { SftpOptions } from './sftp-options.ts';

const PLUGIN_NAME = 'cloud-sftp';

export { createSftpBackend } from './sftp-backend.ts';
export { SftpStorageService } from './sftp-storage-service.ts';
export { parseSftpUrl } from './sftp-target.ts';
export { fingerprintOf, knownKeysFor } from './known-hosts.ts';
export { KEY_PASSPHRASE_ENV, PASSWORD_ENV } from './sftp-options.ts';
export type { SftpOptions } from './sftp-options.ts';

export default definePlugin<SftpOptions>({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'stores exports on SSH servers over SFTP (sftp://user@host:port/path), host keys checked',
  provides: ['storage:sftp'],
  options: sftpOptionsSchema,
  setup(exporter, options) {
    exporter.storage.register(createSftpBackend(PLUGIN_NAME, options ?? {}));
  },
});
