// A Microsoft Teams message for a Workflows ("When a Teams webhook request is received") webhook:
// Workflows accept Adaptive Cards only (the old MessageCard connectors are retired), wrapped in
// a `message` with one attachment.
import { messageFacts, messageSummary, messageTitle } from '@hyperexport/notify-kit';
import type { NotifyMessage } from '@hyperexport/notify-kit';

export type CardVersion = '1.4' | '1.5';

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

const TITLE_COLOR: Record<NotifyMessage['status'], string> = {
  started: 'Accent',
  running: 'Accent',
  succeeded: 'Good',
  failed: 'Attention',
  cancelled: 'Warning',
};

export function teamsPayload(message: NotifyMessage, version: CardVersion = '1.4'): Record<string, unknown> {
  const facts = messageFacts(message);
  const body: Record<string, unknown>[] = [
    { type: 'TextBlock', text: messageTitle(message), weight: 'Bolder', size: 'Medium', color: TITLE_COLOR[message.status], wrap: true, style: 'heading' },
    { type: 'TextBlock', text: messageSummary(message), wrap: true },
    // FactSet values show one line each: multi-line values are joined.
    { type: 'FactSet', facts: facts.filter((fact) => !fact.wide).map((fact) => ({ title: fact.label, value: fact.value })) },
  ];
  for (const fact of facts.filter((item) => item.wide)) {
    body.push({ type: 'TextBlock', text: fact.label, weight: 'Bolder', wrap: true, spacing: 'Medium' });
    body.push({
      type: 'TextBlock',
      text: fact.value.split('\n').join('\n\n'),
      wrap: true,
      spacing: 'None',
      ...(fact.label === 'Error' ? { color: 'Attention' } : {}),
    });
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: ADAPTIVE_CARD_CONTENT_TYPE,
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version,
          body,
          msteams: { width: 'Full' },
        },
      },
    ],
  };
}
