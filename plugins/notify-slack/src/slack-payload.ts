// A Slack incoming-webhook message: `text` (what notifications and old clients show) plus Block
// Kit blocks. Slack's mrkdwn treats &, < and > as control characters, so every value is escaped;
// limits: header 150 characters, section text 3000, 10 fields of 2000 each.
import { STATUS_ICON, clip, messageFacts, messageSummary, messageTitle } from '@hyperexport/notify-kit';
import type { NotifyMessage } from '@hyperexport/notify-kit';

export interface SlackStyle {
  readonly channel?: string | undefined;
  readonly username?: string | undefined;
  readonly iconEmoji?: string | undefined;
}

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

type Block = Record<string, unknown>;

export function slackPayload(message: NotifyMessage, style: SlackStyle = {}): Record<string, unknown> {
  const title = `${STATUS_ICON[message.status]} ${messageTitle(message)}`;
  const facts = messageFacts(message);
  const short = facts.filter((fact) => !fact.wide && fact.label !== 'Job').slice(0, 10);
  const wide = facts.filter((fact) => fact.wide);
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(title, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(escapeMrkdwn(messageSummary(message)), 3000) } },
  ];
  if (short.length > 0) {
    blocks.push({
      type: 'section',
      fields: short.map((fact) => ({ type: 'mrkdwn', text: clip(`*${escapeMrkdwn(fact.label)}*\n${escapeMrkdwn(fact.value)}`, 2000) })),
    });
  }
  for (const fact of wide) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`*${escapeMrkdwn(fact.label)}*\n${escapeMrkdwn(fact.value)}`, 3000) } });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(`HyperExport on ${message.host} · job ${message.jobId}`) }] });
  return {
    text: clip(escapeMrkdwn(`${title}: ${messageSummary(message)}`), 3000),
    blocks,
    ...(style.channel ? { channel: style.channel } : {}),
    ...(style.username ? { username: style.username } : {}),
    ...(style.iconEmoji ? { icon_emoji: style.iconEmoji } : {}),
  };
}
