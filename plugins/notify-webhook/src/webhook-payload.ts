// The body of a generic webhook: the user's JSON template filled in, or by default a document
// shaped as the Standard Webhooks spec recommends: { type, timestamp, data }.
import { fillJsonTemplate, fillTemplate } from '@hyperexport/notify-kit';
import type { NotifyMessage } from '@hyperexport/notify-kit';

/** `export.started`, `export.progress`, `export.completed`, `export.failed`. */
export function eventType(message: NotifyMessage): string {
  return `export.${message.event}`;
}

export function defaultPayload(message: NotifyMessage, now: Date = new Date()): Record<string, unknown> {
  return { type: eventType(message), timestamp: now.toISOString(), data: message };
}

/** The body for `message`: with a template, JSON-aware filling for JSON, plain filling otherwise. */
export function webhookBody(message: NotifyMessage, template: string | undefined, json: boolean): string {
  if (template === undefined) return JSON.stringify(defaultPayload(message));
  return json ? fillJsonTemplate(template, message) : fillTemplate(template, message);
}
