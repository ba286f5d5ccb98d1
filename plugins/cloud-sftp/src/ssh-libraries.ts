// ssh2 and ssh2-sftp-client, loaded on first use (core's lazy-package.ts says why): importing them costs
// tens of milliseconds, which every CLI run would pay whether it stores over SFTP or not.
import type Ssh2Module from 'ssh2';
import type SftpClient from 'ssh2-sftp-client';
import { lazyPackage } from '@hyperexport/core';

export type Ssh2 = typeof Ssh2Module;
export type SftpClientClass = typeof SftpClient;

const PLUGIN = '@hyperexport/cloud-sftp';

export const loadSsh2 = lazyPackage<Ssh2>({
  name: 'ssh2',
  plugin: PLUGIN,
  neededFor: 'to read SSH keys',
  // A CommonJS package: its module.exports is the default export.
  load: async () => (await import('ssh2')).default,
});

export const loadSftpClient = lazyPackage<SftpClientClass>({
  name: 'ssh2-sftp-client',
  plugin: PLUGIN,
  neededFor: 'to talk to SFTP servers',
  load: async () => (await import('ssh2-sftp-client')).default,
});
