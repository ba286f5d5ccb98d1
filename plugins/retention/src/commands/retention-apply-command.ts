// `hyperexport retention apply --target URL`: retention on its own, with the config's rules or
// flags for each, and `--dry-run` to see what would go and which rule keeps the rest.
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { BaseCommand, Command, ConfigError, ExitCode, Option, withPlaceholder, parseTargetUrl, t } from '@hyperexport/core';
import { applyRetention, formatRetentionReport } from '../apply-retention.ts';
import { isEmptyPolicy } from '../policy.ts';
import { policyFrom, timeZoneFrom } from '../settings.ts';
import type { RetentionOptions } from '../settings.ts';

const countOption = (flag: string, description: string) =>
  withPlaceholder('N', Option.String(flag, { description, validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(-1)]) }));

export class RetentionApplyCommand extends BaseCommand {
  static override paths = [['retention', 'apply']];

  static override usage = Command.Usage({
    description: 'delete old exports at a destination according to a retention policy',
    details: `
      Finds the exports at the target by their records, groups them by VM and keeps what the rules
      say, with restic's forget semantics: the newest export of each period is kept, only periods
      that have exports count, and rules combine by OR. -1 means unlimited. Flags replace the
      config's retention rules. Whole exports are deleted, record first; nothing is deleted when
      the listing fails.
    `,
    examples: [
      ['See what a GFS policy would delete', '$0 retention apply --target s3://backups/vms --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --dry-run'],
      ['Keep the last 3 exports of web01 in a folder', '$0 retention apply --target ./exports --vm web01 --keep-last 3'],
    ],
  });

  target = withPlaceholder('URL', Option.String('--target', { required: true, description: 'Destination URL or path to rotate' }));
  keepLast = countOption('--keep-last', 'Keep the N newest exports');
  keepHourly = countOption('--keep-hourly', 'Keep the newest export of each of the last N hours that have one');
  keepDaily = countOption('--keep-daily', 'Keep the newest export of each of the last N days that have one');
  keepWeekly = countOption('--keep-weekly', 'Keep the newest export of each of the last N ISO weeks that have one');
  keepMonthly = countOption('--keep-monthly', 'Keep the newest export of each of the last N months that have one');
  keepYearly = countOption('--keep-yearly', 'Keep the newest export of each of the last N years that have one');
  keepWithin = withPlaceholder(
    'DURATION',
    Option.String('--keep-within', { description: 'Keep every export made within this of the newest one (30d, 2w, 1y6m, 12h)' }),
  );
  keepTags = withPlaceholder('TAG', Option.Array('--keep-tag', { description: 'Keep every export with this tag (repeatable)' }));
  timeZone = withPlaceholder(
    'ZONE',
    Option.String('--timezone', { description: "IANA time zone the periods are computed in (default: the config's, else the machine's)" }),
  );
  vms = withPlaceholder('NAME', Option.Array('--vm', { description: 'Only the exports of this VM (repeatable; default: every VM)' }));
  dryRun = Option.Boolean('--dry-run', false, { description: 'Print what would be kept and deleted, and why; delete nothing' });

  async run(): Promise<number> {
    const loaded = await this.loadConfigFile('retention');
    const configured = loaded.plugins.find((plugin) => plugin.definition.name === 'retention')?.rawOptions as RetentionOptions | undefined;
    const fromFlags: RetentionOptions = Object.fromEntries(
      Object.entries({
        keepLast: this.keepLast,
        keepHourly: this.keepHourly,
        keepDaily: this.keepDaily,
        keepWeekly: this.keepWeekly,
        keepMonthly: this.keepMonthly,
        keepYearly: this.keepYearly,
        keepWithin: this.keepWithin,
        keepTags: this.keepTags,
      }).filter(([, value]) => value !== undefined),
    );
    const rules = Object.keys(fromFlags).length > 0 ? fromFlags : (configured ?? {});
    const policy = policyFrom(rules);
    if (isEmptyPolicy(policy)) {
      throw new ConfigError('no retention rule is given, so nothing would be deleted', {
        hint: 'give --keep-last, --keep-within, --keep-daily … or configure the retention plugin',
      });
    }
    const timeZone = timeZoneFrom({ timeZone: this.timeZone ?? configured?.timeZone });
    const exporter = await this.createExporter(loaded);
    await refuseMissingFolder(this.target);
    const service = await exporter.storage.open(this.target);
    try {
      const report = await applyRetention(service, { policy, timeZone, vms: this.vms, dryRun: this.dryRun, signal: new AbortController().signal });
      if (this.json) this.context.stdout.write(`${JSON.stringify({ type: 'retention', ...report })}\n`);
      else this.context.stdout.write(formatRetentionReport(report));
      return report.decisions.some((decision) => decision.error) ? ExitCode.EXPORT_FAILED : ExitCode.OK;
    } finally {
      await service.close?.();
    }
  }
}

/**
 * A folder target that does not exist is a mistake (a typo, an unmounted share), not a folder
 * without exports: saying "no exports found" and exiting 0 would hide it. Other backends refuse a
 * missing bucket or container when they open.
 */
async function refuseMissingFolder(target: string): Promise<void> {
  const url = parseTargetUrl(target);
  if (url.protocol !== 'file:') return;
  const path = fileURLToPath(url);
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!info)
    throw new ConfigError(`the target ${path} does not exist`, {
      hint: 'check the path (is the share mounted?); retention only looks for exports in an existing folder',
    });
  if (!info.isDirectory()) throw new ConfigError(`the target ${path} is not a folder`, { hint: 'give the folder the exports were written to' });
}
