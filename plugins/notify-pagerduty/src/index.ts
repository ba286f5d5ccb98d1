// notify-pagerduty: opens a PagerDuty incident (Events API v2 `trigger`) when an export fails and
// resolves it when the same VM next exports successfully. Triggered VMs are remembered in a small
// state file, so the resolve also comes from a later run.
// Config: notifyPagerDuty({ routingKey: 'env:PD_ROUTING_KEY', severity: 'critical' });
// CLI:    --notify 'pagerduty://env:PD_ROUTING_KEY?severity=critical'
import { hostname } from 'node:os';
import { ConfigError } from '@hyperexport/core';
import {
  Redactor,
  defineNotifier,
  deliverHttp,
  maxSendMs,
  parseSecretRef,
  resolveSecret,
  retryPolicy,
  selectEvents,
  describeSecretRef,
} from '@hyperexport/notify-kit';
import type { Notifier, OpenContext } from '@hyperexport/notify-kit';
import { dedupKeyFor, resolveEvent, triggerEvent } from './pagerduty-events.ts';
import { PAGERDUTY_EVENTS, PAGERDUTY_EVENTS_ENDPOINT, PAGERDUTY_SCHEMES, pagerDutyOptionsSchema, parsePagerDutyUrl } from './pagerduty-settings.ts';
import type { PagerDutySettings } from './pagerduty-settings.ts';
import { TriggerState, defaultStateFile, routingKeyFingerprint } from './trigger-state.ts';

const PLUGIN_NAME = 'notify-pagerduty';

export { dedupKeyFor, resolveEvent, triggerEvent } from './pagerduty-events.ts';
export { parsePagerDutyUrl, PAGERDUTY_SCHEMES, PAGERDUTY_EVENTS_ENDPOINT, SEVERITIES } from './pagerduty-settings.ts';
export type { PagerDutySettings, Severity } from './pagerduty-settings.ts';
export { TriggerState, defaultStateFile, routingKeyFingerprint } from './trigger-state.ts';

export default defineNotifier({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'PagerDuty Events API v2: trigger on failure, resolve on the next success of the same VM',
  provides: ['notify:pagerduty'],
  schemes: PAGERDUTY_SCHEMES,
  options: pagerDutyOptionsSchema,
  destination: 'routingKey',
  parseUrl: parsePagerDutyUrl,
  open: openPagerDuty,
});

/** Resolves the routing key and returns the Notifier for one PagerDuty service. */
export async function openPagerDuty(settings: PagerDutySettings, context: OpenContext): Promise<Notifier> {
  const ref = parseSecretRef(settings.routingKey ?? '');
  const routingKey = await resolveSecret(ref, 'PagerDuty routing key', context.env);
  const redactor = new Redactor().add(routingKey);
  const endpoint = settings.endpoint ?? PAGERDUTY_EVENTS_ENDPOINT;
  try {
    const url = new URL(endpoint);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    throw new ConfigError(`the PagerDuty endpoint "${endpoint}" is not an http(s) URL`, { hint: `leave it unset for ${PAGERDUTY_EVENTS_ENDPOINT}` });
  }
  const state = new TriggerState(settings.stateFile ?? defaultStateFile());
  const fingerprint = routingKeyFingerprint(routingKey);
  const prefix = settings.dedupKeyPrefix ?? 'hyperexport:';
  const severity = settings.severity ?? 'error';
  const source = settings.source ?? hostname();
  const policy = retryPolicy(settings);
  const post = (document: unknown, signal: AbortSignal) => deliverHttp({ url: endpoint, body: JSON.stringify(document) }, policy, { signal });

  return {
    label: `pagerduty (${ref.kind === 'literal' ? 'routing key from the config' : describeSecretRef(ref)})`,
    events: selectEvents(settings.events, PAGERDUTY_EVENTS),
    maxSendMs: maxSendMs(policy),
    redactor,
    async send(message, signal) {
      // Keyed by what was asked for (`--vm` path, `--source`), which a failure before the VM
      // was found and a later success share; the VM name alone could also collide across datacenters.
      const dedupKey = dedupKeyFor(prefix, message.requested);
      const entry = TriggerState.entryKey(fingerprint, dedupKey);
      if (message.event === 'failed') {
        if (message.status === 'cancelled' && !settings.triggerOnCancel) return;
        await post(triggerEvent(message, routingKey, dedupKey, { severity, source }), signal);
        await state.set(entry, { vm: message.vm, dedupKey, since: message.finishedAt ?? new Date().toISOString(), jobId: message.jobId });
      } else if (message.event === 'completed') {
        // Only VMs we paged about get a resolve: a success is not news to PagerDuty otherwise.
        if (!(await state.get(entry))) return;
        await post(resolveEvent(routingKey, dedupKey), signal);
        await state.delete(entry);
      }
    },
  };
}
