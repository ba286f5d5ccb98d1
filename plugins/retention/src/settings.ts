// The retention settings: the plugin's options (config) and the command's flags share one shape.
import { ConfigError, t } from '@hyperexport/core';
import { parseDuration } from './duration.ts';
import { checkTimeZone, localTimeZone } from './periods.ts';
import type { RetentionPolicy } from './policy.ts';

const count = t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(-1)]);

export const retentionOptions = t.isObject({
  keepLast: t.isOptional(count),
  keepHourly: t.isOptional(count),
  keepDaily: t.isOptional(count),
  keepWeekly: t.isOptional(count),
  keepMonthly: t.isOptional(count),
  keepYearly: t.isOptional(count),
  /** e.g. `30d`, `1y6m`: keep everything made within this of the newest export. */
  keepWithin: t.isOptional(t.isString()),
  /** Keep every export with one of these tags (`--tag` at export time). */
  keepTags: t.isOptional(t.isArray(t.isString())),
  /** IANA zone the periods are computed in (default: the machine's). */
  timeZone: t.isOptional(t.isString()),
  /** Destinations to rotate (URLs or paths); default: every place the store plugins report the export went (PublishedExport.destinations). */
  targets: t.isOptional(t.isArray(t.isString())),
});

export type RetentionOptions = t.InferType<typeof retentionOptions>;

export function policyFrom(options: RetentionOptions): RetentionPolicy {
  let keepWithin;
  try {
    keepWithin = options.keepWithin === undefined ? undefined : parseDuration(options.keepWithin);
  } catch (error) {
    throw new ConfigError(`keepWithin: ${(error as Error).message}`);
  }
  return {
    keepLast: options.keepLast,
    keepHourly: options.keepHourly,
    keepDaily: options.keepDaily,
    keepWeekly: options.keepWeekly,
    keepMonthly: options.keepMonthly,
    keepYearly: options.keepYearly,
    keepWithin,
    keepTags: options.keepTags,
  };
}

export function timeZoneFrom(options: RetentionOptions): string {
  try {
    return checkTimeZone(options.timeZone ?? localTimeZone());
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}
