// PagerDuty Events API v2 documents: a `trigger` when an export fails and a `resolve` with the
// same dedup_key when the same VM exports again. The dedup_key is stable per VM, so repeated
// failures update one open incident instead of opening one per night.
import { formatBytes, formatDuration } from '@hyperexport/core';
import { clip } from '@hyperexport/notify-kit';
import type { NotifyMessage } from '@hyperexport/notify-kit';
import type { Severity } from './pagerduty-settings.ts';

/** PagerDuty's limit on dedup_key. */
const DEDUP_KEY_LIMIT = 255;

export function dedupKeyFor(prefix: string, vm: string): string {
  return clip(`${prefix}${vm}`, DEDUP_KEY_LIMIT);
}

export function triggerEvent(
  message: NotifyMessage,
  routingKey: string,
  dedupKey: string,
  options: { severity: Severity; source: string },
): Record<string, unknown> {
  const reason = message.error?.message ?? `export ${message.status}`;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey,
    client: 'HyperExport',
    payload: {
      summary: clip(`HyperExport: export of ${message.vm} ${message.status === 'cancelled' ? 'was cancelled' : 'failed'}: ${reason}`, 1024),
      source: options.source,
      severity: options.severity,
      timestamp: message.finishedAt ?? new Date().toISOString(),
      component: message.vm,
      group: 'hyperexport',
      class: 'vm-export',
      custom_details: {
        vm: message.vm,
        status: message.status,
        job_id: message.jobId,
        host: message.host,
        format: message.format,
        started_at: message.startedAt,
        duration: formatDuration(message.durationMs),
        bytes_read: formatBytes(message.bytesRead),
        error: message.error?.message,
        hint: message.error?.hint,
        error_plugin: message.error?.plugin,
        warnings: message.warnings.length > 0 ? message.warnings.slice(0, 10) : undefined,
      },
    },
  };
}

export function resolveEvent(routingKey: string, dedupKey: string): Record<string, unknown> {
  return { routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey };
}
