// notify-teams: posts job events to a Microsoft Teams Workflows webhook as an Adaptive Card.
// Config: notifyTeams({ webhookUrl: 'env:TEAMS_WEBHOOK_URL' });
// CLI:    --notify teams://env:TEAMS_WEBHOOK_URL
import { defineNotifier, openJsonWebhook } from '@hyperexport/notify-kit';
import { teamsPayload } from './teams-card.ts';
import { TEAMS_SCHEMES, parseTeamsUrl, teamsOptionsSchema } from './teams-settings.ts';

const PLUGIN_NAME = 'notify-teams';

export { teamsPayload, ADAPTIVE_CARD_CONTENT_TYPE } from './teams-card.ts';
export type { CardVersion } from './teams-card.ts';
export { parseTeamsUrl, TEAMS_SCHEMES } from './teams-settings.ts';
export type { TeamsSettings } from './teams-settings.ts';

export default defineNotifier({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'Microsoft Teams Workflows webhook notifications (Adaptive Card)',
  provides: ['notify:teams'],
  schemes: TEAMS_SCHEMES,
  options: teamsOptionsSchema,
  destination: 'webhookUrl',
  parseUrl: parseTeamsUrl,
  open: (settings, context) =>
    openJsonWebhook(settings, context, {
      service: 'teams',
      what: 'Teams webhook URL',
      render: (message) => teamsPayload(message, settings.cardVersion),
    }),
});
