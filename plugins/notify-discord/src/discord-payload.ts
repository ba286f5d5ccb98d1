// A Discord webhook message: one embed coloured by status. Discord's limits: title 256, description
// 4096, 25 fields (name 256, value 1024), 6000 characters across the embed. Mentions are switched
// off (`allowed_mentions`), so a VM name or an error text can never ping @everyone.
import { STATUS_ICON, clip, messageFacts, messageSummary, messageTitle } from '@hyperexport/notify-kit';
import type { NotifyMessage } from '@hyperexport/notify-kit';

export interface DiscordStyle {
  readonly username?: string | undefined;
  readonly avatarUrl?: string | undefined;
}

export const DISCORD_COLORS: Record<NotifyMessage['status'], number> = {
  started: 0x3498db,
  running: 0x3498db,
  succeeded: 0x2ecc71,
  failed: 0xe74c3c,
  cancelled: 0xf1c40f,
};

const EMBED_TOTAL_LIMIT = 6000;

/** Backslash-escapes Discord markdown, so `web_01*` stays as written. */
export function escapeDiscordMarkdown(text: string): string {
  return text.replace(/([\\*_~`|[\]])/g, '\\$1').replace(/^([>#-])/gm, '\\$1');
}

export function discordPayload(message: NotifyMessage, style: DiscordStyle = {}): Record<string, unknown> {
  const title = clip(`${STATUS_ICON[message.status]} ${messageTitle(message)}`, 256);
  const description = clip(escapeDiscordMarkdown(messageSummary(message)), 4096);
  const footer = clip(`HyperExport on ${message.host}`, 2048);
  let budget = EMBED_TOTAL_LIMIT - title.length - description.length - footer.length;
  const fields: { name: string; value: string; inline: boolean }[] = [];
  for (const fact of messageFacts(message).slice(0, 25)) {
    const name = clip(fact.label, 256);
    const value = clip(escapeDiscordMarkdown(fact.value), 1024);
    if (name.length + value.length > budget) break;
    budget -= name.length + value.length;
    fields.push({ name, value, inline: !fact.wide });
  }
  return {
    ...(style.username ? { username: style.username } : {}),
    ...(style.avatarUrl ? { avatar_url: style.avatarUrl } : {}),
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title,
        description,
        color: DISCORD_COLORS[message.status],
        fields,
        timestamp: message.finishedAt ?? new Date().toISOString(),
        footer: { text: footer },
      },
    ],
  };
}
