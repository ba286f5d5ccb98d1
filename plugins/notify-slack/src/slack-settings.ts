// The settings of one Slack destination, from the config (plugin options) or a `--notify` URL:
//   slack://env:SLACK_WEBHOOK_URL?channel=%23backups&events=completed,failed
//   slack://file:/etc/hyperexport/slack-webhook
import { t } from '@hyperexport/core';
import { NotifyParams, commonOptionShape, endpointReference, splitNotifyUrl } from '@hyperexport/notify-kit';
import type { CommonSettings } from '@hyperexport/notify-kit';

export const SLACK_SCHEMES = ['slack'] as const;

export interface SlackSettings extends CommonSettings {
  /** `env:NAME`, `file:PATH`, `@PATH`, or (config file only) the webhook URL itself. */
  readonly webhookUrl?: string | undefined;
  readonly channel?: string | undefined;
  readonly username?: string | undefined;
  readonly iconEmoji?: string | undefined;
}

export const slackOptionsSchema = t.isObject({
  webhookUrl: t.isOptional(t.isString()),
  /** Channel override (legacy webhooks only; app webhooks post to their own channel). */
  channel: t.isOptional(t.isString()),
  username: t.isOptional(t.isString()),
  /** e.g. `:floppy_disk:` */
  iconEmoji: t.isOptional(t.isString()),
  ...commonOptionShape(),
});

export function parseSlackUrl(url: string): SlackSettings {
  const { target, params } = splitNotifyUrl(url);
  const webhookUrl = endpointReference(target, 'Slack webhook URL', 'slack', 'SLACK_WEBHOOK_URL');
  const options = new NotifyParams(params, 'slack://');
  const settings: SlackSettings = {
    webhookUrl,
    channel: options.string('channel'),
    username: options.string('username'),
    iconEmoji: options.string('iconEmoji'),
    ...options.common(),
  };
  options.finish(['channel', 'username', 'iconEmoji']);
  return settings;
}
