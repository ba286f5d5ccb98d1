// @hyperexport/bandwidth: caps how fast an export reads from its source, with rclone's --bwlimit
// syntax and timetable. One cap per job, shared by all its streams (two disks read at once share
// it), and optionally a cap per stream. Nothing happens unless `limit`/`perStream` or --bwlimit
// (a profile's `bwlimit`) ask for it.
import { ConfigError, Stage, definePlugin, t } from '@hyperexport/core';
import type { Job, TransformStage } from '@hyperexport/core';
import { BandwidthLimiter } from './bandwidth-limiter.ts';
import { formatRate, parseBandwidthSpec } from './bandwidth-spec.ts';
import { systemClock } from './clock.ts';
import type { Clock } from './clock.ts';
import { ThrottleStream } from './throttle-stream.ts';
import type { Timetable } from './timetable.ts';

const PLUGIN_NAME = 'bandwidth';

export { parseBandwidthSpec, formatRate, SPEC_EXAMPLES } from './bandwidth-spec.ts';
export { Timetable, OFF } from './timetable.ts';
export type { TimetableEntry, CurrentRate } from './timetable.ts';
export { TokenBucket, burstFor } from './token-bucket.ts';
export { BandwidthLimiter } from './bandwidth-limiter.ts';
export { ThrottleStream } from './throttle-stream.ts';
export { systemClock, FakeClock } from './clock.ts';
export type { Clock } from './clock.ts';

export interface BandwidthOptions {
  /** Cap for each job, all its streams together: a rate or a timetable (also `--bwlimit`). */
  limit?: string | undefined;
  /** Cap for each stream (each disk) on its own: a rate or a timetable. */
  perStream?: string | undefined;
}

/** What to limit: the job as a whole, each stream; undefined: not limited. */
export interface ThrottleLimits {
  readonly job: Timetable | undefined;
  readonly perStream: Timetable | undefined;
}

function limitsOf(options: BandwidthOptions, extra: unknown): ThrottleLimits {
  if (extra !== undefined && typeof extra !== 'string') {
    throw new ConfigError(`bad --bwlimit ${JSON.stringify(extra)}: give it as a string`, { hint: 'e.g. --bwlimit 10M or bwlimit: "08:00,512k 19:00,off"' });
  }
  const spec = extra ?? options.limit;
  const job = spec === undefined ? undefined : parseBandwidthSpec(spec);
  const perStream = options.perStream === undefined ? undefined : parseBandwidthSpec(options.perStream, 'per-stream bandwidth limit');
  // A cap that is off all week costs nothing: no stage at all.
  return { job: job?.alwaysOff ? undefined : job, perStream: perStream?.alwaysOff ? undefined : perStream };
}

/** The throttle stage for one job: one limiter shared by every stream, one more per stream. */
export function throttleStage(limits: ThrottleLimits, clock: Clock = systemClock): TransformStage {
  const shared = limits.job ? new BandwidthLimiter(limits.job, clock) : undefined;
  return {
    name: 'bwlimit',
    stage: Stage.THROTTLE,
    create: (_artifact, signal) => {
      const own = limits.perStream ? new BandwidthLimiter(limits.perStream, clock) : undefined;
      return new ThrottleStream(
        [own, shared].filter((limiter) => limiter !== undefined),
        signal,
      );
    },
  };
}

export default definePlugin<BandwidthOptions>({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'caps the bandwidth of an export (rclone --bwlimit syntax and timetable), one cap per job',
  provides: ['transform:bandwidth'],
  consumes: ['bwlimit'],
  options: t.isObject({
    limit: t.isOptional(t.isString()),
    perStream: t.isOptional(t.isString()),
  }),
  setup(exporter, options) {
    const settings: BandwidthOptions = options ?? {};
    // A bad spec in the config fails at start-up, not at the first export.
    limitsOf(settings, undefined);
    const limitsFor = (job: Job) => limitsOf(settings, job.spec.extra.bwlimit);

    // The usage check: a bad --bwlimit is a usage error (exit 2) before anything connects.
    exporter.hooks.checkSettings.tap(PLUGIN_NAME, (spec) => {
      limitsOf(settings, spec.extra.bwlimit);
    });

    exporter.hooks.transform.tapPromise(PLUGIN_NAME, async (plan, job) => {
      const limits = limitsFor(job);
      if (!limits.job && !limits.perStream) return plan;
      const spec = (job.spec.extra.bwlimit as string | undefined) ?? settings.limit;
      const now = (timetable: Timetable) => formatRate(timetable.rateAt(Date.now()).bytesPerSecond);
      const parts = [
        ...(limits.job ? [`${spec} for the job (now ${now(limits.job)})`] : []),
        ...(limits.perStream ? [`${settings.perStream} per stream (now ${now(limits.perStream)})`] : []),
      ];
      job.info(`limiting bandwidth: ${parts.join(', ')}`, PLUGIN_NAME);
      plan.stages.push(throttleStage(limits));
      return plan;
    });
  },
});
