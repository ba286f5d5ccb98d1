// notify-webhook end to end: real exports (source-local → store-local) whose events reach a local
// HTTP receiver, which checks the Standard Webhooks signature with its own HMAC; retries against
// 500 → 429 Retry-After → 200; a dead endpoint leaves the export successful with a warning.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Exporter, runJob } from '@hyperexport/core';
import type { JobSpec } from '@hyperexport/core';
import history from '@hyperexport/history';
import notifyWebhook from '@hyperexport/notify-webhook';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';
import { WebhookReceiver, verifyStandardWebhook } from './support/webhook-receiver.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ENV = { secret: 'HX_TEST_WEBHOOK_SECRET', auth: 'HX_TEST_WEBHOOK_AUTH' };

let work: string;
let vm: MadeVm;
let receiver: WebhookReceiver;
let runs = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'notify-webhook-'));
  vm = await makeVmFolder(join(work, 'vms', 'web01'), 'web01', [1]);
  receiver = await WebhookReceiver.start();
  process.env[ENV.secret] = SECRET;
  process.env[ENV.auth] = 'Bearer sekr1t-bearer-token';
});

afterAll(async () => {
  delete process.env[ENV.secret];
  delete process.env[ENV.auth];
  await receiver.close();
  await rm(work, { recursive: true, force: true });
});

beforeEach(() => receiver.clear());

/** A fresh output folder per run, so runs never collide with an earlier export. */
function spec(notify: string[], overrides: Partial<JobSpec> = {}): JobSpec {
  return { source: vm.directory, output: join(work, `out-${++runs}`), format: 'ova', parallel: 2, overwrite: false, extra: { notify }, ...overrides };
}

