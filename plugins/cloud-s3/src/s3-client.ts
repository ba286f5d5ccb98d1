// The S3 client for one target. Credentials are never configured here: the AWS SDK's default chain
// finds them (environment, shared config and credentials files with a profile, SSO, web identity,
// container and instance roles). The environment a target is opened with (the process's, or one a
// test or an embedding program passes) is read the way the SDK reads the process's own.
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { checkEndpoint } from './s3-options.ts';
import type { S3Settings } from './s3-options.ts';
import { loadS3Sdk } from './s3-sdk.ts';
import type { S3Sdk } from './s3-sdk.ts';

/** S3-compatible servers rarely care about the region, but requests must be signed with one. */
const CUSTOM_ENDPOINT_REGION = 'us-east-1';

export interface S3Connection {
  readonly client: S3Client;
  /** The custom endpoint's origin, undefined for AWS. */
  readonly endpoint: string | undefined;
}

export async function connect(settings: S3Settings, env: NodeJS.ProcessEnv, shown: string): Promise<S3Connection> {
  // AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL are the SDK's own variables; reading them here too lets
  // messages name the endpoint and lets a caller-given environment set it.
  const endpointText = settings.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const endpoint = endpointText === undefined || endpointText === '' ? undefined : checkEndpoint(endpointText, shown).href.replace(/\/$/, '');
  const profile = settings.profile ?? (env.AWS_PROFILE || undefined);
  // Loaded here, on the first target opened, not when the plugin is (s3-sdk.ts).
  const { S3Client } = await loadS3Sdk();
  const config: S3ClientConfig = {
    endpoint,
    forcePathStyle: settings.forcePathStyle ?? endpoint !== undefined,
    region: regionOf(S3Client, settings, env, endpoint, profile),
    profile,
    maxAttempts: settings.maxAttempts,
    // Adaptive: exponential backoff with jitter, plus client-side rate limiting once S3 throttles.
    retryMode: 'adaptive',
    followRegionRedirects: true,
    requestHandler: {
      connectionTimeout: 10_000,
      // Idle time on a socket, not a whole request: a 5 GiB part may take long, but never stalls.
      socketTimeout: 120_000,
    },
  };
  // The SDK reads these from the process environment by itself; a caller-given one is passed on.
  if (env !== process.env) {
    if (!profile && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
      config.credentials = {
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      };
    }
    const checksums = env.AWS_REQUEST_CHECKSUM_CALCULATION?.toUpperCase();
    if (checksums === 'WHEN_SUPPORTED' || checksums === 'WHEN_REQUIRED') config.requestChecksumCalculation = checksums;
  }
  return { client: new S3Client(config), endpoint };
}

/** Whether uploads carry checksums S3 verifies (the SDK's requestChecksumCalculation setting). */
export async function sendsChecksums(client: S3Client): Promise<boolean> {
  return (await client.config.requestChecksumCalculation()) === 'WHEN_SUPPORTED';
}

function regionOf(
  S3Client: S3Sdk['S3Client'],
  settings: S3Settings,
  env: NodeJS.ProcessEnv,
  endpoint: string | undefined,
  profile: string | undefined,
): S3ClientConfig['region'] {
  const given = settings.region ?? (env.AWS_REGION || undefined);
  if (given !== undefined || endpoint === undefined) return given; // AWS: the SDK's chain (the profile's region)
  // A custom endpoint: the profile's region if it has one, else any region will do.
  const defaults = new S3Client(profile ? { profile } : {});
  return async () => {
    try {
      return await defaults.config.region();
    } catch {
      return CUSTOM_ENDPOINT_REGION;
    }
  };
}
