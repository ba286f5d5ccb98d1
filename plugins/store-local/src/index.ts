// store-local: writes each export to a local directory (the job's --output, or `directory`).
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { definePlugin, t } from '@hyperexport/core';
import type { Job } from '@hyperexport/core';
import { FileStorageService } from './file-storage-service.ts';
import { LocalDirectorySink } from './local-directory-sink.ts';
import { refusePseudoFileSystem } from './output-file-system.ts';

const PLUGIN_NAME = 'store-local';

export { LocalDirectorySink } from './local-directory-sink.ts';
export { FileStorageService } from './file-storage-service.ts';
export { refusePseudoFileSystem } from './output-file-system.ts';

export default definePlugin({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'writes exports to a local directory atomically (staging folder, fsync, verify, rename)',
  provides: ['storage:file'],
  options: t.isObject({
    /** Directory to write to; default: the job's --output. */
    directory: t.isOptional(t.isString()),
    /** fsync files and directory before publishing (default true). */
    fsync: t.isOptional(t.isBoolean()),
    /** read files back and compare SHA-256 before publishing (default true). */
    verify: t.isOptional(t.isBoolean()),
  }),
  setup(exporter, options) {
    // file:// targets (a local or mounted NFS/SMB folder) for uploads, retention and `remote`.
    exporter.storage.register({
      name: PLUGIN_NAME,
      schemes: ['file'],
      open: (url) => Promise.resolve(new FileStorageService(fileURLToPath(url))),
    });
    const directoryOf = (job: Pick<Job, 'spec'>) => job.spec.output ?? options.directory;
    // store-remote asks this, so a `directory` without --output counts as a local copy too.
    exporter.storage.registerLocalOutput(PLUGIN_NAME, directoryOf);
    // A usage error (exit 2) before anything connects: an output under /proc, /sys or /dev.
    exporter.hooks.checkSettings.tapPromise(PLUGIN_NAME, async (spec) => {
      const directory = directoryOf({ spec });
      if (directory !== undefined) await refusePseudoFileSystem(directory);
    });
    exporter.hooks.store.tap(PLUGIN_NAME, (targets, job) => {
      const directory = directoryOf(job);
      if (directory === undefined) return;
      targets.add(new LocalDirectorySink(directory, { fsync: options.fsync ?? true, verify: options.verify ?? true }));
    });
    // Committed: the folder is one of the export's destinations (retention rotates it).
    exporter.hooks.published.tap(PLUGIN_NAME, (published, job) => {
      const directory = directoryOf(job);
      if (directory === undefined) return published;
      return { ...published, destinations: [...published.destinations, { url: pathToFileURL(resolve(directory)).href }] };
    });
  },
});
