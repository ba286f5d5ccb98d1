// `s3://bucket/prefix?option=value`: a bucket, a folder-like key prefix inside it, and non-secret
// options in the query. Credentials never go in the URL: a URL is printed, logged and typed on
// command lines, so one with user:password is refused with the way to pass credentials instead.
import { ConfigError } from '@hyperexport/core';
import { optionsFromQuery } from './s3-options.ts';
import type { S3Options } from './s3-options.ts';

export interface S3Target {
  readonly bucket: string;
  /** Key prefix, empty or ending with `/`. */
  readonly prefix: string;
  /** Options given in the query string. */
  readonly options: S3Options;
}

const FORM = 'write it as s3://BUCKET/PREFIX, with options in the query (s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=eu-west-1)';

export function parseS3Url(url: URL): S3Target {
  const shown = `s3://${url.hostname}${url.pathname}`;
  if (url.protocol !== 's3:') throw new ConfigError(`${url.protocol}// is not s3://`, { hint: FORM });
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(`the S3 target s3://…@${url.hostname}${url.pathname} has credentials in it; a URL ends up in shell history, logs and results`, {
      hint: 'remove them; give credentials through the AWS chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile (the profile option or AWS_PROFILE), SSO, or an instance role',
    });
  }
  if (url.port !== '')
    throw new ConfigError(`the S3 target ${shown} has a port after the bucket name`, {
      hint: `${FORM}; the port of an S3-compatible server goes in the endpoint option`,
    });
  if (url.hash !== '') throw new ConfigError(`the S3 target ${shown} has a #fragment`, { hint: FORM });
  const bucket = url.hostname;
  // S3's own rules are stricter for new buckets; older buckets and other servers allow more.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/.test(bucket)) {
    throw new ConfigError(`"${bucket}" in ${shown} is not a bucket name`, { hint: FORM });
  }
  const segments = url.pathname
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => decodeURIComponent(segment));
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    throw new ConfigError(`the prefix of ${shown} has . or .. in it`, { hint: 'give the prefix as plain folder names' });
  }
  return { bucket, prefix: segments.length === 0 ? '' : `${segments.join('/')}/`, options: optionsFromQuery(url.searchParams, shown) };
}

/** The s3:// URL of a key (or of the prefix itself), encoded by segment, without options. */
export function formatS3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/')}`;
}
