// notify-webhook: posts job events to any HTTP endpoint, signed the Standard Webhooks way, with
// a custom JSON template and headers if wanted.
// Config: notifyWebhook({ url: 'https://hooks.example.com/backup', secret: 'env:WEBHOOK_SECRET' });
// CLI:    --notify 'webhook+https://hooks.example.com/backup?secret=env:WEBHOOK_SECRET'
import { readFile } from 'node:fs/promises';
import { ConfigError } from '@hyperexport/core';
import {
  Redactor,
  checkTemplate,
  defineNotifier,
  deliverHttp,
  maxSendMs,
  parseSecretRef,
  resolveEndpoint,
  resolveSecret,
  retryPolicy,
  sampleMessages,
  selectEvents,
  isSecretReference,
} from '@hyperexport/notify-kit';
import type { Notifier, OpenContext } from '@hyperexport/notify-kit';
import { RECOMMENDED_SECRET_BYTES, SECRET_PREFIX, decodeSigningSecret, newMessageId, signatureHeaders } from './standard-webhooks.ts';
import { webhookBody } from './webhook-payload.ts';
import { SECRET_HEADER, WEBHOOK_SCHEMES, parseWebhookUrl, webhookOptionsSchema } from './webhook-settings.ts';
import type { WebhookSettings } from './webhook-settings.ts';

const PLUGIN_NAME = 'notify-webhook';

export { decodeSigningSecret, sign, signatureHeaders, newMessageId, SECRET_PREFIX } from './standard-webhooks.ts';
export { defaultPayload, eventType, webhookBody } from './webhook-payload.ts';
export { parseWebhookUrl, WEBHOOK_SCHEMES } from './webhook-settings.ts';
export type { WebhookSettings } from './webhook-settings.ts';

export default defineNotifier({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'generic webhooks, signed the Standard Webhooks way, with templates and headers',
  provides: ['notify:webhook'],
  schemes: WEBHOOK_SCHEMES,
  options: webhookOptionsSchema,
  destination: 'url',
  parseUrl: parseWebhookUrl,
  open: openWebhook,
});

/** Resolves a webhook destination's secrets, template and headers into a Notifier. */
export async function openWebhook(settings: WebhookSettings, context: OpenContext): Promise<Notifier> {
  const redactor = new Redactor();
  const endpoint = await resolveEndpoint(settings.url ?? '', 'webhook URL', context.env, redactor);
  let key: Buffer | undefined;
  if (settings.secret !== undefined) {
    const secret = await resolveSecret(parseSecretRef(settings.secret), 'webhook signing secret', context.env);
    redactor.add(secret).add(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : undefined);
    key = decodeSigningSecret(secret);
    if (key.length < RECOMMENDED_SECRET_BYTES)
      context.warn(`the signing secret has ${key.length} bytes; Standard Webhooks asks for at least ${RECOMMENDED_SECRET_BYTES} random bytes`);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings.headers ?? {})) {
    const resolved = isSecretReference(value) ? await resolveSecret(parseSecretRef(value), `value of the ${name} header`, context.env) : value;
    if (isSecretReference(value) || SECRET_HEADER.test(name)) redactor.add(resolved);
    headers[name.toLowerCase()] = resolved;
  }
  const contentType = settings.contentType ?? 'application/json';
  const json = /[/+]json\b/i.test(contentType);
  const template = settings.template === undefined ? undefined : await readTemplate(settings.template, context.env);
  if (template !== undefined) {
    checkTemplate(template, 'the webhook template');
    if (json) {
      for (const sample of sampleMessages()) {
        const body = webhookBody(sample, template, true);
        try {
          JSON.parse(body);
        } catch (error) {
          throw new ConfigError(`the webhook template does not give valid JSON for a ${sample.event} message: ${(error as Error).message}`, {
            hint: 'put placeholders inside strings ("…{{vm}}…") or alone as values ("vm": {{vm}}); or set contentType for a non-JSON body',
          });
        }
      }
    }
  }
  const policy = retryPolicy(settings);
  return {
    label: `webhook (${endpoint.shown})`,
    events: selectEvents(settings.events),
    progress: settings.progress,
    maxSendMs: maxSendMs(policy),
    redactor,
    async send(message, signal) {
      const body = webhookBody(message, template, json);
      // One id per message, kept on every retry; a fresh timestamp (and signature) per attempt.
      const id = newMessageId();
      await deliverHttp(
        {
          url: endpoint.url,
          method: settings.method ?? 'POST',
          body,
          headers: () => ({
            'content-type': contentType,
            ...headers,
            ...(key ? signatureHeaders(key, id, body) : { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)) }),
          }),
        },
        policy,
        { signal },
      );
    },
  };
}

async function readTemplate(value: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (!isSecretReference(value)) return value;
  const ref = parseSecretRef(value);
  if (ref.kind === 'env') return resolveSecret(ref, 'webhook template', env);
  if (ref.kind !== 'file') return value;
  try {
    return await readFile(ref.path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the webhook template ${ref.path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: 'check the path and its permissions',
    });
  }
}
