// store-remote: stores exports at target URLs through the storage backends other plugins register
// (file://, s3://, azure://, gs://, sftp://): streamed while downloading, or uploaded after the
// local export and verified, with the local copy kept or removed. Adds `hyperexport remote`.
import { ConfigError, parseTargetUrl } from '@hyperexport/core';
import { definePlugin } from '@hyperexport/core';
import type { Exporter, Job, PublishedExport, StorageService } from '@hyperexport/core';
import { RemoteGetCommand, RemoteListCommand, RemoteRemoveCommand } from './commands/remote-command.ts';
import { RemoteSink } from './remote-sink.ts';
import { STORE_REMOTE_SETTINGS } from './store-remote-settings.ts';
import { describeTarget, remotePlan } from './targets.ts';
import type { RemotePlan } from './targets.ts';
import { removeLocalCopy, uploadExport } from './upload-after.ts';

const PLUGIN_NAME = 'store-remote';

export const commands = [RemoteListCommand, RemoteGetCommand, RemoteRemoveCommand];
export { STORE_REMOTE_SETTINGS };
export { RemoteSink } from './remote-sink.ts';

export default definePlugin<undefined, typeof STORE_REMOTE_SETTINGS>({
  name: PLUGIN_NAME,
  commands,
  version: '0.1.0',
  description: 'stores exports at target URLs (s3://, azure://, gs://, sftp://, file://), streamed or uploaded after and verified',
  // Every option is a setting (flag, profile key, config option): see store-remote-settings.ts.
  settings: STORE_REMOTE_SETTINGS,
  setup(exporter, _options, settings) {
    const plans = new WeakMap<Job, RemotePlan>();
    const planOf = (job: Job): RemotePlan => {
      let plan = plans.get(job);
      if (!plan) plans.set(job, (plan = remotePlan(settings.of(job.spec), settings.configured, exporter.storage.localOutputOf(job))));
      return plan;
    };

    // The usage check: every target URL well formed and stored to by some plugin, and
    // --stream-upload (no local copy) not contradicted by a local folder, before anything connects.
    exporter.hooks.checkSettings.tap(PLUGIN_NAME, (spec, check) => {
      const localOutput = exporter.storage.localOutputOf({ spec });
      const plan = remotePlan(settings.of(spec), settings.configured, localOutput);
      const problems: ConfigError[] = [];
      for (const target of plan.targets) {
        try {
          exporter.storage.check(target.url, target.options);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          problems.push(error);
        }
      }
      for (const problem of problems.slice(1)) check.problem(problem);
      if (problems[0]) throw problems[0];
      // --stream-upload promises no local copy; the config's `stream: true` beside a local folder
      // is a deliberate choice to stream and keep that folder's copy too.
      if (plan.targets.length > 0 && localOutput !== undefined && settings.fromJob(spec).streamUpload === true) {
        throw new ConfigError(
          `--stream-upload sends the export only to the upload targets, with no local copy, but the output directory ${localOutput} (--output, the config's export.output, or store-local's directory) asks for a local copy too`,
          {
            hint: 'drop the output directory to stream with no local copy, or drop --stream-upload to write locally and upload after (--keep-local=false then deletes the local copy once every upload is verified)',
          },
        );
      }
    });

    exporter.hooks.validate.tapPromise(PLUGIN_NAME, async (job, report) => {
      let plan: RemotePlan;
      try {
        plan = planOf(job);
      } catch (error) {
        report.error('targets', (error as Error).message, PLUGIN_NAME);
        return;
      }
      for (const target of plan.targets) {
        try {
          const url = parseTargetUrl(target.url);
          if (!exporter.storage.backendFor(url)) {
            report.error(
              'targets',
              `no configured plugin stores to ${url.protocol}// URLs (${describeTarget(target)}); schemes available: ${exporter.storage.schemes.join(', ')}`,
              PLUGIN_NAME,
            );
          }
        } catch (error) {
          report.error('targets', (error as Error).message, PLUGIN_NAME);
        }
      }
      if (plan.targets.length > 0 && plan.stream && !plan.keepLocal)
        report.warning('targets', 'keep-local=false has no effect when streaming: there is no local copy', PLUGIN_NAME);
      if (plan.targets.length === 0 && (settings.fromJob(job.spec).streamUpload !== undefined || settings.fromJob(job.spec).keepLocal !== undefined)) {
        report.error('targets', '--stream-upload and --keep-local need at least one --upload URL', PLUGIN_NAME);
      }
    });

    exporter.hooks.store.tapPromise(PLUGIN_NAME, async (targets, job) => {
      const plan = planOf(job);
      if (!plan.stream || plan.targets.length === 0) return;
      for (const service of await openTargets(exporter, plan, job)) targets.add(new RemoteSink(service, job.signal, { bus: job.bus, jobId: job.id }));
    });

    exporter.hooks.published.tapPromise({ name: PLUGIN_NAME, stage: 100 }, async (published, job) => {
      const plan = planOf(job);
      if (plan.targets.length === 0) return published;
      // Streamed: committed at every target already. Else uploaded and verified here, or failed.
      const uploadedTo = plan.stream ? [] : await uploadExport(job, published, await openTargets(exporter, plan, job));
      // Every target now holds the export (retention rotates them too).
      let uploaded: PublishedExport = {
        ...published,
        locations: [...published.locations, ...uploadedTo],
        destinations: [...published.destinations, ...plan.targets.map((target) => ({ url: target.url, options: target.options }))],
      };
      if (!plan.stream && !plan.keepLocal) {
        uploaded = await removeLocalCopy(uploaded);
        job.info('the local copy was removed: every upload is verified (keep-local=false)', PLUGIN_NAME);
      }
      return uploaded;
    });
  },
});

async function openTargets(exporter: Exporter, plan: RemotePlan, job: Job): Promise<StorageService[]> {
  const services: StorageService[] = [];
  try {
    for (const target of plan.targets) services.push(await exporter.storage.open(target.url, { signal: job.signal, options: target.options }));
    return services;
  } catch (error) {
    for (const service of services) await service.close?.().catch(() => undefined);
    throw error;
  }
}