describe('notify-webhook', () => {
  it('delivers started and completed, signed, from a --notify URL to the plugin loaded without options', async () => {
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifyWebhook()]);
    const result = await runJob(exporter, spec([`webhook+http://${receiver.url.slice(7)}/hook?secret=env:${ENV.secret}&events=started,completed,failed`]));
    expect(result.status).toBe('succeeded');
    const requests = receiver.received('/hook');
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      expect(request.method).toBe('POST');
      expect(request.headers['content-type']).toBe('application/json');
      expect(verifyStandardWebhook(SECRET, request)).toBe('valid');
      // The receiver's check fails when the body or the secret differ: the verdict means something.
      expect(verifyStandardWebhook(SECRET, { ...request, body: `${request.body} ` })).toBe('bad-signature');
      expect(verifyStandardWebhook('whsec_b3RoZXItc2VjcmV0LW9mLTI0LWJ5dGVzISE=', request)).toBe('bad-signature');
    }
    const [started, completed] = requests.map((request) => JSON.parse(request.body) as { type: string; data: Record<string, unknown> });
    expect(started).toMatchObject({ type: 'export.started', data: { event: 'started', status: 'started', jobId: result.id } });
    expect(completed).toMatchObject({
      type: 'export.completed',
      data: { event: 'completed', status: 'succeeded', vm: 'web01', jobId: result.id, bytesRead: result.bytesRead, locations: result.locations, format: 'ova' },
    });
    expect(requests[0]!.headers['webhook-id']).not.toBe(requests[1]!.headers['webhook-id']);
  });

  it('fills a JSON template and sends the configured headers, a credential header from the environment', async () => {
    const template = join(work, 'body.json');
    await writeFile(template, '{"text": "{{vm}} {{status}} in {{duration}}", "vm": {{vm}}, "bytes": {{bytesRead}}, "error": {{error}}}\n');
    const exporter = await Exporter.create([
      sourceLocal(),
      storeLocal(),
      notifyWebhook({
        url: `${receiver.url}/templated?team=ops`,
        template: `file:${template}`,
        headers: { 'X-Team': 'ops', Authorization: `env:${ENV.auth}` },
        events: ['completed'],
      }),
    ]);
    const result = await runJob(exporter, spec([]));
    expect(result.status).toBe('succeeded');
    const [request] = receiver.received('/templated');
    expect(request!.path).toBe('/templated?team=ops');
    expect(request!.headers['x-team']).toBe('ops');
    expect(request!.headers.authorization).toBe('Bearer sekr1t-bearer-token');
    // Unsigned (no secret) but still identified.
    expect(request!.headers['webhook-id']).toMatch(/^msg_/);
    expect(request!.headers['webhook-signature']).toBeUndefined();
    const body = JSON.parse(request!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ vm: 'web01', bytes: result.bytesRead, error: '' });
    expect(body.text).toMatch(/^web01 succeeded in /);
  });

  it('retries 500, then waits out 429 Retry-After, then delivers: same id, a valid signature each time', async () => {
    // 3 s: longer than any backoff after a second attempt (at most 2 s), so only obeying the header explains the wait.
    receiver.script('/flaky', { status: 500, body: 'boom' }, { status: 429, headers: { 'retry-after': '3' }, body: 'slow down' }, { status: 200 });
    const exporter = await Exporter.create([
      sourceLocal(),
      storeLocal(),
      notifyWebhook({
        url: `${receiver.url}/flaky`,
        secret: `env:${ENV.secret}`,
        events: ['completed'],
        maxAttempts: 5,
        maxElapsedMs: 30_000,
      }),
    ]);
    const result = await runJob(exporter, spec([]));
    expect(result.status).toBe('succeeded');
    expect(result.warnings).toEqual([]);
    const attempts = receiver.received('/flaky');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((attempt) => attempt.headers['webhook-id'])).size).toBe(1);
    for (const attempt of attempts) expect(verifyStandardWebhook(SECRET, attempt)).toBe('valid');
    expect(new Set(attempts.map((attempt) => attempt.body)).size).toBe(1);
    // The third attempt came no sooner than the second answer asked (3 s).
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(2950);
    expect(Number(attempts[2]!.headers['webhook-timestamp'])).toBeGreaterThanOrEqual(Number(attempts[1]!.headers['webhook-timestamp']));
  });

  it('leaves the export successful, with a warning without secrets, when the endpoint keeps failing', async () => {
    receiver.always('/down', { status: 500, body: 'still broken' });
    const historyPath = join(work, 'history.jsonl');
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifyWebhook(), history({ path: historyPath })]);
    const result = await runJob(exporter, spec([`webhook+http://${receiver.url.slice(7)}/down?secret=env:${ENV.secret}&maxElapsedMs=1500&timeoutMs=1000`]));
    expect(result.status).toBe('succeeded');
    expect(existsSync(result.locations[0]!)).toBe(true);
    expect(receiver.received('/down').length).toBeGreaterThanOrEqual(2);
    const warning = result.warnings.find((text) => text.includes('not delivered'));
    expect(warning).toMatch(
      /^\[notify-webhook\] the completed notification to webhook \(http:\/\/127\.0\.0\.1:\d+\/\*\*\*\) was not delivered: HTTP 500 Internal Server Error: still broken; gave up after \d attempts/,
    );
    expect(result.warnings.join('\n')).not.toContain(SECRET.slice(6));
    // The history, written at the job's end, counts the warning: deliveries settle before it.
    const recorded = (await readFile(historyPath, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; warnings: number });
    expect(recorded.find((entry) => entry.id === result.id)?.warnings).toBe(result.warnings.length);
    expect(result.warnings.length).toBeGreaterThan(0);
  });

  it('leaves the export successful when nothing listens at the endpoint', async () => {
    const closed = await WebhookReceiver.start();
    const url = `${closed.url}/gone`;
    await closed.close();
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifyWebhook({ url, maxElapsedMs: 1500, events: ['completed'] })]);
    const result = await runJob(exporter, spec([]));
    expect(result.status).toBe('succeeded');
    expect(result.warnings.join('\n')).toMatch(/was not delivered: fetch failed: ECONNREFUSED/);
  });

  it('fails the checks, before any byte moves, for a missing variable or a bad template', async () => {
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifyWebhook()]);
    const missing = await runJob(exporter, spec([`webhook+http://${receiver.url.slice(7)}/x?secret=env:HX_TEST_NOT_SET`]));
    expect(missing.status).toBe('failed');
    expect(missing.error?.code).toBe('VALIDATION');
    expect(missing.error?.message).toContain('the environment variable HX_TEST_NOT_SET (the webhook signing secret) is not set');
    expect(missing.bytesRead).toBe(0);

    const badTemplate = await Exporter.create([
      sourceLocal(),
      storeLocal(),
      notifyWebhook({ url: `${receiver.url}/x`, template: '{"vm": "{{vm}}", "size": {{sise}}}' }),
    ]);
    const result = await runJob(badTemplate, spec([]));
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('the webhook template uses unknown placeholder {{sise}}');
    expect(receiver.received('/x')).toEqual([]);
  });

  it('refuses a literal signing secret on the command line without repeating it', async () => {
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifyWebhook()]);
    const result = await runJob(exporter, spec([`webhook+http://${receiver.url.slice(7)}/x?secret=${SECRET}`]));
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('the signing secret must not be written into a webhook+http:// URL on the command line');
    // A usage error (exit 2 in the CLI), with the way to pass the secret as its hint.
    expect(result.error?.code).toBe('CONFIG');
    expect(result.error?.hint).toContain('secret=env:NAME');
    expect(JSON.stringify(result)).not.toContain(SECRET.slice(6));
  });
});
