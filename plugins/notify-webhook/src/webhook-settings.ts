// The settings of one generic webhook, from the config (plugin options) or a `--notify` URL:
//   webhook+https://hooks.example.com/backup?secret=env:WEBHOOK_SECRET&header=X-Team:ops
//   webhook+http://127.0.0.1:8080/hook                  (plain HTTP, for a local receiver)
//   webhook://env:WEBHOOK_URL                            (the whole URL from a variable or file)
// Parameters the notifier does not know stay on the endpoint's URL; credentials there (`token=`,
// `key=`, `sig=` …), the signing secret and credential headers must be references.
import { ConfigError, t } from '@hyperexport/core';
import {
  NotifyParams,
  commonOptionShape,
  endpointReference,
  isSecretReference,
  literalEndpoint,
  notifySchemeOf,
  splitNotifyUrl,
} from '@hyperexport/notify-kit';
import type { CommonSettings } from '@hyperexport/notify-kit';

export const WEBHOOK_SCHEMES = ['webhook', 'webhook+https', 'webhook+http'] as const;

export interface WebhookSettings extends CommonSettings {
  /** The endpoint: a URL (its secret query values may be references), or `env:NAME` / `file:PATH`. */
  readonly url?: string | undefined;
  /** Extra headers; a value may be a reference (`Authorization: 'env:HOOK_AUTH'`). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Standard Webhooks signing secret `whsec_<base64>`, best as `env:NAME` or `file:PATH`. */
  readonly secret?: string | undefined;
  /** A body template with {{placeholders}}; `file:PATH` or `@PATH` reads it from a file. */
  readonly template?: string | undefined;
  /** Content type of the body (default application/json). */
  readonly contentType?: string | undefined;
  readonly method?: 'POST' | 'PUT' | undefined;
}

export const webhookOptionsSchema = t.isObject({
  url: t.isOptional(t.isString()),
  headers: t.isOptional(t.isRecord(t.isString())),
  secret: t.isOptional(t.isString()),
  template: t.isOptional(t.isString()),
  contentType: t.isOptional(t.isString()),
  method: t.isOptional(t.isEnum(['POST', 'PUT'] as const)),
  ...commonOptionShape(),
});

/** Header names whose values are credentials: on the command line they must be references. */
export const SECRET_HEADER = /(authorization|cookie|token|secret|key|auth|signature|password)/i;

const OWN_OPTIONS = ['secret', 'header', 'template', 'contentType', 'method'];

export function parseWebhookUrl(url: string): WebhookSettings {
  const scheme = notifySchemeOf(url)!;
  const { target, params } = splitNotifyUrl(url);
  const options = new NotifyParams(params, `${scheme}://`);
  const secret = options.string('secret');
  if (secret !== undefined && !isSecretReference(secret)) {
    throw new ConfigError(`the signing secret must not be written into a ${scheme}:// URL on the command line`, {
      hint: 'put it in an environment variable and give secret=env:NAME, or in a file only you can read and give secret=file:/path/to/file',
    });
  }
  const headers: Record<string, string> = {};
  for (const header of options.all('header')) {
    const colon = header.indexOf(':');
    if (colon <= 0)
      throw new ConfigError(`${scheme}://: header=${header.slice(0, 40)} is not Name:value`, {
        hint: 'write header=X-Team:ops (URL-encode the value if it holds & or #)',
      });
    const name = header.slice(0, colon).trim();
    const value = header.slice(colon + 1).trim();
    if (SECRET_HEADER.test(name) && !isSecretReference(value)) {
      throw new ConfigError(`the value of the ${name} header is a credential and must not be written on the command line`, {
        hint: `write header=${name}:env:NAME (an environment variable holding it) or header=${name}:file:/path/to/file`,
      });
    }
    headers[name] = value;
  }
  const method = options.string('method');
  if (method !== undefined && method !== 'POST' && method !== 'PUT') throw new ConfigError(`${scheme}://: method=${method} is not POST or PUT`);
  const settings = {
    secret,
    headers: Object.keys(headers).length > 0 ? headers : undefined,
    template: options.string('template'),
    contentType: options.string('contentType'),
    method: method as 'POST' | 'PUT' | undefined,
    ...options.common(),
  };
  if (scheme === 'webhook') {
    options.finish(OWN_OPTIONS);
    return { url: endpointReference(target, 'webhook URL', 'webhook', 'WEBHOOK_URL'), ...settings };
  }
  if (target === '') throw new ConfigError(`${scheme}:// needs a host and path`, { hint: `write ${scheme}://host/path` });
  const protocol = scheme === 'webhook+http' ? 'http' : 'https';
  const endpoint = literalEndpoint(`${protocol}://${target}`, options.rest(), 'webhook URL', 'webhook', 'WEBHOOK_URL');
  return { url: endpoint, ...settings };
}
