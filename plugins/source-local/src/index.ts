// source-local: exports a VM that is already on disk — a VM folder (.vmx + .vmdk), an .ovf or
// an .ova — through the same pipeline as a vSphere export, so existing exports can be
// repackaged, compressed, encrypted, uploaded and rotated.
import { definePlugin } from '@hyperexport/core';
import type { ExportSource, Job } from '@hyperexport/core';
import { openLocalSource } from './open-local-source.ts';

const PLUGIN_NAME = 'source-local';
const OPENED = 'source-local:opened';

export { openLocalSource } from './open-local-source.ts';

export default definePlugin({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'reads a local VM folder (.vmx + .vmdk), .ovf or .ova',
  provides: ['source:local'],
  setup(exporter) {
    // Opened once per job: in inspect (so the checks know the name and the size), reused by download.
    const open = (job: Job): Promise<ExportSource> => {
      let opened = job.state.get(OPENED) as Promise<ExportSource> | undefined;
      if (!opened) {
        opened = openLocalSource(job.spec.source!);
        job.state.set(OPENED, opened);
      }
      return opened;
    };
    exporter.hooks.inspect.tapPromise(PLUGIN_NAME, async (job) => {
      if (!job.spec.source) return undefined;
      const source = await open(job);
      const bytes = source.files.reduce((sum, file) => sum + (file.size ?? 0), 0);
      return { name: source.vmName, path: job.spec.source, committedBytes: bytes };
    });
    exporter.hooks.download.tapPromise(PLUGIN_NAME, async (job) => {
      if (!job.spec.source) return undefined;
      return open(job);
    });
  },
});
