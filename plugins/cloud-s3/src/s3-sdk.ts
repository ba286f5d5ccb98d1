// The AWS SDK's S3 client, loaded on first use (core's lazy-package.ts says why): importing it costs
// tens of milliseconds, which every CLI run would pay whether it stores to S3 or not.
import type * as S3Module from '@aws-sdk/client-s3';
import { lazyPackage } from '@hyperexport/core';

export type S3Sdk = typeof S3Module;

export const loadS3Sdk = lazyPackage<S3Sdk>({
  name: '@aws-sdk/client-s3',
  plugin: '@hyperexport/cloud-s3',
  neededFor: 'to talk to S3',
  load: () => import('@aws-sdk/client-s3'),
});
