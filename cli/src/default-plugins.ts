// The built-in plugins: every `hyperexport` run has them unless its config turns them off
// (`builtins: false`) or configures them itself. The list lives here, in the tool, so that the
// core names none of them. Each loader is a literal import() so that a bundler (the single
// executable) sees every package, while an installed tool imports a package only when it is used.
import type { DefaultPlugin } from '@hyperexport/core/cli';

export const DEFAULT_PLUGINS: readonly DefaultPlugin[] = [
  { name: '@hyperexport/source-local', load: () => import('@hyperexport/source-local') },
  { name: '@hyperexport/source-vsphere', load: () => import('@hyperexport/source-vsphere') },
  { name: '@hyperexport/snapshot', load: () => import('@hyperexport/snapshot') },
  { name: '@hyperexport/store-local', load: () => import('@hyperexport/store-local') },
  { name: '@hyperexport/validate', load: () => import('@hyperexport/validate') },
  { name: '@hyperexport/history', load: () => import('@hyperexport/history') },
  { name: '@hyperexport/bandwidth', load: () => import('@hyperexport/bandwidth') },
  { name: '@hyperexport/compress', load: () => import('@hyperexport/compress') },
  { name: '@hyperexport/encrypt-aes', load: () => import('@hyperexport/encrypt-aes') },
  { name: '@hyperexport/encrypt-pgp', load: () => import('@hyperexport/encrypt-pgp') },
  { name: '@hyperexport/convert-qemu', load: () => import('@hyperexport/convert-qemu') },
  { name: '@hyperexport/store-remote', load: () => import('@hyperexport/store-remote') },
  { name: '@hyperexport/cloud-s3', load: () => import('@hyperexport/cloud-s3') },
  { name: '@hyperexport/cloud-azure', load: () => import('@hyperexport/cloud-azure') },
  { name: '@hyperexport/cloud-gcs', load: () => import('@hyperexport/cloud-gcs') },
  { name: '@hyperexport/cloud-sftp', load: () => import('@hyperexport/cloud-sftp') },
  { name: '@hyperexport/notify-email', load: () => import('@hyperexport/notify-email') },
  { name: '@hyperexport/notify-slack', load: () => import('@hyperexport/notify-slack') },
  { name: '@hyperexport/notify-discord', load: () => import('@hyperexport/notify-discord') },
  { name: '@hyperexport/notify-teams', load: () => import('@hyperexport/notify-teams') },
  { name: '@hyperexport/notify-pagerduty', load: () => import('@hyperexport/notify-pagerduty') },
  { name: '@hyperexport/notify-webhook', load: () => import('@hyperexport/notify-webhook') },
  { name: '@hyperexport/retention', load: () => import('@hyperexport/retention') },
];
