// `hyperexport remote ls|get|rm URL`: browse, download and delete exports in any backend. Exports
// are found by their records, so `rm` deletes whole exports and `get` verifies every file.
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BaseCommand,
  Command,
  ConfigError,
  DigestMeter,
  EXPORT_RECORD_SUFFIX,
  ExitCode,
  JSON_OUTPUT,
  ExportError,
  Option,
  withPlaceholder,
  createExclusiveWriteStream,
  deleteExport,
  formatBytes,
  jsonOption,
  listExportRecords,
  readExportRecord,
  temporaryPathBeside,
} from '@hyperexport/core';
import type { FoundExport, StorageService } from '@hyperexport/core';

abstract class RemoteCommand extends BaseCommand {
  url = Option.String({ required: true, name: 'URL' });

  /** Opens the service at the URL's folder; the last path part names an export when it is a record. */
  protected async openService(command: string, url = this.url): Promise<StorageService> {
    const loaded = await this.loadConfigFile(command);
    const exporter = await this.createExporter(loaded);
    return exporter.storage.open(url);
  }

  /** The export a URL names: its record URL, or the URL of its folder or package plus the record beside it. */
  protected async findExport(command: string, signal: AbortSignal): Promise<{ service: StorageService; found: FoundExport }> {
    // The query carries backend options (?endpoint=…): it stays with the folder's URL.
    const queryAt = this.url.indexOf('?');
    const query = queryAt < 0 ? '' : this.url.slice(queryAt);
    const trimmed = (queryAt < 0 ? this.url : this.url.slice(0, queryAt)).replace(/\/+$/, '');
    const slash = trimmed.lastIndexOf('/');
    const last = trimmed.slice(slash + 1);
    const service = await this.openService(command, `${trimmed.slice(0, slash)}${query}`);
    if (last.endsWith(EXPORT_RECORD_SUFFIX)) return { service, found: await readExportRecord(service, last, signal) };
    // The listing read every record already: the match is used as it is, not read again.
    const candidates = (await listExportRecords(service, '', signal)).filter((found) => found.record.baseName === last || found.keys.includes(last));
    if (candidates.length !== 1) {
      await service.close?.();
      throw new ConfigError(
        candidates.length === 0
          ? `no export named ${last} at ${service.url}`
          : `${last} matches several exports at ${service.url}: ${candidates.map((found) => found.recordKey).join(', ')}`,
        {
          hint: 'list them with `hyperexport remote ls URL` and give the record (NAME.FORMAT.hyperexport.json)',
        },
      );
    }
    return { service, found: candidates[0]! };
  }
}

export class RemoteListCommand extends RemoteCommand {
  static override paths = [['remote', 'ls']];

  static override usage = Command.Usage({
    description: 'list the exports stored at a target URL',
    details: 'Lists the exports found by their records below the URL (newest first), or with `--all` every object.',
    examples: [
      ['List the exports in a bucket prefix', '$0 remote ls s3://backups/vms'],
      ['Every object, as JSON', '$0 remote ls sftp://backup@nas:22/exports --all --json'],
    ],
  });

  override json = jsonOption(JSON_OUTPUT.onePerLine('export (per stored object with --all)'));
  all = Option.Boolean('--all', false, { description: 'List every object, not only exports' });

  async run(): Promise<number> {
    const service = await this.openService('remote');
    const signal = new AbortController().signal;
    try {
      if (this.all) {
        for await (const object of service.list('', { signal })) {
          if (this.json)
            this.context.stdout.write(
              `${JSON.stringify({ type: 'object', key: object.key, size: object.size, lastModified: object.lastModified?.toISOString() })}\n`,
            );
          else this.context.stdout.write(`${formatBytes(object.size).padStart(10)}  ${object.lastModified?.toISOString() ?? ''}  ${object.key}\n`);
        }
        return ExitCode.OK;
      }
      const exports = (await listExportRecords(service, '', signal)).sort((a, b) => b.record.createdAt.localeCompare(a.record.createdAt));
      for (const found of exports) {
        const size = found.record.files.reduce((sum, file) => sum + file.size, 0);
        if (this.json) {
          this.context.stdout.write(
            `${JSON.stringify({ type: 'export', record: service.urlOf(found.recordKey), vm: found.record.vmName, name: found.record.baseName, format: found.record.format, createdAt: found.record.createdAt, size, stages: found.record.stages, tags: found.record.tags })}\n`,
          );
        } else {
          const tags = found.record.tags.length > 0 ? `  [${found.record.tags.join(', ')}]` : '';
          this.context.stdout.write(
            `${found.record.createdAt}  ${found.record.format.toUpperCase()}  ${formatBytes(size).padStart(10)}  ${found.record.baseName}  (vm ${found.record.vmName}${found.record.stages.length > 0 ? `; ${found.record.stages.join(', ')}` : ''})${tags}\n`,
          );
        }
      }
      if (!this.json && exports.length === 0) this.context.stdout.write(`no exports at ${service.url}\n`);
      return ExitCode.OK;
    } finally {
      await service.close?.();
    }
  }
}

