// The settings of one Discord destination, from the config (plugin options) or a `--notify` URL:
//   discord://env:DISCORD_WEBHOOK_URL?username=backup-bot
//   discord://file:/etc/hyperexport/discord-webhook
import { t } from '@hyperexport/core';
import { NotifyParams, commonOptionShape, endpointReference, splitNotifyUrl } from '@hyperexport/notify-kit';
import type { CommonSettings } from '@hyperexport/notify-kit';

export const DISCORD_SCHEMES = ['discord'] as const;

export interface DiscordSettings extends CommonSettings {
  /** `env:NAME`, `file:PATH`, `@PATH`, or (config file only) the webhook URL itself. */
  readonly webhookUrl?: string | undefined;
  readonly username?: string | undefined;
  readonly avatarUrl?: string | undefined;
}

export const discordOptionsSchema = t.isObject({
  webhookUrl: t.isOptional(t.isString()),
  username: t.isOptional(t.isString()),
  avatarUrl: t.isOptional(t.isString()),
  ...commonOptionShape(),
});

export function parseDiscordUrl(url: string): DiscordSettings {
  const { target, params } = splitNotifyUrl(url);
  const webhookUrl = endpointReference(target, 'Discord webhook URL', 'discord', 'DISCORD_WEBHOOK_URL');
  const options = new NotifyParams(params, 'discord://');
  const settings: DiscordSettings = {
    webhookUrl,
    username: options.string('username'),
    avatarUrl: options.string('avatarUrl'),
    ...options.common(),
  };
  options.finish(['username', 'avatarUrl']);
  return settings;
}
