// A --notify URL that no loaded notifier handles fails the checks before any data moves, once,
// whichever notifiers are loaded.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exporter, runJob } from '@hyperexport/core';
import notifySlack from '@hyperexport/notify-slack';
import notifyWebhook from '@hyperexport/notify-webhook';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import { makeVmFolder } from './support/make-vm-folder.ts';

let work: string;
let vmDirectory: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-notify-unhandled-'));
  vmDirectory = (await makeVmFolder(join(work, 'vm'), 'vm1', [1])).directory;
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('--notify URLs no notifier handles', () => {
  it('are refused once, naming the schemes that are handled', async () => {
    const output = join(work, 'out');
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), notifySlack(), notifyWebhook()]);
    const result = await runJob(exporter, {
      source: vmDirectory,
      output,
      format: 'ova',
      parallel: 1,
      overwrite: false,
      extra: { notify: ['mailto://smtp.example.com/?to=ops@example.com', 'slack://env:SLACK_URL_FOR_TEST'] },
    });
    expect(result.status).toBe('failed');
    const message = result.error?.message ?? '';
    expect(message.match(/no notifier handles/g)).toHaveLength(1);
    expect(message).toMatch(/no notifier handles mailto:\/\/smtp\.example\.com/);
    expect(message).toMatch(/schemes handled: .*slack.*webhook\+https/);
    await expect(readdir(output)).rejects.toThrow();
  });
});
