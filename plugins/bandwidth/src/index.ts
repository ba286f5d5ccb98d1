// @hyperexport/bandwidth: caps how fast an export reads from its source, with rclone's --bwlimit
// syntax and timetable. One cap per job, shared by all its streams (two disks read at once share
// it), and optionally a cap per stream. Nothing happens unless `limit`/`perStream` or --bwlimit
// (a profile's `bwlimit`) ask for it.
import { Stage, definePlugin, t } from '@hyperexport/core';
import type { Job, TransformStage } from '@hyperexport/core';
import { BandwidthLimiter } from './bandwidth-limiter.ts';
import { BANDWIDTH_SETTINGS } from './bandwidth-settings.ts';
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

export { BANDWIDTH_SETTINGS };

/** The plugin's own options; the cap of each job is the setting `bwlimit` (see bandwidth-settings.ts). */
export interface BandwidthOptions {
  /** Cap for each stream (each disk) on its own: a rate or a timetable. */
  perStream?: string | undefined;
}

/** What to limit: the job as a whole, each stream; undefined: not limited. */
export interface ThrottleLimits {
  readonly job: Timetable | undefined;
  readonly perStream: Timetable | undefined;
}

function limitsOf(options: BandwidthOptions, spec: string | undefined): ThrottleLimits {
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
    // Paces every byte the job moves: each file of an OVF folder, an OVA's disks as they are read and its package.
    effect: 'paces',
    artifacts: ['disk', 'descriptor', 'manifest', 'package'],
    create: (_artifact, signal) => {
      const own = limits.perStream ? new BandwidthLimiter(limits.perStream, clock) : undefined;
      return new ThrottleStream(
        [own, shared].filter((limiter) => limiter !== undefined),
        signal,
      );
    },
  };
}

export default definePlugin<BandwidthOptions, typeof BANDWIDTH_SETTINGS>({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'caps the bandwidth of an export (rclone --bwlimit syntax and timetable), one cap per job',
  provides: ['transform:bandwidth'],
  settings: BANDWIDTH_SETTINGS,
  options: t.isObject({
    perStream: t.isOptional(t.isString()),
  }),
  setup(exporter, options, jobSettings) {
    const settings: BandwidthOptions = options ?? {};
    // A bad spec in the config fails at start-up, not at the first export.
    limitsOf(settings, jobSettings.configured.bwlimit);
    const limitsFor = (job: Job) => limitsOf(settings, jobSettings.of(job.spec).bwlimit);

    // The usage check: a bad --bwlimit is a usage error (exit 2) before anything connects.
    exporter.hooks.checkSettings.tap(PLUGIN_NAME, (spec) => {
      limitsOf(settings, jobSettings.of(spec).bwlimit);
    });

    exporter.hooks.transform.tapPromise(PLUGIN_NAME, async (plan, job) => {
      const limits = limitsFor(job);
      if (!limits.job && !limits.perStream) return plan;
      const spec = jobSettings.of(job.spec).bwlimit;
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
