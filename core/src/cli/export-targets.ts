// What one `hyperexport export` run exports: one source, or many VMs for a batch — from repeated
// --vm flags, a --batch file, and everything below a --folder — narrowed by --filter.
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.ts';
import type { Exporter } from '../exporter.ts';
import type { JobSpec } from '../model.ts';

export interface ExportTarget {
  /** What goes into the job spec: a vSphere path or name. */
  readonly vm: string;
  /** Where it came from, for messages: `batch.txt:3`, `--vm`, `--folder /DC0/vm/prod`. */
  readonly origin: string;
}

export interface TargetProblem {
  readonly origin: string;
  readonly message: string;
}

/**
 * Reads a batch file: one inventory path or VM name per line; blank lines and `#` comments are
 * skipped. A line that cannot be a VM is reported with its number and the rest still run.
 */
export async function readBatchFile(path: string): Promise<{ targets: ExportTarget[]; problems: TargetProblem[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the batch file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  const targets: ExportTarget[] = [];
  const problems: TargetProblem[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const origin = `${path}:${index + 1}`;
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) return;
    if (/[\u0000-\u001f]/.test(line)) problems.push({ origin, message: 'the line holds control characters; write one VM path or name per line' });
    else if (line.startsWith('-')) problems.push({ origin, message: `"${line}" looks like a flag, not a VM; write one VM path or name per line` });
    else targets.push({ vm: line, origin });
  });
  return { targets, problems };
}

export interface TargetOptions {
  vms: readonly string[];
  batch?: string | undefined;
  folder?: string | undefined;
  filter?: string | undefined;
  /** The batch's settings (flags, profile, config), for the plugin that lists the VMs. */
  spec: JobSpec;
  signal: AbortSignal;
}

export async function resolveTargets(exporter: Exporter, options: TargetOptions): Promise<{ targets: ExportTarget[]; problems: TargetProblem[] }> {
  const targets: ExportTarget[] = options.vms.map((vm) => ({ vm, origin: '--vm' }));
  const problems: TargetProblem[] = [];
  if (options.batch) {
    const batch = await readBatchFile(options.batch);
    targets.push(...batch.targets);
    problems.push(...batch.problems);
  }
  if (options.folder) {
    const found = await exporter.hooks.discover.promise({ folder: options.folder, spec: options.spec, signal: options.signal });
    if (!found) throw new ConfigError('--folder needs a source that can list VMs (source-vsphere)');
    if (found.length === 0) problems.push({ origin: `--folder ${options.folder}`, message: 'no VM below this folder' });
    targets.push(...found.map((vm) => ({ vm: vm.path, origin: `--folder ${options.folder}` })));
  }
  let filtered = targets;
  if (options.filter !== undefined) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(options.filter);
    } catch (error) {
      throw new ConfigError(`--filter ${options.filter} is not a valid regular expression: ${(error as Error).message}`);
    }
    filtered = targets.filter((target) => pattern.test(target.vm.split('/').pop() ?? target.vm));
  }
  // The same VM twice would race for one destination: keep the first.
  const seen = new Set<string>();
  return { targets: filtered.filter((target) => !seen.has(target.vm) && seen.add(target.vm)), problems };
}
