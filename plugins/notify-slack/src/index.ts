// notify-slack: posts job events to a Slack incoming webhook (`text` plus Block Kit blocks).
// Config: notifySlack({ webhookUrl: 'env:SLACK_WEBHOOK_URL', events: ['failed'] });
// CLI:    --notify slack://env:SLACK_WEBHOOK_URL
import { definePlugin } from '@hyperexport/core';
import { NOTIFY_EXTRA_KEY, Redactor, attachNotifier, jsonWebhookNotifier, overlay, resolveEndpoint } from '@hyperexport/notify-kit';
import { slackPayload } from './slack-payload.ts';
import { SLACK_SCHEMES, parseSlackUrl, slackOptionsSchema } from './slack-settings.ts';
import type { SlackSettings } from './slack-settings.ts';

const PLUGIN_NAME = 'notify-slack';

export { slackPayload, escapeMrkdwn } from './slack-payload.ts';
export { parseSlackUrl, SLACK_SCHEMES } from './slack-settings.ts';
export type { SlackSettings } from './slack-settings.ts';

export default definePlugin({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'Slack incoming-webhook notifications (text plus blocks)',
  provides: ['notify:slack'],
  consumes: [NOTIFY_EXTRA_KEY],
  options: slackOptionsSchema,
  setup(exporter, options: SlackSettings) {
    const { webhookUrl, ...defaults } = options;
    attachNotifier<SlackSettings>(exporter, {
      plugin: PLUGIN_NAME,
      schemes: SLACK_SCHEMES,
      configured: webhookUrl === undefined ? undefined : options,
      parseUrl: (url) => overlay(defaults, parseSlackUrl(url)),
      async open(settings, context) {
        const redactor = new Redactor();
        const endpoint = await resolveEndpoint(settings.webhookUrl ?? '', 'Slack webhook URL', context.env, redactor);
        return jsonWebhookNotifier({
          label: `slack (${endpoint.shown})`,
          url: endpoint.url,
          redactor,
          settings,
          render: (message) => slackPayload(message, settings),
        });
      },
    });
  },
});
