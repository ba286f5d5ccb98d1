import { describe, expect, it } from 'vitest';
import { resolvePlugins } from '@hyperexport/core';
import { sampleMessages } from '@hyperexport/notify-kit';
import type { NotifyMessage } from '@hyperexport/notify-kit';
import notifyPagerDuty from './index.ts';
import { dedupKeyFor, resolveEvent, triggerEvent } from './pagerduty-events.ts';
import { parsePagerDutyUrl } from './pagerduty-settings.ts';

describe('pagerduty:// URLs', () => {
  it('take the routing key from a variable or a file, and the options from the query', () => {
    expect(parsePagerDutyUrl('pagerduty://env:PD_ROUTING_KEY?severity=critical&stateFile=/var/lib/hx/pd.json&dedupKeyPrefix=backup:')).toMatchObject({
      routingKey: 'env:PD_ROUTING_KEY',
      severity: 'critical',
      stateFile: '/var/lib/hx/pd.json',
      dedupKeyPrefix: 'backup:',
    });
    expect(parsePagerDutyUrl('pagerduty://file:/etc/pd-key').routingKey).toBe('file:/etc/pd-key');
  });

  it('refuse a literal routing key, bad severities and events that mean nothing to PagerDuty', () => {
    expect(() => parsePagerDutyUrl('pagerduty://R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12')).toThrow(
      'the PagerDuty routing key must not be written into a pagerduty:// URL on the command line',
    );
    expect(() => parsePagerDutyUrl('pagerduty://env:K?severity=urgent')).toThrow('severity=urgent is not one of critical, error, warning, info');
    expect(() => parsePagerDutyUrl('pagerduty://env:K?events=started')).toThrow('unknown notification event "started"');
  });

  it('refuse the progress options: PagerDuty is never sent progress', () => {
    expect(() => parsePagerDutyUrl('pagerduty://env:K?events=progress')).toThrow('unknown notification event "progress"');
    expect(() => parsePagerDutyUrl('pagerduty://env:K?progressInterval=60')).toThrow('pagerduty://: unknown option progressInterval');
    expect(() => parsePagerDutyUrl('pagerduty://env:K?progressStep=10&severity=info')).toThrow('pagerduty://: unknown option progressStep');
    expect(parsePagerDutyUrl('pagerduty://env:K?timeoutMs=500')).not.toHaveProperty('progress');
  });
});

describe('notify-pagerduty options', () => {
  it('refuse progress like any unknown option, and accept the shared ones', () => {
    // The option type has no `progress` either: a config written in TypeScript is told at once.
    // @ts-expect-error -- progress is not a PagerDuty option
    const { problems } = resolvePlugins([notifyPagerDuty({ routingKey: 'env:K', progress: { intervalSeconds: 60 } })]);
    expect(problems).toEqual([expect.stringContaining('plugin "notify-pagerduty" option "progress" is not a known option')]);
    expect(resolvePlugins([notifyPagerDuty({ routingKey: 'env:K', events: ['failed'], timeoutMs: 500 })]).problems).toEqual([]);
  });
});

describe('PagerDuty events', () => {
  it('trigger and resolve share the dedup_key of the VM', () => {
    const [, , , failed] = sampleMessages() as [NotifyMessage, NotifyMessage, NotifyMessage, NotifyMessage];
    const key = dedupKeyFor('hyperexport:', failed.requested);
    const trigger = triggerEvent(failed, 'RK', key, { severity: 'critical', source: 'backup-host' });
    expect(trigger).toMatchObject({
      routing_key: 'RK',
      event_action: 'trigger',
      dedup_key: 'hyperexport:/dc/vm/sample-vm "01"',
      payload: {
        severity: 'critical',
        source: 'backup-host',
        component: 'sample-vm "01"',
        summary: 'HyperExport: export of sample-vm "01" failed: disk "full" \\ <stop>',
      },
    });
    expect(resolveEvent('RK', key)).toEqual({ routing_key: 'RK', event_action: 'resolve', dedup_key: key });
    expect(dedupKeyFor('p:', 'v'.repeat(400)).length).toBe(255);
  });
});
