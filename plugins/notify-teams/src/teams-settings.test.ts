import { describe, expect, it } from 'vitest';
import { sampleMessages } from '@hyperexport/notify-kit';
import type { NotifyMessage } from '@hyperexport/notify-kit';
import { ADAPTIVE_CARD_CONTENT_TYPE, teamsPayload } from './teams-card.ts';
import { parseTeamsUrl } from './teams-settings.ts';

describe('teams URLs', () => {
  it('take the whole Workflows URL from a variable or a file', () => {
    expect(parseTeamsUrl('teams://env:TEAMS_WEBHOOK_URL?cardVersion=1.5')).toMatchObject({ webhookUrl: 'env:TEAMS_WEBHOOK_URL', cardVersion: '1.5' });
  });

  it('accept teams+https with sig as a reference, keeping the other parameters on the endpoint', () => {
    const settings = parseTeamsUrl(
      'teams+https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=env:TEAMS_SIG&events=failed',
    );
    expect(settings.events).toEqual(['failed']);
    const url = new URL(settings.webhookUrl!);
    expect(url.origin).toBe('https://prod-01.westeurope.logic.azure.com');
    expect(url.pathname).toBe('/workflows/abc/triggers/manual/paths/invoke');
    expect(url.searchParams.get('api-version')).toBe('2016-06-01');
    expect(url.searchParams.get('sp')).toBe('/triggers/manual/run');
    expect(url.searchParams.get('sig')).toBe('env:TEAMS_SIG');
    expect(url.searchParams.has('events')).toBe(false);
  });

  it('refuse a literal sig and a literal teams:// target', () => {
    expect(() => parseTeamsUrl('teams+https://x.logic.azure.com/workflows/abc/invoke?api-version=1&sig=LITERALSIGNATURE')).toThrow(
      /the sig= value of the Teams webhook URL is a secret/,
    );
    expect(() => parseTeamsUrl('teams://x.logic.azure.com/workflows/abc')).toThrow(
      'the Teams webhook URL must not be written into a teams:// URL on the command line',
    );
    expect(() => parseTeamsUrl('teams://env:X?cardVersion=2.0')).toThrow('cardVersion=2.0 is not 1.4 or 1.5');
  });
});

describe('Teams payload', () => {
  it('is a message with one Adaptive Card attachment', () => {
    const [, , completed] = sampleMessages() as [NotifyMessage, NotifyMessage, NotifyMessage];
    const payload = teamsPayload(completed, '1.5') as {
      type: string;
      attachments: { contentType: string; content: { type: string; version: string; body: { type: string; facts?: { title: string; value: string }[] }[] } }[];
    };
    expect(payload.type).toBe('message');
    expect(payload.attachments).toHaveLength(1);
    expect(payload.attachments[0]!.contentType).toBe(ADAPTIVE_CARD_CONTENT_TYPE);
    const card = payload.attachments[0]!.content;
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.5' });
    expect(card.body[0]).toMatchObject({ type: 'TextBlock', text: 'Export of sample-vm "01" succeeded', color: 'Good' });
    expect(card.body.find((block) => block.type === 'FactSet')?.facts).toContainEqual({ title: 'VM', value: 'sample-vm "01"' });
  });
});
