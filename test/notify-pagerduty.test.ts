// notify-pagerduty end to end: a failed export of a VM triggers an incident, the next successful
// export of the same VM resolves it with the same dedup_key, and the state that links the two
// survives between runs (and never holds the routing key).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Exporter, runJob } from '@hyperexport/core';
import type { JobSpec } from '@hyperexport/core';
import notifyPagerDuty, { routingKeyFingerprint } from '@hyperexport/notify-pagerduty';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';
import { WebhookReceiver } from './support/webhook-receiver.ts';

const ROUTING_KEY = 'R0UT1NGKEYhxTEST0123456789abcdef';
const ENV = 'HX_TEST_PD_ROUTING_KEY';
const ENQUEUE = '/v2/enqueue';

let work: string;
let vm: MadeVm;
let receiver: WebhookReceiver;
let notADirectory: string;
let runs = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'notify-pagerduty-'));
  vm = await makeVmFolder(join(work, 'vms', 'erp01'), 'erp01', [1]);
  notADirectory = join(work, 'a-file');
  await writeFile(notADirectory, 'x');
  receiver = await WebhookReceiver.start();
  process.env[ENV] = ROUTING_KEY;
});

afterAll(async () => {
  delete process.env[ENV];
  await receiver.close();
  await rm(work, { recursive: true, force: true });
});

beforeEach(() => {
  receiver.clear();
  receiver.always(ENQUEUE, { status: 202, body: '{"status":"success","message":"Event processed"}' });
});

const spec = (notify: string[], output = join(work, `out-${++runs}`)): JobSpec => ({
  source: vm.directory,
  output,
  format: 'ova',
  parallel: 2,
  overwrite: false,
  extra: { notify },
});

interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger' | 'resolve';
  dedup_key: string;
  payload?: { summary: string; source: string; severity: string; component: string; custom_details: Record<string, unknown> };
}

describe('notify-pagerduty', () => {
  it('triggers on failure and resolves on the next success of the same VM, with one dedup_key', async () => {
    const stateFile = join(work, 'state', 'pagerduty.json');
    const url = `pagerduty://env:${ENV}?severity=critical&endpoint=${encodeURIComponent(`${receiver.url}${ENQUEUE}`)}&stateFile=${encodeURIComponent(stateFile)}`;
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifyPagerDuty()]);

    const failed = await runJob(exporter, spec([url], notADirectory));
    expect(failed.status).toBe('failed');
    const [trigger] = receiver.received(ENQUEUE).map((request) => JSON.parse(request.body) as PagerDutyEvent);
    expect(trigger).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: `hyperexport:${vm.directory}`,
      payload: {
        severity: 'critical',
        component: 'erp01',
        summary: `HyperExport: export of erp01 failed: output directory ${notADirectory} is not a directory`,
      },
    });
    expect(trigger!.payload!.custom_details).toMatchObject({ job_id: failed.id, hint: 'choose another --output or fix its permissions' });
    const state = await readFile(stateFile, 'utf8');
    expect(JSON.parse(state)).toMatchObject({
      version: 1,
      triggered: { [`${routingKeyFingerprint(ROUTING_KEY)}:hyperexport:${vm.directory}`]: { vm: 'erp01', jobId: failed.id } },
    });
    expect(state).not.toContain(ROUTING_KEY);

    // A second failure updates the same incident (same dedup_key), it does not open another.
    await runJob(exporter, spec([url], notADirectory));
    expect(receiver.received(ENQUEUE).map((request) => (JSON.parse(request.body) as PagerDutyEvent).dedup_key)).toEqual([
      `hyperexport:${vm.directory}`,
      `hyperexport:${vm.directory}`,
    ]);

    receiver.clear();
    receiver.always(ENQUEUE, { status: 202, body: '{"status":"success"}' });
    const succeeded = await runJob(exporter, spec([url]));
    expect(succeeded.status).toBe('succeeded');
    const events = receiver.received(ENQUEUE).map((request) => JSON.parse(request.body) as PagerDutyEvent);
    expect(events).toEqual([{ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: `hyperexport:${vm.directory}` }]);
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toEqual({ version: 1, triggered: {} });

    // Nothing is open any more: the next success sends nothing.
    receiver.clear();
    expect((await runJob(exporter, spec([url]))).status).toBe('succeeded');
    expect(receiver.requests).toEqual([]);
  });

  it('resolves with the same dedup_key when the failure came before the VM was even found', async () => {
    const stateFile = join(work, 'state-early.json');
    const exporter = await Exporter.create([
      sourceLocal(),
      storeLocal(),
      notifyPagerDuty({ routingKey: `env:${ENV}`, endpoint: `${receiver.url}${ENQUEUE}`, stateFile }),
    ]);
    const missing = join(work, 'vms', 'late01');
    const failed = await runJob(exporter, { ...spec([]), source: missing });
    expect(failed.status).toBe('failed');
    expect(failed.vmName).toBeUndefined();
    await makeVmFolder(missing, 'late01', [1]);
    const succeeded = await runJob(exporter, { ...spec([]), source: missing });
    expect(succeeded.status).toBe('succeeded');
    const events = receiver.received(ENQUEUE).map((request) => JSON.parse(request.body) as PagerDutyEvent);
    expect(events.map((event) => [event.event_action, event.dedup_key])).toEqual([
      ['trigger', `hyperexport:${missing}`],
      ['resolve', `hyperexport:${missing}`],
    ]);
  });

  it('keeps the incident open (and warns without the key) when the resolve cannot be delivered', async () => {
    const stateFile = join(work, 'state-2.json');
    const exporter = await Exporter.create([
      sourceLocal(),
      storeLocal(),
      notifyPagerDuty({ routingKey: `env:${ENV}`, endpoint: `${receiver.url}${ENQUEUE}`, stateFile, maxElapsedMs: 1500 }),
    ]);
    expect((await runJob(exporter, spec([], notADirectory))).status).toBe('failed');
    expect(existsSync(stateFile)).toBe(true);

    receiver.clear();
    receiver.always(ENQUEUE, { status: 400, body: `{"status":"invalid event","errors":["routing_key ${ROUTING_KEY} unknown"]}` });
    const result = await runJob(exporter, spec([]));
    expect(result.status).toBe('succeeded');
    expect(result.warnings.join('\n')).toContain(
      'the completed notification to pagerduty (env:HX_TEST_PD_ROUTING_KEY) was not delivered: HTTP 400 Bad Request',
    );
    expect(result.warnings.join('\n')).not.toContain(ROUTING_KEY);
    expect(Object.keys((JSON.parse(await readFile(stateFile, 'utf8')) as { triggered: object }).triggered)).toHaveLength(1);
  });

  it('refuses a literal routing key on the command line', async () => {
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifyPagerDuty()]);
    const result = await runJob(exporter, spec([`pagerduty://${ROUTING_KEY}`]));
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('the PagerDuty routing key must not be written into a pagerduty:// URL on the command line');
    expect(JSON.stringify(result)).not.toContain(ROUTING_KEY);
    expect(receiver.requests).toEqual([]);
  });
});
