// Webhook endpoints whose URL holds the credential (Slack, Discord, Teams, some generic webhooks):
// given as a secret reference, or as a URL whose secret query values are references
// (`…/invoke?api-version=1&sig=env:TEAMS_SIG`), resolved when a job starts, registered with the
// redactor, and shown by reference or origin only.
import { ConfigError } from '@hyperexport/core';
import { decodeUrlPart } from './common-options.ts';
import { literalSecretError } from './notify-url.ts';
import { redactEndpoint } from './redactor.ts';
import type { Redactor } from './redactor.ts';
import { describeSecretRef, isSecretReference, parseSecretRef, resolveSecret } from './secret-ref.ts';

export interface ResolvedEndpoint {
  readonly url: string;
  /** How to name it in messages: `env:SLACK_WEBHOOK_URL`, or `https://hooks.slack.com/***`. */
  readonly shown: string;
}

/** Query parameters that carry credentials in webhook URLs (Teams `sig`, Azure Functions `code`, …). */
export const SECRET_QUERY_PARAMETER =
  /^(sig|signature|token|access_token|accesstoken|key|apikey|api[-_]key|code|secret|password|passwd|pass|auth|authorization|credential|credentials)$/i;

/**
 * Reads an endpoint written as `env:NAME`, `file:PATH`, `@PATH` (the variable or file holds the
 * whole URL), or as a URL whose secret query values may be such references. `what` names it in
 * errors, which never contain a secret.
 */
export async function resolveEndpoint(value: string, what: string, env: NodeJS.ProcessEnv, redactor: Redactor): Promise<ResolvedEndpoint> {
  if (isSecretReference(value)) {
    const ref = parseSecretRef(value);
    const text = await resolveSecret(ref, what, env);
    redactor.add(text);
    const url = parseHttpUrl(text, `the ${what} from ${describeSecretRef(ref)}`);
    redactor.add(url.href);
    return { url: url.href, shown: describeSecretRef(ref) };
  }
  // Written out (config file, or a `+https` URL): its own query values may be references.
  const url = parseHttpUrl(value, `the ${what}`);
  const references: string[] = [];
  for (const [name, parameter] of [...url.searchParams]) {
    if (!isSecretReference(parameter)) continue;
    const ref = parseSecretRef(parameter);
    const secret = await resolveSecret(ref, `${what} parameter ${name}`, env);
    redactor.add(secret);
    url.searchParams.set(name, secret);
    references.push(`${name}=${describeSecretRef(ref)}`);
  }
  if (url.password) redactor.add(decodeUrlPart(url.password));
  redactor.add(url.href);
  const shown = references.length > 0 ? `${url.protocol}//${url.host}${url.pathname} with ${references.join(', ')}` : redactEndpoint(url.href);
  return { url: url.href, shown };
}

function parseHttpUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${what} is not a URL`, { hint: 'it must be the whole address, https://…' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(`${what} is not an http(s) URL`, { hint: 'it must be the whole address, https://…' });
  return url;
}

/**
 * The target of `slack://…`, `discord://…` or `teams://…`: it must name where the webhook URL
 * is (`env:NAME`, `file:PATH`, `@PATH`). Anything else would be the secret on the command line.
 */
export function endpointReference(target: string, what: string, scheme: string, envExample: string): string {
  const decoded = decodeUrlPart(target);
  if (decoded === '') {
    throw new ConfigError(`${scheme}:// needs to say where the ${what} is`, {
      hint: `give ${scheme}://env:${envExample} (an environment variable holding it) or ${scheme}://file:/path/to/file`,
    });
  }
  if (!isSecretReference(decoded)) throw literalSecretError(what, scheme, envExample);
  parseSecretRef(decoded);
  return decoded;
}

/**
 * The endpoint of a `teams+https://…` or `webhook+https://…` URL: `base` (scheme, host, path)
 * plus the query parameters the notifier did not take. A password in it, or a literal value of a
 * secret-looking parameter (`sig=…`, `token=…`), is refused: they must be references
 * (`sig=env:TEAMS_SIG`), or the whole URL must come from `scheme://env:NAME`.
 */
export function literalEndpoint(base: string, query: URLSearchParams, what: string, scheme: string, envExample: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new ConfigError(`the ${what} in the ${scheme} URL is not a valid URL`, {
      hint: `write ${scheme}+https://host/path, or give ${scheme}://env:${envExample}`,
    });
  }
  if (url.password) throw literalSecretError(`password in the ${what}`, scheme, envExample);
  for (const [name, value] of query) {
    if (SECRET_QUERY_PARAMETER.test(name) && !isSecretReference(value)) {
      throw new ConfigError(`the ${name}= value of the ${what} is a secret and must not be written on the command line`, {
        hint: `write ${name}=env:NAME (an environment variable holding it) or ${name}=file:/path/to/file, or give the whole URL as ${scheme}://env:${envExample}`,
      });
    }
    if (isSecretReference(value)) parseSecretRef(value);
    url.searchParams.append(name, value);
  }
  return url.href;
}
