import { Readable, Writable } from 'node:stream';
import { ConfigError, Exporter, definePlugin, runJob } from '@hyperexport/core';
import type { ExportSink, JobSpec } from '@hyperexport/core';
import { describe, expect, it } from 'vitest';
import { attachNotifier } from './dispatcher.ts';
import type { Notifier } from './dispatcher.ts';
import type { NotifyEventKind } from './event-selection.ts';
import type { NotifyMessage } from './message.ts';
import { Redactor } from './redactor.ts';
import { NOTIFY_SETTINGS } from './notify-settings.ts';

// A source of two 1 MiB disks that fails for VMs named `fail-*`, and a sink that discards bytes.
const fakeVm = definePlugin({
  name: 'fake-vm',
  version: '0.0.0',
  setup(exporter) {
    const disk = Buffer.alloc(1 << 20, 7);
    exporter.hooks.inspect.tap('fake-vm', (job) => ({ name: job.spec.vm!, committedBytes: 2 * disk.length }));
    exporter.hooks.download.tap('fake-vm', (job) => {
      const vm = job.spec.vm!;
      if (vm.startsWith('fail')) throw new Error(`cannot read ${vm}`);
      const file = (name: string) => ({
        name,
        size: disk.length,
        rereadable: true,
        open: async () => Readable.from([disk.subarray(0, 1 << 19), disk.subarray(1 << 19)]),
      });
      return {
        kind: 'fake',
        vmName: vm,
        files: [file(`${vm}.vmdk`), file(`${vm}_1.vmdk`)],
        descriptor: async () => '<Envelope/>',
        complete: async () => undefined,
        abort: async () => undefined,
      };
    });
    exporter.hooks.store.tap('fake-vm', (targets) => {
      const sink: ExportSink = {
        description: 'null',
        prepare: async () => undefined,
        createFile: async (artifact) => ({
          stream: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
          finish: async () => `null:///${artifact.name}`,
        }),
        commit: async () => ['null:///'],
        abort: async () => undefined,
      };
      targets.add(sink);
    });
  },
});

const spec = (vm: string, notify: string[] = []): JobSpec => ({ vm, format: 'ovf', parallel: 1, overwrite: false, extra: { notify } });

interface TestSettings {
  readonly name: string;
  readonly events: readonly NotifyEventKind[];
  readonly send: (message: NotifyMessage, signal: AbortSignal) => Promise<void>;
  readonly secret?: string;
  readonly maxSendMs?: number;
  readonly percentStep?: number;
}

/** A notifier plugin whose destinations are test functions; `test://NAME` URLs pick them. */
function testNotifier(destinations: Record<string, TestSettings>, configured?: TestSettings, extra: { hooks?: (exporter: Exporter) => void } = {}) {
  return definePlugin({
    name: 'notify-test',
    version: '0.0.0',
    settings: NOTIFY_SETTINGS,
    setup(exporter) {
      extra.hooks?.(exporter);
      attachNotifier<TestSettings>(
        exporter,
        {
          plugin: 'notify-test',
          schemes: ['test'],
          configured,
          parseUrl(url) {
            const name = url.slice('test://'.length);
            const settings = destinations[name];
            if (!settings) throw new ConfigError(`no destination ${name}`, { hint: 'use a known one' });
            return settings;
          },
          async open(settings): Promise<Notifier> {
            return {
              label: `test (${settings.name})`,
              events: new Set(settings.events),
              progress: { percentStep: settings.percentStep ?? 25, intervalSeconds: 3600 },
              maxSendMs: settings.maxSendMs ?? 1000,
              redactor: new Redactor().add(settings.secret),
              send: settings.send,
            };
          },
        },
        { drainMarginMs: 100 },
      );
    },
  })();
}

