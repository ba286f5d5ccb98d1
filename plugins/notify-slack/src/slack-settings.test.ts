import { describe, expect, it } from 'vitest';
import { sampleMessages } from '@hyperexport/notify-kit';
import { slackPayload } from './slack-payload.ts';
import { parseSlackUrl } from './slack-settings.ts';

describe('slack:// URLs', () => {
  it('take the webhook URL from a variable or a file, and the options from the query', () => {
    expect(parseSlackUrl('slack://env:SLACK_WEBHOOK_URL?channel=%23backups&username=backup-bot&events=failed')).toMatchObject({
      webhookUrl: 'env:SLACK_WEBHOOK_URL',
      channel: '#backups',
      username: 'backup-bot',
      events: ['failed'],
    });
    expect(parseSlackUrl('slack://file:/etc/hyperexport/slack%20url').webhookUrl).toBe('file:/etc/hyperexport/slack url');
    expect(parseSlackUrl('slack://@/run/secrets/slack').webhookUrl).toBe('@/run/secrets/slack');
  });

  it('refuse the webhook URL itself, without repeating it, and say how to pass it', () => {
    for (const url of ['slack://hooks.slack.com/services/T0001/B0001/SECRETTOKENVALUE', 'slack://T0001/B0001/SECRETTOKENVALUE']) {
      let error: unknown;
      try {
        parseSlackUrl(url);
      } catch (caught) {
        error = caught;
      }
      expect((error as Error).message).toContain('the Slack webhook URL must not be written into a slack:// URL on the command line');
      expect((error as { hint: string }).hint).toBe(
        'put it in an environment variable and give slack://env:SLACK_WEBHOOK_URL, or in a file only you can read and give slack://file:/path/to/file',
      );
      expect(JSON.stringify({ message: (error as Error).message, hint: (error as { hint: string }).hint })).not.toContain('SECRETTOKENVALUE');
    }
  });

  it('refuse unknown options and an empty target', () => {
    expect(() => parseSlackUrl('slack://env:X?colour=red')).toThrow('slack://: unknown option colour');
    expect(() => parseSlackUrl('slack://')).toThrow('slack:// needs to say where the Slack webhook URL is');
  });
});

describe('Slack payload', () => {
  it('has text plus header, section, fields and context blocks, escaped for mrkdwn', () => {
    const failed = sampleMessages().find((message) => message.event === 'failed')!;
    const payload = slackPayload(failed, { channel: '#ops' }) as {
      text: string;
      channel: string;
      blocks: { type: string; text?: { text: string }; fields?: { text: string }[] }[];
    };
    expect(payload.channel).toBe('#ops');
    expect(payload.text).toContain('Export of sample-vm "01" FAILED');
    expect(payload.blocks.map((block) => block.type)).toEqual(['header', 'section', 'section', 'section', 'section', 'section', 'context']);
    const error = payload.blocks.find((block) => block.text?.text.startsWith('*Error*'));
    expect(error?.text?.text).toBe('*Error*\ndisk "full" \\ &lt;stop&gt;');
    expect(payload.blocks[2]!.fields!.length).toBeLessThanOrEqual(10);
  });
});
