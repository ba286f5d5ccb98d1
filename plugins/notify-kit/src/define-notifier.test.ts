// defineNotifier: the plugin it declares, and which destinations a job gets from the plugin's
// options and its `--notify` URLs (checked through checkJob, which opens every destination).
import { Exporter, checkJob, definePlugin, t } from '@hyperexport/core';
import type { JobSpec } from '@hyperexport/core';
import { describe, expect, it } from 'vitest';
import { commonOptionShape } from './common-options.ts';
import type { CommonSettings } from './common-options.ts';
import { defineNotifier } from './define-notifier.ts';
import { Redactor } from './redactor.ts';

const fakeSource = definePlugin({
  name: 'fake-source',
  version: '0.0.0',
  setup(exporter) {
    exporter.hooks.inspect.tap('fake-source', (job) => ({ name: job.spec.vm!, committedBytes: 0 }));
  },
});

interface ChatSettings extends CommonSettings {
  readonly webhookUrl?: string | undefined;
  readonly channel?: string | undefined;
}

const chatOptions = t.isObject({ webhookUrl: t.isOptional(t.isString()), channel: t.isOptional(t.isString()), ...commonOptionShape() });

interface Opened {
  readonly origin: string;
  readonly settings: ChatSettings;
}

/** `chat://NAME?channel=C` is the webhook URL in $NAME; every destination opened is recorded. */
function notifyChat(opened: Opened[]) {
  return defineNotifier({
    name: 'notify-chat',
    version: '1.2.3',
    description: 'chat notifications, for the test',
    provides: ['notify:chat'],
    schemes: ['chat'],
    options: chatOptions,
    destination: 'webhookUrl',
    parseUrl(url: string): ChatSettings {
      const parsed = new URL(url);
      return { webhookUrl: `env:${parsed.hostname.toUpperCase()}`, channel: parsed.searchParams.get('channel') ?? undefined };
    },
    async open(settings, context) {
      opened.push({ origin: context.origin, settings });
      return { label: `chat (${settings.webhookUrl})`, events: new Set(), maxSendMs: 1000, redactor: new Redactor(), send: async () => undefined };
    },
  });
}

const spec = (notify: string[]): JobSpec => ({ vm: 'web01', format: 'ovf', parallel: 1, overwrite: false, extra: { notify } });

async function destinationsOf(options: t.InferType<typeof chatOptions> | undefined, urls: string[]): Promise<Opened[]> {
  const opened: Opened[] = [];
  const exporter = await Exporter.create([fakeSource(), notifyChat(opened)(options)]);
  const { issues } = await checkJob(exporter, spec(urls));
  expect(issues).toEqual([]);
  return opened.sort((a, b) => a.origin.localeCompare(b.origin));
}

describe('defineNotifier', () => {
  it('declares a plugin with the notify setting (--notify, a profile key)', () => {
    const { definition } = notifyChat([]);
    expect(definition).toMatchObject({
      name: 'notify-chat',
      version: '1.2.3',
      description: 'chat notifications, for the test',
      provides: ['notify:chat'],
      settings: { notify: { kind: 'list', profile: true } },
    });
  });

  it('does nothing without its destination option or a --notify URL of its scheme', async () => {
    expect(await destinationsOf(undefined, [])).toEqual([]);
    expect(await destinationsOf({ channel: '#ops' }, [])).toEqual([]);
  });

  it('takes options with the destination option as a destination of their own', async () => {
    expect(await destinationsOf({ webhookUrl: 'env:HOOK', channel: '#ops' }, [])).toEqual([
      { origin: 'config', settings: { webhookUrl: 'env:HOOK', channel: '#ops' } },
    ]);
  });

  it('lays the other options under each --notify URL: what the URL gives wins', async () => {
    const opened = await destinationsOf({ webhookUrl: 'env:HOOK', channel: '#ops', maxAttempts: 2 }, ['chat://alerts', 'chat://backups?channel=%23backups']);
    expect(opened.map(({ settings }) => settings)).toEqual([
      { webhookUrl: 'env:ALERTS', channel: '#ops', maxAttempts: 2 },
      { webhookUrl: 'env:BACKUPS', channel: '#backups', maxAttempts: 2 },
      { webhookUrl: 'env:HOOK', channel: '#ops', maxAttempts: 2 },
    ]);
    expect(opened.map(({ origin }) => origin)).toContain('config');
  });
});
