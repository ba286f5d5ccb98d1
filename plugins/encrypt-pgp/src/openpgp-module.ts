// OpenPGP.js, loaded on first use (core's lazy-package.ts says why): importing it costs tens of
// milliseconds, which every CLI run would pay whether it encrypts with OpenPGP or not.
import type * as OpenPgpModule from 'openpgp';
import { lazyPackage } from '@hyperexport/core';

export type OpenPgp = typeof OpenPgpModule;

export const loadOpenpgp = lazyPackage<OpenPgp>({
  name: 'openpgp',
  plugin: '@hyperexport/encrypt-pgp',
  neededFor: 'to encrypt and decrypt OpenPGP messages',
  load: () => import('openpgp'),
});
