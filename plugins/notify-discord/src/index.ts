// notify-discord: posts job events to a Discord webhook as an embed coloured by status. A 429
// answer's `retry_after` (JSON body, seconds) and Retry-After header are honoured.
// Config: notifyDiscord({ webhookUrl: 'env:DISCORD_WEBHOOK_URL' });
// CLI:    --notify discord://env:DISCORD_WEBHOOK_URL
import { defineNotifier, openJsonWebhook } from '@hyperexport/notify-kit';
import { discordPayload } from './discord-payload.ts';
import { DISCORD_SCHEMES, discordOptionsSchema, parseDiscordUrl } from './discord-settings.ts';

const PLUGIN_NAME = 'notify-discord';

export { discordPayload, escapeDiscordMarkdown, DISCORD_COLORS } from './discord-payload.ts';
export { parseDiscordUrl, DISCORD_SCHEMES } from './discord-settings.ts';
export type { DiscordSettings } from './discord-settings.ts';

export default defineNotifier({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'Discord webhook notifications (embeds coloured by status)',
  provides: ['notify:discord'],
  schemes: DISCORD_SCHEMES,
  options: discordOptionsSchema,
  destination: 'webhookUrl',
  parseUrl: parseDiscordUrl,
  open: (settings, context) =>
    openJsonWebhook(settings, context, {
      service: 'discord',
      what: 'Discord webhook URL',
      render: (message) => discordPayload(message, settings),
    }),
});
