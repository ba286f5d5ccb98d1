// notify-slack end to end: real exports whose outcome reaches a local receiver posing as Slack's
// incoming-webhook endpoint; the webhook URL (the secret) comes from the environment and never
// shows in a warning.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Exporter, runJob } from '@hyperexport/core';
import type { JobSpec } from '@hyperexport/core';
import notifySlack from '@hyperexport/notify-slack';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';
import { WebhookReceiver } from './support/webhook-receiver.ts';

const TOKEN_PATH = '/services/T0HXTEST/B0HXTEST/s3cr3tSlackTokenValue1234';
const ENV = 'HX_TEST_SLACK_WEBHOOK_URL';

let work: string;
let vm: MadeVm;
let receiver: WebhookReceiver;
let runs = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'notify-slack-'));
  vm = await makeVmFolder(join(work, 'vms', 'db01'), 'db01', [1]);
  receiver = await WebhookReceiver.start();
  process.env[ENV] = `${receiver.url}${TOKEN_PATH}`;
});

afterAll(async () => {
  delete process.env[ENV];
  await receiver.close();
  await rm(work, { recursive: true, force: true });
});

beforeEach(() => receiver.clear());

const spec = (notify: string[], output = join(work, `out-${++runs}`)): JobSpec => ({
  source: vm.directory,
  output,
  format: 'ovf',
  parallel: 2,
  overwrite: false,
  extra: { notify },
});

interface SlackBody {
  text: string;
  username?: string;
  blocks: { type: string; text?: { type: string; text: string }; fields?: { type: string; text: string }[]; elements?: unknown[] }[];
}

describe('notify-slack', () => {
  it('posts text plus blocks for a successful export', async () => {
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifySlack()]);
    const result = await runJob(exporter, spec([`slack://env:${ENV}?username=backup-bot`]));
    expect(result.status).toBe('succeeded');
    const [request] = receiver.received(TOKEN_PATH);
    expect(request!.headers['content-type']).toBe('application/json');
    const body = JSON.parse(request!.body) as SlackBody;
    expect(body.username).toBe('backup-bot');
    expect(body.text).toContain('Export of db01 succeeded');
    expect(body.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect(body.blocks.at(-1)).toMatchObject({ type: 'context' });
    const fields = body.blocks.find((block) => block.fields)!.fields!.map((field) => field.text);
    expect(fields).toContain('*VM*\ndb01');
    expect(fields).toContain('*Status*\nsucceeded');
    expect(fields.some((field) => field.startsWith('*Stored*\n'))).toBe(true);
    const destination = body.blocks.find((block) => block.text?.text.startsWith('*Destination*'));
    expect(destination?.text?.text).toBe(`*Destination*\n${result.locations[0]}`);
  });

  it('posts the error and its hint for a failed export', async () => {
    const notADirectory = join(work, 'a-file');
    await writeFile(notADirectory, 'x');
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifySlack({ webhookUrl: `env:${ENV}`, events: ['failed'] })]);
    const result = await runJob(exporter, spec([], notADirectory));
    expect(result.status).toBe('failed');
    const body = JSON.parse(receiver.received(TOKEN_PATH)[0]!.body) as SlackBody;
    expect(body.text).toContain('Export of db01 FAILED');
    const texts = body.blocks.map((block) => block.text?.text ?? '');
    expect(texts).toContain(`*Error*\noutput directory ${notADirectory} is not a directory`);
    expect(texts).toContain('*Hint*\nchoose another --output or fix its permissions');
  });

  it('sends nothing for events not chosen', async () => {
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifySlack({ webhookUrl: `env:${ENV}`, events: ['failed'] })]);
    expect((await runJob(exporter, spec([]))).status).toBe('succeeded');
    expect(receiver.requests).toEqual([]);
  });

  it('warns without the webhook URL when Slack refuses, and the export still succeeds', async () => {
    receiver.always(TOKEN_PATH, { status: 404, body: 'no_service' });
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifySlack()]);
    const result = await runJob(exporter, spec([`slack://env:${ENV}`]));
    expect(result.status).toBe('succeeded');
    expect(receiver.received(TOKEN_PATH)).toHaveLength(1);
    expect(result.warnings).toContain(
      `[notify-slack] the completed notification to slack (env:${ENV}) was not delivered: HTTP 404 Not Found: no_service (not retried); the export itself is not affected`,
    );
    expect(result.warnings.join('\n')).not.toContain('s3cr3tSlackTokenValue1234');
  });

  it('refuses the webhook URL itself on the command line, before the export runs', async () => {
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifySlack()]);
    const result = await runJob(exporter, spec([`slack://hooks.slack.com${TOKEN_PATH}`]));
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('slack://hooks.slack.com/***: the Slack webhook URL must not be written into a slack:// URL on the command line');
    // A usage error (exit 2 in the CLI), with the way to pass the URL as its hint.
    expect(result.error?.code).toBe('CONFIG');
    expect(result.error?.hint).toContain('slack://env:SLACK_WEBHOOK_URL');
    expect(JSON.stringify(result)).not.toContain('s3cr3tSlackTokenValue1234');
    expect(receiver.requests).toEqual([]);
  });
});
