// @hyperexport/notify-kit: the pieces every notify-* plugin shares — event selection, the message
// summary, HTTP delivery with retries, secret references and redaction, `--notify` URL parsing,
// the dispatcher that wires a notifier to the exporter without delaying the export, and
// defineNotifier, the plugin declaration every notifier shares.
export * from './event-selection.ts';
export * from './secret-ref.ts';
export * from './redactor.ts';
export * from './retry.ts';
export * from './http-delivery.ts';
export * from './progress-throttle.ts';
export * from './message.ts';
export * from './message-format.ts';
export * from './template.ts';
export * from './notify-url.ts';
export * from './common-options.ts';
export * from './endpoint.ts';
export { attachNotifier } from './dispatcher.ts';
export type { Notifier, NotifierSource, OpenContext, AttachOptions } from './dispatcher.ts';
export * from './json-webhook-notifier.ts';
export { defineNotifier } from './define-notifier.ts';
export { NOTIFY_SETTINGS } from './notify-settings.ts';
export type { NotifierDefinition } from './define-notifier.ts';
