// retention: rotates older exports after each successful one, at every destination the export
// went to, with restic's forget semantics (see README.md). Adds `hyperexport retention apply`.
import { definePlugin } from '@hyperexport/core';
import type { ExportDestination } from '@hyperexport/core';
import { applyRetention } from './apply-retention.ts';
import { RetentionApplyCommand } from './commands/retention-apply-command.ts';
import { isEmptyPolicy } from './policy.ts';
import { policyFrom, retentionOptions, timeZoneFrom } from './settings.ts';
import type { RetentionOptions } from './settings.ts';

const PLUGIN_NAME = 'retention';

export const commands = [RetentionApplyCommand];
export { applyPolicy, isEmptyPolicy, newestFirst } from './policy.ts';
export type { Candidate, Decision, RetentionPolicy } from './policy.ts';
export { applyRetention, formatRetentionReport } from './apply-retention.ts';
export type { RetentionReport, ExportDecision } from './apply-retention.ts';
export { parseDuration } from './duration.ts';
export { periodKey, isoWeek } from './periods.ts';

export default definePlugin({
  name: PLUGIN_NAME,
  commands,
  version: '0.1.0',
  description: 'rotates older exports: keep last N, within a duration, hourly/daily/weekly/monthly/yearly, tagged',
  options: retentionOptions,
  setup(exporter, options) {
    const policy = policyFrom(options);
    const timeZone = timeZoneFrom(options);
    if (isEmptyPolicy(policy)) return;
    exporter.hooks.retain.tapPromise(PLUGIN_NAME, async ({ job, result, destinations }) => {
      if (!result.vmName) return;
      // Each destination on its own: one that cannot be reached or listed does not stop the others.
      const failures: string[] = [];
      for (const target of destinationsOf(destinations, options)) {
        try {
          const service = await exporter.storage.open(target.url, { signal: job.signal, options: target.options });
          try {
            const report = await applyRetention(service, {
              policy,
              timeZone,
              vms: [result.vmName],
              protectJobId: job.exportId,
              dryRun: false,
              signal: job.signal,
            });
            const deleted = report.decisions.filter((decision) => !decision.keep && !decision.error);
            const failed = report.decisions.filter((decision) => decision.error);
            for (const decision of deleted)
              job.info(`retention deleted ${decision.name}.${decision.format} (${decision.createdAt}) at ${report.target}`, PLUGIN_NAME);
            for (const decision of failed) job.warn(`retention could not delete ${decision.record}: ${decision.error}`, PLUGIN_NAME);
          } finally {
            await service.close?.();
          }
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
      }
      // The core turns a failed retain into a warning; the export itself stands.
      if (failures.length > 0) throw new Error(failures.join('; '));
    });
  },
});

/**
 * Where to rotate: the config's targets, else every place the store plugins say the export went
 * (store-local's folder, store-remote's targets, config or `--upload`, with their options).
 */
function destinationsOf(published: readonly ExportDestination[], options: RetentionOptions): readonly ExportDestination[] {
  return options.targets ? options.targets.map((url) => ({ url })) : published;
}
