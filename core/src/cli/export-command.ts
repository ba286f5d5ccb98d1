// `hyperexport export`: one export, or a batch of VMs with bounded concurrency. Flags override a
// --profile, which overrides the config's `export` section.
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { buildJobSpec } from '../config.ts';
import { checkNameTemplate } from '../name-template.ts';
import { checkSettings } from '../settings-check.ts';
import type { LoadedConfig } from '../config.ts';
import { ConfigError, ExitCode } from '../errors.ts';
import { EventBus } from '../events.ts';
import type { Exporter } from '../exporter.ts';
import type { JobResult, JobSpec } from '../model.ts';
import { checkJob, runJob } from '../run-job.ts';
import { printBatchSummary, printResult, printValidation } from './export-output.ts';
import { resolveTargets } from './export-targets.ts';
import type { ExportTarget, TargetProblem } from './export-targets.ts';
import { attachReporter, chooseReporterMode } from './progress-reporter.ts';
import { attachVerboseLog } from './verbose-log.ts';
import type { Reporter } from './progress-reporter.ts';
import { watchClosedOutput } from './closed-output.ts';
import { abortOnSignals, interruptionExitCode } from './cancellation.ts';
import { resolveProfile } from '../profiles/profile-store.ts';
import { ProfileSchema } from '../profiles/profile.ts';
import { CORE_EXPORT_SETTINGS, JOB_SPEC_FIELDS } from '../settings/core-export-settings.ts';
import { resolveSettingLayers } from '../settings/resolve-settings.ts';
import type { SettingLayer, UndeclaredSetting } from '../settings/resolve-settings.ts';
import { describeOrigin } from '../settings/setting-origin.ts';
import { SettingsRegistry } from '../settings/settings-registry.ts';
import type { DeclaredSetting } from '../settings/settings-registry.ts';
import { addSettingOptions, flagOrigin, settingFlagValues } from './setting-options.ts';
import { withPlaceholder } from './placeholders.ts';
import { BaseCommand, JSON_OUTPUT, jsonOption } from './base-command.ts';

export class ExportCommand extends BaseCommand {
  static override paths = [['export']];

  static override usage = Command.Usage({
    description: 'export a VM (or a batch of VMs) as an OVA or an OVF folder',
    details: `
      Runs each export through the configured plugins: inspect, validate, snapshot, download,
      transform, store, notify and retain. Flags override a \`--profile\`, which overrides the
      \`export\` section of the config file.

      The source is a vSphere VM given with \`--vm\` (an inventory path or a name; the connection
      comes from GOVC_URL, GOVC_USERNAME and GOVC_PASSWORD or the flags of source-vsphere), or a local VM
      folder (a .vmx with its .vmdk files), an .ovf or an .ova given with \`--source\`.

      Several \`--vm\` flags, \`--batch FILE\` (one VM per line, # comments) or \`--folder PATH\`
      export many VMs, \`--concurrency\` at a time, each its own job: one failure does not stop the
      others, and a summary table ends the run.

      Exit codes: 0 every export succeeded, 1 an export failed (or was cancelled because standard
      output closed), 2 a usage or config error, 130 cancelled by SIGINT (Ctrl-C), 143 by SIGTERM.
      A second signal quits at once, with the same code.
    `,
    examples: [
      ['Export a vSphere VM as an OVA', '$0 export --vm /DC0/vm/web01 --format ova --output ./exports'],
      ['Export a running VM from a snapshot taken for the purpose (and removed after)', '$0 export --vm /DC0/vm/db01 --snapshot-before --output ./exports'],
      ['Export every VM listed in a file, two at a time', '$0 export --batch vms.txt --concurrency 2 --output ./exports'],
      ['Export the VMs of a folder whose names start with web', '$0 export --folder /DC0/vm/prod --filter "^web" --output ./exports'],
      ['Only run the pre-export checks', '$0 export --vm /DC0/vm/web01 --output ./exports --validate-only'],
      ['Repackage a local VM folder as an OVA', '$0 export --source ./vms/web01 --format ova --output ./exports'],
      ['Machine-readable progress and result', '$0 export --source web01.ova --output ./exports --json'],
      [
        'Compressed and encrypted, passphrase from a file',
        '$0 export --vm /DC0/vm/web01 --output ./exports --compress zstd:3 --encrypt aes --passphrase-file ~/.hyperexport/passphrase',
      ],
      ['Stream straight to S3 with no local copy, dated names', '$0 export --vm /DC0/vm/web01 --upload s3://backups/vms --stream-upload --name "{vm}-{date}"'],
      ['Export, upload, then drop the local copy', '$0 export --vm /DC0/vm/web01 --output ./exports --upload azure://acct/backups --keep-local=false'],
      ['Disks for KVM instead of an OVF', '$0 export --vm /DC0/vm/web01 --format ovf --output ./exports --convert qcow2'],
    ],
  });

