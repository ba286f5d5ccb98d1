// `hyperexport export`: one export run. Flags override the config's `export` section.
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { buildJobSpec } from '../config.ts';
import { ConfigError, ExitCode } from '../errors.ts';
import { EventBus } from '../events.ts';
import type { JobResult } from '../model.ts';
import { runJob } from '../run-job.ts';
import { RemoteSourceCommand } from './remote-source-command.ts';
import { formatBytes, formatDuration } from './format.ts';
import { attachReporter, chooseReporterMode } from './progress-reporter.ts';

export class ExportCommand extends RemoteSourceCommand {
  static override paths = [['export']];

  static override usage = Command.Usage({
    description: 'export a VM as an OVA or an OVF folder',
    details: `
      Runs one export through the configured plugins: validate, snapshot, download, transform, store,
      notify and retain. Flags override the \`export\` section of the config file.

      The source is a local VM folder (a .vmx with its .vmdk files), an .ovf or an .ova given with
      \`--source\`, or a vSphere VM given with \`--vm\` when a vSphere source plugin is configured.

      Exit codes: 0 the export succeeded, 1 it failed or was cancelled, 2 a usage or config error.
    `,
    examples: [
      ['Export a vSphere VM as an OVA (connection from GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD)', '$0 export --vm /DC0/vm/web01 --format ova --output ./exports'],
      ['Repackage a local VM folder as an OVA', '$0 export --source ./vms/web01 --format ova --output ./exports'],
      ['Turn an OVA into an OVF folder', '$0 export --source web01.ova --format ovf --output ./exports'],
      ['Machine-readable progress and result', '$0 export --source web01.ova --output ./exports --json'],
    ],
  });

  source = Option.String('--source', { description: 'Local VM folder, .ovf or .ova to export' });
  vm = Option.String('--vm', { description: 'vSphere inventory path or name of the VM' });
  format = Option.String('--format', { description: 'ova (one file) or ovf (a folder)', validator: t.isEnum(['ova', 'ovf'] as const) });
  output = Option.String('--output,-o', { description: 'Directory to write the export to' });
  name = Option.String('--name', { description: 'Base name of the export (default: the VM name)' });
  parallel = Option.String('--parallel', { description: 'Disks read at once (default 4)', validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 64)]) });
  overwrite = Option.Boolean('--overwrite', { description: 'Replace an existing export of the same name' });
  quiet = Option.Boolean('--quiet,-q', false, { description: 'Print only warnings, errors and the result' });

  async run(): Promise<number> {
    const loaded = await this.loadConfigFile('export');
    const spec = buildJobSpec(loaded.exportDefaults, {
      source: this.source,
      vm: this.vm,
      format: this.format,
      output: this.output,
      name: this.name,
      parallel: this.parallel,
      overwrite: this.overwrite,
      extra: { connection: this.connectionFlags() },
    });
    if (!spec.source && !spec.vm) {
      throw new ConfigError('nothing to export: give --source PATH (a VM folder, .ovf or .ova) or --vm PATH');
    }
    const bus = new EventBus();
    const exporter = await this.createExporter(loaded, bus);
    const detach = attachReporter(bus, chooseReporterMode(this.json, this.quiet, this.context.stderr), this.context.stdout, this.context.stderr);

    // Ctrl-C cancels the job cleanly (lease aborted, staging removed); a second one exits at once.
    const cancel = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (cancel.signal.aborted) process.exit(130);
      this.context.stderr.write(`\n${signal}: cancelling the export (again to quit at once)\n`);
      cancel.abort(new Error(`interrupted by ${signal}`));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let result: JobResult;
    try {
      result = await runJob(exporter, spec, { signal: cancel.signal });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      detach();
    }
    this.printResult(result);
    if (result.status === 'succeeded') return ExitCode.OK;
    // A setting that is missing or wrong (no URL, no password) is a usage error, even when a plugin finds it mid-run.
    return result.error?.code === 'CONFIG' ? ExitCode.USAGE : ExitCode.EXPORT_FAILED;
  }

  private printResult(result: JobResult): void {
    if (this.json) {
      this.context.stdout.write(`${JSON.stringify({ type: 'result', ...result })}\n`);
      return;
    }
    if (result.status !== 'succeeded') {
      const error = result.error;
      this.context.stderr.write(`error: export ${result.status}: ${error?.message ?? 'unknown error'}\n`);
      if (error && 'hint' in error && typeof error.hint === 'string') this.context.stderr.write(`hint: ${error.hint}\n`);
      return;
    }
    const seconds = result.durationMs / 1000;
    const rate = seconds > 0 ? `${formatBytes(result.bytesRead / seconds)}/s` : '';
    this.context.stdout.write(`exported ${result.vmName ?? result.baseName} in ${formatDuration(result.durationMs)}${rate ? ` (${rate})` : ''}\n`);
    for (const location of result.locations) this.context.stdout.write(`  ${location}\n`);
    for (const file of result.files) this.context.stdout.write(`    ${file.name}  ${formatBytes(file.size)}  sha256:${file.sha256}\n`);
  }
}
