// A notifier that POSTs one JSON document per message to a webhook URL (Slack, Discord, Teams
// share it; they differ only in the document).
import { selectEvents } from './event-selection.ts';
import type { CommonSettings } from './common-options.ts';
import { maxSendMs } from './common-options.ts';
import type { Notifier, OpenContext } from './dispatcher.ts';
import { resolveEndpoint } from './endpoint.ts';
import { deliverHttp } from './http-delivery.ts';
import type { NotifyMessage } from './message.ts';
import { Redactor } from './redactor.ts';
import { retryPolicy } from './retry.ts';

export interface JsonWebhookNotifierOptions {
  readonly label: string;
  readonly url: string;
  readonly redactor: Redactor;
  readonly settings: CommonSettings;
  /** The JSON document for one message. */
  render(message: NotifyMessage): unknown;
}

export function jsonWebhookNotifier(options: JsonWebhookNotifierOptions): Notifier {
  const policy = retryPolicy(options.settings);
  return {
    label: options.label,
    events: selectEvents(options.settings.events),
    progress: options.settings.progress,
    maxSendMs: maxSendMs(policy),
    redactor: options.redactor,
    async send(message, signal) {
      await deliverHttp({ url: options.url, body: JSON.stringify(options.render(message)) }, policy, { signal });
    },
  };
}

export interface JsonWebhookEndpoint {
  /** Names the destination in its label, e.g. `slack`: `slack (env:SLACK_WEBHOOK_URL)`. */
  readonly service: string;
  /** Names the webhook URL in errors, e.g. `Slack webhook URL`. */
  readonly what: string;
  /** The JSON document for one message. */
  render(message: NotifyMessage): unknown;
}

/**
 * A notifier's `open` for a JSON webhook whose URL is the credential (`settings.webhookUrl`: a
 * secret reference, or the URL itself): resolves it, registers it with a new redactor, and
 * returns the jsonWebhookNotifier that posts to it.
 */
export async function openJsonWebhook(
  settings: CommonSettings & { readonly webhookUrl?: string | undefined },
  context: OpenContext,
  endpoint: JsonWebhookEndpoint,
): Promise<Notifier> {
  const redactor = new Redactor();
  const resolved = await resolveEndpoint(settings.webhookUrl ?? '', endpoint.what, context.env, redactor);
  return jsonWebhookNotifier({
    label: `${endpoint.service} (${resolved.shown})`,
    url: resolved.url,
    redactor,
    settings,
    render: (message) => endpoint.render(message),
  });
}
