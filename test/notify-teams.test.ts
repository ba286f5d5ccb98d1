// notify-teams end to end: an Adaptive Card reaches a local receiver posing as a Teams Workflows
// webhook; the `sig` credential of the URL comes from the environment.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Exporter, runJob } from '@hyperexport/core';
import type { JobSpec } from '@hyperexport/core';
import notifyTeams from '@hyperexport/notify-teams';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';
import { WebhookReceiver } from './support/webhook-receiver.ts';

const FLOW_PATH = '/workflows/0f1e2d3c/triggers/manual/paths/invoke';
const SIG = 'TeamsSigSecretValue_0123456789abcdef';
const ENV = { url: 'HX_TEST_TEAMS_WEBHOOK_URL', sig: 'HX_TEST_TEAMS_SIG' };

let work: string;
let vm: MadeVm;
let receiver: WebhookReceiver;
let runs = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'notify-teams-'));
  vm = await makeVmFolder(join(work, 'vms', 'file01'), 'file01', [1]);
  receiver = await WebhookReceiver.start();
  process.env[ENV.url] = `${receiver.url}${FLOW_PATH}?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${SIG}`;
  process.env[ENV.sig] = SIG;
});

afterAll(async () => {
  delete process.env[ENV.url];
  delete process.env[ENV.sig];
  await receiver.close();
  await rm(work, { recursive: true, force: true });
});

beforeEach(() => receiver.clear());

const spec = (notify: string[], output = join(work, `out-${++runs}`)): JobSpec => ({
  source: vm.directory,
  output,
  format: 'ova',
  parallel: 2,
  overwrite: false,
  extra: { notify },
});

interface TeamsBody {
  type: string;
  attachments: {
    contentType: string;
    content: { type: string; version: string; body: { type: string; text?: string; color?: string; facts?: { title: string; value: string }[] }[] };
  }[];
}

describe('notify-teams', () => {
  it('posts a message with an Adaptive Card to the Workflows URL from the environment', async () => {
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifyTeams()]);
    const result = await runJob(exporter, spec([`teams://env:${ENV.url}`]));
    expect(result.status).toBe('succeeded');
    const [request] = receiver.received(FLOW_PATH);
    expect(new URL(request!.path, receiver.url).searchParams.get('sig')).toBe(SIG);
    const body = JSON.parse(request!.body) as TeamsBody;
    expect(body.type).toBe('message');
    expect(body.attachments).toHaveLength(1);
    expect(body.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = body.attachments[0]!.content;
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(card.body[0]).toMatchObject({ type: 'TextBlock', text: 'Export of file01 succeeded', color: 'Good' });
    const facts = card.body.find((block) => block.type === 'FactSet')!.facts!;
    expect(facts).toContainEqual({ title: 'VM', value: 'file01' });
    expect(facts).toContainEqual({ title: 'Status', value: 'succeeded' });
  });

  it('takes the sig from the environment in the written-out URL form, and reports a failure in red', async () => {
    const notADirectory = join(work, 'a-file');
    await writeFile(notADirectory, 'x');
    const exporter = await Exporter.create([
      sourceLocal(),
      storeLocal(),
      notifyTeams({ webhookUrl: `${receiver.url}${FLOW_PATH}?api-version=1&sig=env:${ENV.sig}`, cardVersion: '1.5' }),
    ]);
    const result = await runJob(exporter, spec([], notADirectory));
    expect(result.status).toBe('failed');
    const [request] = receiver.received(FLOW_PATH);
    expect(new URL(request!.path, receiver.url).searchParams.get('sig')).toBe(SIG);
    const card = (JSON.parse(request!.body) as TeamsBody).attachments[0]!.content;
    expect(card.version).toBe('1.5');
    expect(card.body[0]).toMatchObject({ text: 'Export of file01 FAILED', color: 'Attention' });
    expect(card.body.some((block) => block.text === `output directory ${notADirectory} is not a directory`)).toBe(true);
  });

  it('warns without the sig when the flow answers 401, and the export succeeds', async () => {
    receiver.always(FLOW_PATH, { status: 401, body: `{"error":{"code":"DirectApiAuthorizationRequired","message":"bad sig ${SIG}"}}` });
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifyTeams({ webhookUrl: `env:${ENV.url}` })]);
    const result = await runJob(exporter, spec([]));
    expect(result.status).toBe('succeeded');
    const warnings = result.warnings.join('\n');
    expect(warnings).toContain(`the completed notification to teams (env:${ENV.url}) was not delivered: HTTP 401 Unauthorized`);
    expect(warnings).toContain('bad sig ***');
    expect(warnings).not.toContain(SIG);
  });
});
