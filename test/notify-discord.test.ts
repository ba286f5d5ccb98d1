// notify-discord end to end: embeds coloured by status reach a local receiver posing as Discord,
// and a 429 answer's JSON `retry_after` is waited out before the next attempt.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Exporter, runJob } from '@hyperexport/core';
import type { JobSpec } from '@hyperexport/core';
import notifyDiscord, { DISCORD_COLORS } from '@hyperexport/notify-discord';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';
import { WebhookReceiver } from './support/webhook-receiver.ts';

const HOOK_PATH = '/api/webhooks/123456789012345678/DiscordTokenSecretPart-abcdefghijklmnop';
const ENV = 'HX_TEST_DISCORD_WEBHOOK_URL';

let work: string;
let vm: MadeVm;
let receiver: WebhookReceiver;
let runs = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'notify-discord-'));
  vm = await makeVmFolder(join(work, 'vms', 'app01'), 'app01', [1]);
  receiver = await WebhookReceiver.start();
  process.env[ENV] = `${receiver.url}${HOOK_PATH}`;
});

afterAll(async () => {
  delete process.env[ENV];
  await receiver.close();
  await rm(work, { recursive: true, force: true });
});

beforeEach(() => receiver.clear());

const spec = (notify: string[]): JobSpec => ({
  source: vm.directory,
  output: join(work, `out-${++runs}`),
  format: 'ova',
  parallel: 2,
  overwrite: false,
  extra: { notify },
});

interface DiscordBody {
  username?: string;
  allowed_mentions: { parse: string[] };
  embeds: {
    title: string;
    description: string;
    color: number;
    fields: { name: string; value: string; inline: boolean }[];
    timestamp: string;
    footer: { text: string };
  }[];
}

describe('notify-discord', () => {
  it('posts one embed, green for a success, with the facts as fields', async () => {
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifyDiscord({ username: 'HyperExport' })]);
    const result = await runJob(exporter, spec([`discord://env:${ENV}`]));
    expect(result.status).toBe('succeeded');
    const body = JSON.parse(receiver.received(HOOK_PATH)[0]!.body) as DiscordBody;
    expect(body.username).toBe('HyperExport');
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.embeds).toHaveLength(1);
    const [embed] = body.embeds;
    expect(embed!.color).toBe(DISCORD_COLORS.succeeded);
    expect(embed!.title).toBe('✅ Export of app01 succeeded');
    expect(embed!.timestamp).toBe(result.finishedAt);
    expect(embed!.fields).toContainEqual({ name: 'VM', value: 'app01', inline: true });
    expect(embed!.fields.find((field) => field.name === 'Destination')).toMatchObject({ inline: false });
  });

  it("waits out a 429's JSON retry_after, then delivers", async () => {
    receiver.script(
      HOOK_PATH,
      { status: 429, body: JSON.stringify({ message: 'You are being rate limited.', retry_after: 2.5, global: false }) },
      { status: 204 },
    );
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifyDiscord({ webhookUrl: `env:${ENV}` })]);
    const result = await runJob(exporter, spec([]));
    expect(result.status).toBe('succeeded');
    expect(result.warnings).toEqual([]);
    const attempts = receiver.received(HOOK_PATH);
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.body).toBe(attempts[0]!.body);
    // Longer than the first backoff (at most 1 s): only the body's retry_after explains the wait.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(2450);
  });

  it('gives up, with a warning, when the wait asked for is beyond maxElapsedMs', async () => {
    receiver.always(HOOK_PATH, { status: 429, body: JSON.stringify({ message: 'rate limited', retry_after: 120, global: true }) });
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifyDiscord({ webhookUrl: `env:${ENV}`, maxElapsedMs: 10_000 })]);
    const result = await runJob(exporter, spec([]));
    expect(result.status).toBe('succeeded');
    expect(receiver.received(HOOK_PATH)).toHaveLength(1);
    expect(result.warnings.join('\n')).toContain('the server asked to wait 120.0 s, beyond maxElapsedMs 10000');
    expect(result.warnings.join('\n')).not.toContain('DiscordTokenSecretPart');
  });
});
