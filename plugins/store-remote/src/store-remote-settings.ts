// The store-remote plugin's settings: `--upload URL` (a profile's and the config's `targets`),
// `--stream-upload` (`streamUpload`; the config's former `stream` still loads) and `--keep-local`.
import { defineSettings, isParsedBy, setting, t } from '@hyperexport/core';
import { ConfigError } from '@hyperexport/core';

/** A storage URL: a scheme of two letters or more (so `C:\x` is not one) that parses. */
function checkStorageUrl(value: unknown): void {
  const text = String(value);
  if (!/^[a-z][a-z0-9+.-]+:/i.test(text) || !URL.canParse(text))
    throw new ConfigError(`"${text}" is not a storage URL (e.g. "s3://bucket/prefix", "file:///backups")`);
}

/** A URL, or (in a config) `{ url, options }` with backend options for that target. */
const isTarget = t.isOneOf([isParsedBy(checkStorageUrl), t.isObject({ url: isParsedBy(checkStorageUrl), options: t.isOptional(t.isRecord(t.isUnknown())) })], {
  exclusive: false,
});

export type TargetSetting = string | { url: string; options?: Record<string, unknown> | undefined };

export const STORE_REMOTE_SETTINGS = defineSettings({
  targets: setting.list<TargetSetting>({
    description: 'Also store the export at this URL: s3://, azure://, gs://, sftp://, file:// (repeat to fan out)',
    flag: '--upload',
    flagAliases: ['--target'],
    placeholder: 'URL',
    schema: t.isArray(isTarget) as t.StrictValidator<unknown, TargetSetting[]>,
    profile: true,
  }),
  streamUpload: setting.boolean({ description: 'Stream straight to the --upload targets with no local copy', profile: true, formerNames: ['stream'] }),
  keepLocal: setting.boolean({
    description: 'With --upload: keep the local copy (default) or, with --keep-local=false, delete it once every upload is verified',
    acceptsValue: true,
    profile: true,
  }),
});
