// The settings of one PagerDuty service, from the config (plugin options) or a `--notify` URL:
//   pagerduty://env:PD_ROUTING_KEY?severity=critical
//   pagerduty://file:/etc/hyperexport/pd-routing-key
// The routing key (integration key) is a secret: only references are accepted on the command line.
import { ConfigError, t } from '@hyperexport/core';
import { NotifyParams, commonOptionShape, decodeUrlPart, isSecretReference, literalSecretError, parseSecretRef, splitNotifyUrl } from '@hyperexport/notify-kit';
import type { CommonSettings, NotifyEventKind } from '@hyperexport/notify-kit';

export const PAGERDUTY_SCHEMES = ['pagerduty'] as const;
export const PAGERDUTY_EVENTS_ENDPOINT = 'https://events.pagerduty.com/v2/enqueue';
export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
/**
 * An incident is opened by a failure and resolved by a success: no other event means anything
 * here. Without `progress` among them, the `progress` option and the `progressInterval` and
 * `progressStep` URL parameters are refused as unknown.
 */
export const PAGERDUTY_EVENTS = ['completed', 'failed'] as const satisfies readonly NotifyEventKind[];

export interface PagerDutySettings extends CommonSettings {
  /** `env:NAME`, `file:PATH`, `@PATH`, or (config file only) the routing key itself. */
  readonly routingKey?: string | undefined;
  /** Severity of triggered incidents (default error). */
  readonly severity?: Severity | undefined;
  /** Events API v2 URL (default https://events.pagerduty.com/v2/enqueue; EU accounts can use events.eu.pagerduty.com). */
  readonly endpoint?: string | undefined;
  /** Where triggered VMs are remembered (default ~/.hyperexport/pagerduty-state.json). */
  readonly stateFile?: string | undefined;
  /** Start of every dedup_key, followed by the VM as asked for: `--vm` path or name, or `--source` (default `hyperexport:`). */
  readonly dedupKeyPrefix?: string | undefined;
  /** `payload.source` (default: this machine's host name). */
  readonly source?: string | undefined;
  /** Also page when a job was cancelled (default false: a Ctrl-C is not an incident). */
  readonly triggerOnCancel?: boolean | undefined;
}

export const pagerDutyOptionsSchema = t.isObject({
  routingKey: t.isOptional(t.isString()),
  severity: t.isOptional(t.isEnum(SEVERITIES)),
  endpoint: t.isOptional(t.isString()),
  stateFile: t.isOptional(t.isString()),
  dedupKeyPrefix: t.isOptional(t.isString()),
  source: t.isOptional(t.isString()),
  triggerOnCancel: t.isOptional(t.isBoolean()),
  ...commonOptionShape(PAGERDUTY_EVENTS),
});

export function parsePagerDutyUrl(url: string): PagerDutySettings {
  const { target, params } = splitNotifyUrl(url);
  const routingKey = decodeUrlPart(target);
  if (routingKey === '')
    throw new ConfigError('pagerduty:// needs to say where the routing key is', {
      hint: 'give pagerduty://env:PD_ROUTING_KEY or pagerduty://file:/path/to/file',
    });
  if (!isSecretReference(routingKey)) throw literalSecretError('PagerDuty routing key', 'pagerduty', 'PD_ROUTING_KEY');
  parseSecretRef(routingKey);
  const options = new NotifyParams(params, 'pagerduty://');
  const severity = options.string('severity');
  if (severity !== undefined && !(SEVERITIES as readonly string[]).includes(severity)) {
    throw new ConfigError(`pagerduty://: severity=${severity} is not one of ${SEVERITIES.join(', ')}`);
  }
  const settings: PagerDutySettings = {
    routingKey,
    severity: severity as Severity | undefined,
    endpoint: options.string('endpoint'),
    stateFile: options.string('stateFile'),
    dedupKeyPrefix: options.string('dedupKeyPrefix'),
    source: options.string('source'),
    triggerOnCancel: options.boolean('triggerOnCancel'),
    ...options.common(PAGERDUTY_EVENTS),
  };
  options.finish(['severity', 'endpoint', 'stateFile', 'dedupKeyPrefix', 'source', 'triggerOnCancel']);
  return settings;
}
