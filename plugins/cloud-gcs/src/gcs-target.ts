// A gs:// target URL: the bucket and the key prefix every object of the target lives under.
import { ConfigError } from '@hyperexport/core';

export interface GcsTarget {
  readonly bucket: string;
  /** Empty, or ends with `/`. */
  readonly prefix: string;
  /** The URL as printed: `gs://bucket/prefix`. */
  readonly url: string;
}

// GCS bucket names: 3-63 characters (up to 222 with dots), lowercase letters, digits, `-`, `_`, `.`.
const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

export function parseGcsUrl(url: URL): GcsTarget {
  if (url.protocol !== 'gs:') throw new ConfigError(`${url.protocol}// is not a Google Cloud Storage URL`, { hint: 'write it as gs://bucket/prefix' });
  if (url.username || url.password) {
    throw new ConfigError('a gs:// URL must not carry credentials', {
      hint: 'remove them from the URL; set GOOGLE_APPLICATION_CREDENTIALS or the cloud-gcs `keyFile` option instead',
    });
  }
  if (url.port || url.search) {
    throw new ConfigError(`gs://${url.host}${url.pathname}: a gs:// URL has no port or query`, {
      hint: 'write it as gs://bucket/prefix; put settings in the cloud-gcs plugin options',
    });
  }
  const bucket = url.hostname;
  if (!BUCKET_NAME.test(bucket)) {
    throw new ConfigError(`"${bucket}" is not a valid bucket name`, {
      hint: 'bucket names are 3-63 lowercase letters, digits, dashes, underscores or dots: gs://my-backups/prefix',
    });
  }
  const path = decodeURIComponent(url.pathname).replace(/^\/+/, '');
  const prefix = path === '' || path.endsWith('/') ? path : `${path}/`;
  return { bucket, prefix, url: `gs://${bucket}/${prefix}` };
}

/** The object name of a key under the target. */
export function objectName(target: GcsTarget, key: string): string {
  const clean = key.replace(/^\/+/, '');
  if (clean === '' || clean.split('/').some((part) => part === '..' || part === '.')) {
    throw new ConfigError(`"${key}" is not a valid object key`, { hint: 'keys are relative paths such as vm1/disk1.vmdk' });
  }
  return `${target.prefix}${clean}`;
}

/** The key of an object name, relative to the target's prefix. */
export function keyOf(target: GcsTarget, name: string): string {
  return name.slice(target.prefix.length);
}

export function urlOfKey(target: GcsTarget, key: string): string {
  return `gs://${target.bucket}/${target.prefix}${key.replace(/^\/+/, '')}`;
}
