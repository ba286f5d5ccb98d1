// Google's Cloud Storage client and auth library, loaded on first use (core's lazy-package.ts says why):
// importing them costs tens of milliseconds, which every CLI run would pay whether it stores to
// Google Cloud Storage or not.
import type * as GcsModule from '@google-cloud/storage';
import type * as GoogleAuthModule from 'google-auth-library';
import { lazyPackage } from '@hyperexport/core';

export type GcsSdk = typeof GcsModule;
export type GoogleAuthLibrary = typeof GoogleAuthModule;

const PLUGIN = '@hyperexport/cloud-gcs';

export const loadGcsSdk = lazyPackage<GcsSdk>({
  name: '@google-cloud/storage',
  plugin: PLUGIN,
  neededFor: 'to talk to Google Cloud Storage',
  load: () => import('@google-cloud/storage'),
});

export const loadGoogleAuth = lazyPackage<GoogleAuthLibrary>({
  name: 'google-auth-library',
  plugin: PLUGIN,
  neededFor: 'to read Google Cloud credential files',
  load: () => import('google-auth-library'),
});