  override json = jsonOption(JSON_OUTPUT.events);
  source = withPlaceholder('PATH', Option.String('--source', { description: 'Local VM folder, .ovf or .ova to export' }));
  vm = withPlaceholder('VM', Option.Array('--vm', { description: 'vSphere inventory path or name of a VM (repeat for a batch)' }));
  batch = withPlaceholder('FILE', Option.String('--batch', { description: 'File with one VM path or name per line (# comments)' }));
  folder = withPlaceholder('INVENTORY_PATH', Option.String('--folder', { description: 'Export every VM below this inventory folder' }));
  filter = withPlaceholder('REGEX', Option.String('--filter', { description: 'Only VMs whose name matches this regular expression' }));
  concurrency = withPlaceholder(
    'N',
    Option.String('--concurrency', {
      description: 'VMs exported at once in a batch (default 2)',
      validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 16)]),
    }),
  );
  profile = withPlaceholder('NAME', Option.String('--profile', { description: 'Apply a saved or built-in export profile (see `hyperexport profiles list`)' }));
  /** The settings whose flags this command has (the core's and the loaded plugins'); see exportCommandFor. */
  declaredSettings: readonly DeclaredSetting[] = [];

  validateOnly = Option.Boolean('--validate-only', false, { description: 'Run the pre-export checks, print a report, exit 0 (all pass) or 1' });
  quiet = Option.Boolean('--quiet,-q', false, { description: 'Print only warnings, errors and the result' });

  async run(): Promise<number> {
    if (this.quiet && this.verbose) throw new ConfigError('--quiet and --verbose ask for opposite things', { hint: 'give one of them' });
    const loaded = await this.loadConfigFile('export');
    const vms = this.vm ?? [];
    const isBatch = vms.length > 1 || this.batch !== undefined || this.folder !== undefined;
    if (this.source && (vms.length > 0 || isBatch)) throw new ConfigError('give either --source (a local VM) or --vm/--batch/--folder (vSphere VMs), not both');
    const base = await this.baseSpec(loaded);
    // The name as merged from the config, the profile and --name: checked here, before any
    // snapshot or download, wherever it came from.
    if (base.name !== undefined) {
      checkNameTemplate(base.name);
      if (isBatch && !base.name.includes('{vm}')) {
        throw new ConfigError(`the export name "${base.name}" would be the same for every VM of the batch`, {
          hint: 'put {vm} in it, e.g. --name "{vm}-{date}", or leave the name out (each export is named after its VM)',
        });
      }
    }
    if (!base.source && vms.length === 0 && !isBatch && !base.vm) {
      throw new ConfigError('nothing to export: give --source PATH (a VM folder, .ovf or .ova), --vm PATH, --batch FILE or --folder PATH');
    }
    const bus = new EventBus();
    const exporter = await this.createExporter(loaded, bus);
    // The usage check of every setting, before any connection: a malformed value exits 2.
    await checkSettings(exporter, vms.length === 1 ? { ...base, vm: vms[0] } : base);

    const cancel = new AbortController();
    const stopSignals = abortOnSignals(cancel, (signal) => this.context.stderr.write(`\n${signal}: cancelling (again to quit at once)\n`));
    // The reader of stdout went away (`--json | grep -m1 -q ...`): nobody follows the export any more.
    const unwatchStdout = watchClosedOutput(this.context.stdout, () => {
      this.context.stderr.write('\nstandard output was closed: cancelling\n');
      cancel.abort(new Error('standard output was closed'));
    });
    const mode = chooseReporterMode(this.json, this.quiet, this.context.stderr);
    const reporter = attachReporter(bus, mode, this.context.stdout, this.context.stderr);
    // --json has every stage and digest in its events already.
    const detachVerbose = this.verbose && mode !== 'json' ? attachVerboseLog(bus, reporter, this.context.stderr, { digests: mode !== 'lines' }) : undefined;
    try {
      if (!isBatch) {
        const spec: JobSpec = vms.length === 1 ? { ...base, vm: vms[0] } : base;
        if (this.validateOnly) return await this.validateOnlyRun(exporter, [{ spec, label: spec.vm ?? spec.source ?? '' }], cancel.signal);
        const result = await runJob(exporter, spec, { signal: cancel.signal });
        reporter(); // the bars end before the result, which gets a line of its own
        printResult(this.context, this.json, result);
        return result.status === 'succeeded' ? ExitCode.OK : (interruptionExitCode(cancel.signal.reason) ?? exitCodeOf(result));
      }
      const { targets, problems } = await resolveTargets(exporter, {
        vms,
        batch: this.batch,
        folder: this.folder,
        filter: this.filter,
        spec: base,
        signal: cancel.signal,
      });
      if (targets.length === 0 && problems.length === 0) throw new ConfigError('the batch selects no VM (check --batch, --folder and --filter)');
      for (const problem of problems) this.context.stderr.write(`warning: ${problem.origin}: ${problem.message}\n`);
      const jobs = targets.map((target) => ({ spec: { ...base, vm: target.vm }, label: target.vm, target }));
      if (this.validateOnly) return await this.validateOnlyRun(exporter, jobs, cancel.signal, problems);
      const code = await this.batchRun(exporter, jobs, problems, cancel.signal, reporter);
      return code === ExitCode.OK ? code : (interruptionExitCode(cancel.signal.reason) ?? code);
    } finally {
      stopSignals();
      unwatchStdout();
      detachVerbose?.();
      reporter();
    }
  }

  /** Flags, then the profile, then the config's `export` section; each value checked by its setting's schema. */
  private async baseSpec(loaded: LoadedConfig): Promise<JobSpec> {
    const settings = this.declaredSettings;
    const registry = this.surface?.registry ?? SettingsRegistry.from(CORE_EXPORT_SETTINGS, []);
    const layers: SettingLayer[] = [
      { origin: { channel: 'flag', where: 'flags' }, originOf: flagOrigin(settings), values: settingFlagValues(this, settings), coerce: true },
    ];
    if (this.profile) {
      const schema = this.surface?.profileSchema ?? ProfileSchema.of(registry);
      const resolved = await resolveProfile(this.profile, { schema, undeclared: 'keep' });
      const { description: _description, ...values } = resolved.profile;
      layers.push({ origin: { channel: 'profile', where: resolved.path ? `${this.profile} (${resolved.path})` : this.profile }, values });
    }
    const { source, vm, ...exportSection } = loaded.exportDefaults;
    layers.push({ origin: { channel: 'config', where: loaded.filepath ?? 'the config' }, values: exportSection });
    const resolved = resolveSettingLayers(registry.declarations, layers);
    refuseUndeclared(resolved.undeclared);
    const spec: Record<string, unknown> = {};
    const extra: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(resolved.values)) {
      if ((JOB_SPEC_FIELDS as readonly string[]).includes(name)) spec[name] = value;
      else extra[name] = value;
    }
    return buildJobSpec({ source, vm }, { ...spec, source: this.source, extra });
  }

  private async batchRun(
    exporter: Exporter,
    jobs: Array<{ spec: JobSpec; label: string; target: ExportTarget }>,
    problems: TargetProblem[],
    signal: AbortSignal,
    reporter: Reporter,
  ): Promise<number> {
    const limit = this.concurrency ?? 2;
    reporter.expectJobs(jobs.length);
    const results: Array<{ label: string; result: JobResult }> = [];
    let next = 0;
    // Unlike the disks of one export, one VM's failure must not stop the others: no shared abort.
    const worker = async () => {
      while (next < jobs.length && !signal.aborted) {
        const job = jobs[next++]!;
        const result = await runJob(exporter, job.spec, { signal });
        results.push({ label: job.label, result });
        reporter.print(() => printResult(this.context, this.json, result, job.target.origin));
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
    reporter();
    const ordered = jobs.map((job) => results.find((entry) => entry.label === job.label)).filter((entry) => entry !== undefined);
    printBatchSummary(this.context, this.json, ordered, problems);
    const failed = ordered.some((entry) => entry.result.status !== 'succeeded') || problems.length > 0 || ordered.length < jobs.length;
    return failed ? ExitCode.EXPORT_FAILED : ExitCode.OK;
  }

  private async validateOnlyRun(
    exporter: Exporter,
    jobs: Array<{ spec: JobSpec; label: string }>,
    signal: AbortSignal,
    problems: TargetProblem[] = [],
  ): Promise<number> {
    let failed = problems.length > 0;
    for (const job of jobs) {
      try {
        const { issues } = await checkJob(exporter, job.spec, { signal });
        printValidation(this.context, this.json, job.label, issues);
        if (issues.some((issue) => issue.level === 'error')) failed = true;
      } catch (error) {
        if (error instanceof ConfigError) throw error;
        printValidation(this.context, this.json, job.label, [
          { level: 'error', check: 'inspect', message: error instanceof Error ? error.message : String(error) },
        ]);
        failed = true;
      }
    }
    return failed ? ExitCode.EXPORT_FAILED : ExitCode.OK;
  }
}

/** A setting a profile (or the config) sets that no loaded plugin declares: a usage error naming it and where it came from. */
function refuseUndeclared(undeclared: readonly UndeclaredSetting[]): void {
  if (undeclared.length === 0) return;
  const names = undeclared.map(({ name, origin }) => `"${name}" (from ${describeOrigin(origin)})`);
  throw new ConfigError(
    `${names.join(', ')} ${undeclared.length === 1 ? 'is' : 'are'} set, but no configured plugin handles ${undeclared.length === 1 ? 'it' : 'them'}: no loaded plugin declares ${undeclared.length === 1 ? 'that setting' : 'those settings'}`,
    { hint: 'add the plugin that provides the feature to the config (see `hyperexport plugins list`), or drop the setting' },
  );
}

/** The `export` command with a flag for each setting the core and the loaded plugins declare. */
export function exportCommandFor(registry: SettingsRegistry): typeof ExportCommand {
  const settings = registry.all;
  return class extends ExportCommand {
    constructor() {
      super();
      this.declaredSettings = settings;
      addSettingOptions(this, settings);
    }
  };
}

function exitCodeOf(result: JobResult): number {
  if (result.status === 'succeeded') return ExitCode.OK;
  // A setting that is missing or wrong (no URL, no password) is a usage error, even when a plugin finds it mid-run.
  return result.error?.code === 'CONFIG' ? ExitCode.USAGE : ExitCode.EXPORT_FAILED;
}
