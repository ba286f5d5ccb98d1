// Credentials from a file (the `keyFile` option, or GOOGLE_APPLICATION_CREDENTIALS of the job's
// environment). google-auth-library deprecated loading files by name (and prints so on every
// run); its advice is to read the file and build the client of its type, which is what we do.
// Types we do not know fall back to the library's own loader.
import { readFile } from 'node:fs/promises';
import { ConfigError } from '@hyperexport/core';
import type { AuthClient, GoogleAuth } from 'google-auth-library';
import { loadGoogleAuth } from './gcs-sdk.ts';
import type { GoogleAuthLibrary } from './gcs-sdk.ts';

export const GCS_SCOPES = ['https://www.googleapis.com/auth/devstorage.full_control'];

const HINT =
  'point GOOGLE_APPLICATION_CREDENTIALS or the cloud-gcs `keyFile` option at a service account key, a workload identity federation file or `gcloud auth application-default login` credentials';

interface CredentialFile {
  type?: unknown;
  client_email?: unknown;
  private_key?: unknown;
  private_key_id?: unknown;
  client_id?: unknown;
  client_secret?: unknown;
  refresh_token?: unknown;
  quota_project_id?: unknown;
  universe_domain?: unknown;
  credential_source?: { environment_id?: unknown; executable?: unknown };
}

export async function loadCredentialFile(path: string): Promise<GoogleAuth> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the Google Cloud credential file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: HINT,
      cause: error,
    });
  }
  let json: CredentialFile;
  try {
    json = JSON.parse(text) as CredentialFile;
  } catch (error) {
    throw new ConfigError(`the Google Cloud credential file ${path} is not JSON`, { hint: HINT, cause: error });
  }
  // Loaded only once a file is to be read: runs that store elsewhere never pay for it.
  const library = await loadGoogleAuth();
  const client = clientFor(library, json, path);
  return client ? new library.GoogleAuth({ authClient: client, scopes: GCS_SCOPES }) : new library.GoogleAuth({ keyFilename: path, scopes: GCS_SCOPES });
}

function clientFor(
  { AwsClient, IdentityPoolClient, JWT, PluggableAuthClient, UserRefreshClient }: GoogleAuthLibrary,
  json: CredentialFile,
  path: string,
): AuthClient | undefined {
  const string = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  switch (json.type) {
    case 'service_account': {
      const email = string(json.client_email);
      const key = string(json.private_key);
      if (!email || !key)
        throw new ConfigError(`the service account key ${path} lacks client_email or private_key`, {
          hint: 'download a new JSON key for the service account (gcloud iam service-accounts keys create)',
        });
      const keyId = string(json.private_key_id);
      const universeDomain = string(json.universe_domain);
      return new JWT({ email, key, scopes: GCS_SCOPES, ...(keyId ? { keyId } : {}), ...(universeDomain ? { universeDomain } : {}) });
    }
    case 'authorized_user': {
      const quotaProjectId = string(json.quota_project_id);
      return new UserRefreshClient({
        clientId: string(json.client_id),
        clientSecret: string(json.client_secret),
        refreshToken: string(json.refresh_token),
        ...(quotaProjectId ? { quotaProjectId } : {}),
      });
    }
    case 'external_account': {
      const options = { ...(json as Record<string, unknown>), scopes: GCS_SCOPES } as never;
      if (json.credential_source?.environment_id) return new AwsClient(options);
      if (json.credential_source?.executable) return new PluggableAuthClient(options);
      return new IdentityPoolClient(options);
    }
    case undefined:
      throw new ConfigError(`the Google Cloud credential file ${path} has no "type"`, { hint: HINT });
    default:
      return undefined;
  }
}
