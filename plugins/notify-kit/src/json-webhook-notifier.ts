// A notifier that POSTs one JSON document per message to a webhook URL (Slack, Discord, Teams
// share it; they differ only in the document).
import type { NotifyEventKind } from './event-selection.ts';
import { selectEvents } from './event-selection.ts';
import type { CommonSettings } from './common-options.ts';
import { maxSendMs } from './common-options.ts';
import type { Notifier } from './dispatcher.ts';
import { deliverHttp } from './http-delivery.ts';
import type { NotifyMessage } from './message.ts';
import type { Redactor } from './redactor.ts';
import { retryPolicy } from './retry.ts';

export interface JsonWebhookNotifierOptions {
  readonly label: string;
  readonly url: string;
  readonly redactor: Redactor;
  readonly settings: CommonSettings;
  /** The JSON document for one message. */
  render(message: NotifyMessage): unknown;
  readonly defaultEvents?: readonly NotifyEventKind[];
}

export function jsonWebhookNotifier(options: JsonWebhookNotifierOptions): Notifier {
  const policy = retryPolicy(options.settings);
  return {
    label: options.label,
    events: selectEvents(options.settings.events, options.defaultEvents),
    progress: options.settings.progress,
    maxSendMs: maxSendMs(policy),
    redactor: options.redactor,
    async send(message, signal) {
      await deliverHttp({ url: options.url, body: JSON.stringify(options.render(message)) }, policy, { signal });
    },
  };
}
