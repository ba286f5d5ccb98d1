// notify-discord: posts job events to a Discord webhook as an embed coloured by status. A 429
// answer's `retry_after` (JSON body, seconds) and Retry-After header are honoured.
// Config: notifyDiscord({ webhookUrl: 'env:DISCORD_WEBHOOK_URL' });
// CLI:    --notify discord://env:DISCORD_WEBHOOK_URL
import { definePlugin } from '@hyperexport/core';
import { NOTIFY_EXTRA_KEY, Redactor, attachNotifier, jsonWebhookNotifier, overlay, resolveEndpoint } from '@hyperexport/notify-kit';
import { discordPayload } from './discord-payload.ts';
import { DISCORD_SCHEMES, discordOptionsSchema, parseDiscordUrl } from './discord-settings.ts';
import type { DiscordSettings } from './discord-settings.ts';

const PLUGIN_NAME = 'notify-discord';

export { discordPayload, escapeDiscordMarkdown, DISCORD_COLORS } from './discord-payload.ts';
export { parseDiscordUrl, DISCORD_SCHEMES } from './discord-settings.ts';
export type { DiscordSettings } from './discord-settings.ts';

export default definePlugin({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'Discord webhook notifications (embeds coloured by status)',
  provides: ['notify:discord'],
  consumes: [NOTIFY_EXTRA_KEY],
  options: discordOptionsSchema,
  setup(exporter, options: DiscordSettings) {
    const { webhookUrl, ...defaults } = options;
    attachNotifier<DiscordSettings>(exporter, {
      plugin: PLUGIN_NAME,
      schemes: DISCORD_SCHEMES,
      configured: webhookUrl === undefined ? undefined : options,
      parseUrl: (url) => overlay(defaults, parseDiscordUrl(url)),
      async open(settings, context) {
        const redactor = new Redactor();
        const endpoint = await resolveEndpoint(settings.webhookUrl ?? '', 'Discord webhook URL', context.env, redactor);
        return jsonWebhookNotifier({
          label: `discord (${endpoint.shown})`,
          url: endpoint.url,
          redactor,
          settings,
          render: (message) => discordPayload(message, settings),
        });
      },
    });
  },
});
