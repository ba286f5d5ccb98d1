// notify-teams: posts job events to a Microsoft Teams Workflows webhook as an Adaptive Card.
// Config: notifyTeams({ webhookUrl: 'env:TEAMS_WEBHOOK_URL' });
// CLI:    --notify teams://env:TEAMS_WEBHOOK_URL
import { definePlugin } from '@hyperexport/core';
import { NOTIFY_EXTRA_KEY, Redactor, attachNotifier, jsonWebhookNotifier, overlay, resolveEndpoint } from '@hyperexport/notify-kit';
import { teamsPayload } from './teams-card.ts';
import { TEAMS_SCHEMES, parseTeamsUrl, teamsOptionsSchema } from './teams-settings.ts';
import type { TeamsSettings } from './teams-settings.ts';

const PLUGIN_NAME = 'notify-teams';

export { teamsPayload, ADAPTIVE_CARD_CONTENT_TYPE } from './teams-card.ts';
export type { CardVersion } from './teams-card.ts';
export { parseTeamsUrl, TEAMS_SCHEMES } from './teams-settings.ts';
export type { TeamsSettings } from './teams-settings.ts';

export default definePlugin({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'Microsoft Teams Workflows webhook notifications (Adaptive Card)',
  provides: ['notify:teams'],
  consumes: [NOTIFY_EXTRA_KEY],
  options: teamsOptionsSchema,
  setup(exporter, options: TeamsSettings) {
    const { webhookUrl, ...defaults } = options;
    attachNotifier<TeamsSettings>(exporter, {
      plugin: PLUGIN_NAME,
      schemes: TEAMS_SCHEMES,
      configured: webhookUrl === undefined ? undefined : options,
      parseUrl: (url) => overlay(defaults, parseTeamsUrl(url)),
      async open(settings, context) {
        const redactor = new Redactor();
        const endpoint = await resolveEndpoint(settings.webhookUrl ?? '', 'Teams webhook URL', context.env, redactor);
        return jsonWebhookNotifier({
          label: `teams (${endpoint.shown})`,
          url: endpoint.url,
          redactor,
          settings,
          render: (message) => teamsPayload(message, settings.cardVersion),
        });
      },
    });
  },
});
