// Retention at one destination: list the tool's exports by their records (a listing that fails
// stops everything: nothing is deleted on a partial picture), group them by VM, apply the policy
// to each group, and delete whole exports, record first. The export just made is never deleted.
import { deleteExport, listExportRecords } from '@hyperexport/core';
import type { FoundExport, StorageService } from '@hyperexport/core';
import { applyPolicy } from './policy.ts';
import type { Candidate, RetentionPolicy } from './policy.ts';

export interface RetentionRun {
  readonly policy: RetentionPolicy;
  readonly timeZone: string;
  /** Only the exports of these VMs (default: every VM found). */
  readonly vms?: readonly string[] | undefined;
  /** The job whose export must survive whatever the policy says. */
  readonly protectJobId?: string | undefined;
  readonly dryRun: boolean;
  readonly signal: AbortSignal;
}

export interface ExportDecision {
  readonly vm: string;
  readonly name: string;
  readonly format: string;
  readonly createdAt: string;
  readonly record: string;
  readonly keep: boolean;
  readonly reasons: readonly string[];
  /** Set when deleting it failed. */
  readonly error?: string | undefined;
}

export interface RetentionReport {
  readonly target: string;
  readonly timeZone: string;
  readonly dryRun: boolean;
  readonly decisions: readonly ExportDecision[];
  readonly deleted: number;
}

interface ExportCandidate extends Candidate {
  readonly found: FoundExport;
}

export async function applyRetention(service: StorageService, run: RetentionRun): Promise<RetentionReport> {
  const found = await listExportRecords(service, '', run.signal);
  const byVm = new Map<string, ExportCandidate[]>();
  for (const entry of found) {
    if (run.vms && !run.vms.includes(entry.record.vmName)) continue;
    const group = byVm.get(entry.record.vmName) ?? [];
    group.push({ id: `${entry.record.createdAt} ${entry.recordKey}`, createdAt: new Date(entry.record.createdAt), tags: entry.record.tags, found: entry });
    byVm.set(entry.record.vmName, group);
  }
  const decisions: ExportDecision[] = [];
  let deleted = 0;
  for (const [vm, group] of [...byVm].sort(([a], [b]) => a.localeCompare(b))) {
    for (const decision of applyPolicy(group, run.policy, run.timeZone)) {
      const { record, recordKey } = decision.item.found;
      const protectedNow = record.jobId === run.protectJobId;
      const keep = decision.keep || protectedNow;
      const reasons = protectedNow && !decision.keep ? ['the export just made'] : decision.reasons;
      let error: string | undefined;
      if (!keep && !run.dryRun) {
        try {
          await deleteExport(service, decision.item.found, run.signal);
          deleted++;
        } catch (cause) {
          error = cause instanceof Error ? cause.message : String(cause);
        }
      }
      decisions.push({ vm, name: record.baseName, format: record.format, createdAt: record.createdAt, record: service.urlOf(recordKey), keep, reasons, error });
    }
  }
  return { target: service.url, timeZone: run.timeZone, dryRun: run.dryRun, decisions, deleted };
}

/** A human-readable account: per VM, each export with KEEP or DELETE and why. */
export function formatRetentionReport(report: RetentionReport): string {
  const lines = [`${report.dryRun ? 'dry run: nothing deleted; ' : ''}retention at ${report.target} (periods in ${report.timeZone})`];
  let vm: string | undefined;
  for (const decision of report.decisions) {
    if (decision.vm !== vm) {
      vm = decision.vm;
      lines.push(`  ${vm}:`);
    }
    const action = decision.keep ? 'keep  ' : decision.error ? 'FAILED' : report.dryRun ? 'delete' : 'deleted';
    const why = decision.keep ? ` (${decision.reasons.join(', ')})` : decision.error ? ` (${decision.error})` : '';
    lines.push(`    ${action.padEnd(7)} ${decision.createdAt}  ${decision.name}.${decision.format}${why}`);
  }
  if (report.decisions.length === 0) lines.push('  no exports found');
  const toDelete = report.decisions.filter((decision) => !decision.keep).length;
  lines.push(
    report.dryRun
      ? `${toDelete} export(s) would be deleted, ${report.decisions.length - toDelete} kept`
      : `${report.deleted} export(s) deleted, ${report.decisions.length - toDelete} kept`,
  );
  return `${lines.join('\n')}\n`;
}
