import { describe, expect, it } from 'vitest';
import { sampleMessages } from '@hyperexport/notify-kit';
import type { NotifyMessage } from '@hyperexport/notify-kit';
import { DISCORD_COLORS, discordPayload, escapeDiscordMarkdown } from './discord-payload.ts';
import { parseDiscordUrl } from './discord-settings.ts';

describe('discord:// URLs', () => {
  it('take the webhook URL from a variable or a file', () => {
    expect(parseDiscordUrl('discord://env:DISCORD_WEBHOOK_URL?username=bot&events=completed,failed')).toMatchObject({
      webhookUrl: 'env:DISCORD_WEBHOOK_URL',
      username: 'bot',
      events: ['completed', 'failed'],
    });
    expect(parseDiscordUrl('discord://file:/etc/discord').webhookUrl).toBe('file:/etc/discord');
  });

  it('refuse the id/token form (the token is the secret)', () => {
    expect(() => parseDiscordUrl('discord://123456789/AbCdEfGhIjKlMnOp')).toThrow(
      'the Discord webhook URL must not be written into a discord:// URL on the command line',
    );
  });
});

describe('Discord payload', () => {
  it('is one embed coloured by status, with mentions switched off', () => {
    const [, , completed, failed] = sampleMessages() as [NotifyMessage, NotifyMessage, NotifyMessage, NotifyMessage];
    const ok = discordPayload(completed, { username: 'bot' }) as {
      username: string;
      allowed_mentions: unknown;
      embeds: { color: number; title: string; fields: { name: string; inline: boolean }[] }[];
    };
    expect(ok.username).toBe('bot');
    expect(ok.allowed_mentions).toEqual({ parse: [] });
    expect(ok.embeds).toHaveLength(1);
    expect(ok.embeds[0]!.color).toBe(DISCORD_COLORS.succeeded);
    expect(ok.embeds[0]!.title).toBe('✅ Export of sample-vm "01" succeeded');
    expect(ok.embeds[0]!.fields.find((field) => field.name === 'Destination')?.inline).toBe(false);
    expect((discordPayload(failed) as { embeds: { color: number }[] }).embeds[0]!.color).toBe(DISCORD_COLORS.failed);
  });

  it('stays within the embed limits for a huge error', () => {
    const [, , , failed] = sampleMessages() as [NotifyMessage, NotifyMessage, NotifyMessage, NotifyMessage];
    const huge = { ...failed, error: { message: 'x'.repeat(10_000) }, warnings: Array.from({ length: 50 }, () => 'w'.repeat(900)) };
    const embed = (
      discordPayload(huge) as { embeds: { title: string; description: string; footer: { text: string }; fields: { name: string; value: string }[] }[] }
    ).embeds[0]!;
    const total =
      embed.title.length +
      embed.description.length +
      embed.footer.text.length +
      embed.fields.reduce((sum, field) => sum + field.name.length + field.value.length, 0);
    expect(total).toBeLessThanOrEqual(6000);
    expect(embed.description.length).toBeLessThanOrEqual(4096);
    for (const field of embed.fields) expect(field.value.length).toBeLessThanOrEqual(1024);
  });

  it('escapes markdown so names show as written', () => {
    expect(escapeDiscordMarkdown('web_01 *prod* `x` ||y||')).toBe('web\\_01 \\*prod\\* \\`x\\` \\|\\|y\\|\\|');
  });
});