describe('attachNotifier', () => {
  it('sends started and completed in order, from the config and from --notify URLs', async () => {
    const seen: string[] = [];
    const record = (who: string) => async (message: NotifyMessage) => void seen.push(`${who}:${message.event}:${message.vm}`);
    const exporter = await Exporter.create([
      fakeVm(),
      testNotifier(
        { url: { name: 'url', events: ['completed', 'failed'], send: record('url') } },
        { name: 'config', events: ['started', 'completed'], send: record('config') },
      ),
    ]);
    const result = await runJob(exporter, spec('web01', ['test://url']));
    expect(result.status).toBe('succeeded');
    expect(seen.filter((entry) => entry.startsWith('config'))).toEqual(['config:started:web01', 'config:completed:web01']);
    expect(seen.filter((entry) => entry.startsWith('url'))).toEqual(['url:completed:web01']);
  });

  it('refuses a --notify URL whose scheme no loaded notifier handles, before the export runs', async () => {
    const seen: string[] = [];
    const exporter = await Exporter.create([
      fakeVm(),
      testNotifier({ url: { name: 'url', events: ['completed', 'failed'], send: async () => void seen.push('sent') } }),
    ]);
    const result = await runJob(exporter, spec('web01', ['test://url', 'other://somewhere.example.com']));
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/no notifier handles other:\/\/somewhere\.example\.com; schemes handled: test/);
  });

  it('does not hold the export up: the job ends while a delivery is still on its way, and runJob waits for it', async () => {
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    let delivered = false;
    const order: string[] = [];
    const exporter = await Exporter.create([
      fakeVm(),
      testNotifier(
        {},
        {
          name: 'slow',
          events: ['completed'],
          send: async () => {
            await gate;
            delivered = true;
            order.push('delivered');
          },
        },
        {
          // If the notify hook awaited the delivery, jobEnd would never run and nothing would open the gate.
          hooks: (exporter) =>
            exporter.hooks.jobEnd.tap('gatekeeper', () => {
              order.push('jobEnd');
              openGate();
            }),
        },
      ),
    ]);
    const result = await runJob(exporter, spec('web01'));
    expect(result.status).toBe('succeeded');
    expect(delivered).toBe(true);
    expect(order).toEqual(['jobEnd', 'delivered']);
  });

  it('turns a failed delivery into a warning without secrets, and the export still succeeds', async () => {
    const secret = 'https://hooks.example.com/services/T123/B456/verysecrettoken1234';
    const exporter = await Exporter.create([
      fakeVm(),
      testNotifier(
        {},
        {
          name: 'broken',
          events: ['completed'],
          secret,
          send: async () => {
            throw new Error(`POST ${secret} failed: HTTP 500`);
          },
        },
      ),
    ]);
    const result = await runJob(exporter, spec('web01'));
    expect(result.status).toBe('succeeded');
    const warning = result.warnings.find((text) => text.includes('notification'));
    expect(warning).toBe(
      '[notify-test] the completed notification to test (broken) was not delivered: POST *** failed: HTTP 500; the export itself is not affected',
    );
    expect(result.warnings.join('\n')).not.toContain('verysecrettoken');
  });

  it('reports a --notify URL it cannot parse as a usage error, before the export runs', async () => {
    const sent: string[] = [];
    const exporter = await Exporter.create([
      fakeVm(),
      testNotifier({ good: { name: 'good', events: ['failed'], send: async (message) => void sent.push(message.event) } }),
    ]);
    const result = await runJob(exporter, spec('web01', ['test://good', 'test://missing']));
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'CONFIG', message: 'test://***: no destination missing', hint: 'use a known one' });
    expect(result.bytesRead).toBe(0);
    // The destinations that do work still hear about the failure.
    expect(sent).toEqual(['failed']);
  });

  it('sends failed for a job that fails, with its error', async () => {
    const messages: NotifyMessage[] = [];
    const exporter = await Exporter.create([
      fakeVm(),
      testNotifier({}, { name: 'all', events: ['completed', 'failed'], send: async (message) => void messages.push(message) }),
    ]);
    const result = await runJob(exporter, spec('fail-01'));
    expect(result.status).toBe('failed');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      event: 'failed',
      status: 'failed',
      vm: 'fail-01',
      error: { message: expect.stringContaining('cannot read fail-01') as string },
    });
  });

  it('sends progress when asked, throttled by percent steps', async () => {
    const messages: NotifyMessage[] = [];
    const exporter = await Exporter.create([
      fakeVm(),
      testNotifier({}, { name: 'progress', events: ['progress'], percentStep: 40, send: async (message) => void messages.push(message) }),
    ]);
    await runJob(exporter, spec('web01'));
    expect(messages.length).toBeGreaterThanOrEqual(1);
    expect(messages.length).toBeLessThanOrEqual(2);
    for (const message of messages) {
      expect(message.event).toBe('progress');
      expect(message.percent).toBeGreaterThanOrEqual(40);
      expect(message.percent).toBeLessThan(100);
    }
  });

  it('abandons a delivery that outlives the deadline, with a warning, so the process can exit', async () => {
    let aborted = false;
    const exporter = await Exporter.create([
      fakeVm(),
      testNotifier(
        {},
        {
          name: 'stuck',
          events: ['completed'],
          maxSendMs: 50,
          send: (_message, signal) =>
            new Promise<void>((_resolve, reject) => {
              signal.addEventListener('abort', () => {
                aborted = true;
                reject(signal.reason);
              });
            }),
        },
      ),
    ]);
    const result = await runJob(exporter, spec('web01'));
    expect(result.status).toBe('succeeded');
    expect(aborted).toBe(true);
    expect(result.warnings.join('\n')).toMatch(/gave up waiting for notifications after \d+ s \(test \(stuck\)\)/);
  });

  it('does nothing for a job without destinations', async () => {
    const sent: string[] = [];
    const exporter = await Exporter.create([fakeVm(), testNotifier({ a: { name: 'a', events: ['completed'], send: async () => void sent.push('a') } })]);
    const result = await runJob(exporter, spec('web01'));
    expect(result.status).toBe('succeeded');
    expect(result.warnings).toEqual([]);
    expect(sent).toEqual([]);
  });
});