export class RemoteGetCommand extends RemoteCommand {
  static override paths = [['remote', 'get']];

  static override usage = Command.Usage({
    description: 'download an export from a target URL, verifying every file',
    details: `
      The URL names an export: its record (NAME.FORMAT.hyperexport.json), its folder or its package.
      Every file is checked against the SHA-256 in the record; the download is staged under a
      hidden name and renamed into place only when all files are verified.
    `,
    examples: [['Download an export from S3', '$0 remote get s3://backups/vms/web01.ova.hyperexport.json --output ./restore']],
  });

  output = withPlaceholder('DIR', Option.String('--output,-o', { required: true, description: 'Directory to download into' }));
  overwrite = Option.Boolean('--overwrite', false, { description: 'Replace an existing export of the same name' });

  async run(): Promise<number> {
    const signal = new AbortController().signal;
    const { service, found } = await this.findExport('remote', signal);
    const output = resolve(this.output);
    // A unique folder of its own, made here: nothing someone else planted (a link) is written through.
    const staging = temporaryPathBeside(join(output, found.record.baseName), 'download-partial');
    try {
      const top = [...new Set(found.record.files.map((file) => file.path.split('/')[0]!)), found.recordKey.split('/').at(-1)!];
      for (const entry of top) {
        if (
          !this.overwrite &&
          (await stat(join(output, entry)).then(
            () => true,
            () => false,
          ))
        ) {
          throw new ConfigError(`${join(output, entry)} already exists`, { hint: 'give --overwrite, or another --output' });
        }
      }
      await mkdir(output, { recursive: true });
      await mkdir(staging);
      const folder = found.recordKey.includes('/') ? found.recordKey.slice(0, found.recordKey.lastIndexOf('/') + 1) : '';
      for (const file of found.record.files) {
        const target = join(staging, ...file.path.split('/'));
        await mkdir(dirname(target), { recursive: true });
        const meter = new DigestMeter();
        await pipeline(await service.get(`${folder}${file.path}`, { signal }), meter, createExclusiveWriteStream(target, { flush: true }), { signal });
        if (meter.bytes !== file.size || meter.sha256 !== file.sha256) {
          throw new ExportError(`${service.urlOf(`${folder}${file.path}`)} does not match its record (${meter.bytes} bytes, SHA-256 ${meter.sha256})`, {
            code: 'VERIFY',
            hint: 'the stored copy is damaged; nothing was written',
          });
        }
        if (!this.json) this.context.stdout.write(`${file.path}: ${formatBytes(file.size)} verified\n`);
      }
      const recordName = found.recordKey.split('/').at(-1)!;
      await pipeline(await service.get(found.recordKey, { signal }), createExclusiveWriteStream(join(staging, recordName)));
      for (const entry of top) {
        if (this.overwrite) await rm(join(output, entry), { recursive: true, force: true });
        await rename(join(staging, entry), join(output, entry));
      }
      if (this.json) this.context.stdout.write(`${JSON.stringify({ type: 'result', status: 'succeeded', path: output, files: found.record.files.length })}\n`);
      else this.context.stdout.write(`downloaded ${found.record.baseName} (${found.record.files.length} files verified) into ${output}\n`);
      return ExitCode.OK;
    } finally {
      await rm(staging, { recursive: true, force: true });
      await service.close?.();
    }
  }
}

export class RemoteRemoveCommand extends RemoteCommand {
  static override paths = [['remote', 'rm']];

  static override usage = Command.Usage({
    description: 'delete an export from a target URL (all its files)',
    details: 'Deletes the export the URL names, record first and then every file it lists. Asks first on a terminal; scripts pass `--yes`.',
    examples: [['Delete an old export', '$0 remote rm s3://backups/vms/web01-2026-01-01.ova.hyperexport.json --yes']],
  });

  yes = Option.Boolean('--yes,-y', false, { description: 'Do not ask for confirmation' });

  async run(): Promise<number> {
    const signal = new AbortController().signal;
    const { service, found } = await this.findExport('remote', signal);
    try {
      if (!this.yes) {
        const stdin = this.context.stdin as Readable & { isTTY?: boolean };
        if (!stdin.isTTY)
          throw new ConfigError(`refusing to delete ${service.urlOf(found.recordKey)} without confirmation: stdin is not a terminal`, { hint: 'pass --yes' });
        const prompt = createInterface({ input: this.context.stdin, output: this.context.stdout });
        const answer = await prompt.question(`Delete ${found.record.baseName} (${found.keys.length} objects) at ${service.url}? [y/N] `);
        prompt.close();
        if (!/^y(es)?$/i.test(answer.trim())) {
          this.context.stdout.write('nothing deleted\n');
          return ExitCode.OK;
        }
      }
      await deleteExport(service, found, signal);
      if (this.json)
        this.context.stdout.write(`${JSON.stringify({ type: 'result', status: 'succeeded', deleted: found.keys.map((key) => service.urlOf(key)) })}\n`);
      else this.context.stdout.write(`deleted ${found.record.baseName}: ${found.keys.length} objects\n`);
      return ExitCode.OK;
    } finally {
      await service.close?.();
    }
  }
}
