// notify-slack: posts job events to a Slack incoming webhook (`text` plus Block Kit blocks).
// Config: notifySlack({ webhookUrl: 'env:SLACK_WEBHOOK_URL', events: ['failed'] });
// CLI:    --notify slack://env:SLACK_WEBHOOK_URL
import { defineNotifier, openJsonWebhook } from '@hyperexport/notify-kit';
import { slackPayload } from './slack-payload.ts';
import { SLACK_SCHEMES, parseSlackUrl, slackOptionsSchema } from './slack-settings.ts';

const PLUGIN_NAME = 'notify-slack';

export { slackPayload, escapeMrkdwn } from './slack-payload.ts';
export { parseSlackUrl, SLACK_SCHEMES } from './slack-settings.ts';
export type { SlackSettings } from './slack-settings.ts';

export default defineNotifier({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'Slack incoming-webhook notifications (text plus blocks)',
  provides: ['notify:slack'],
  schemes: SLACK_SCHEMES,
  options: slackOptionsSchema,
  destination: 'webhookUrl',
  parseUrl: parseSlackUrl,
  open: (settings, context) =>
    openJsonWebhook(settings, context, {
      service: 'slack',
      what: 'Slack webhook URL',
      render: (message) => slackPayload(message, settings),
    }),
});
