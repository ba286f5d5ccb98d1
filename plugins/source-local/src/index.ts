// source-local: exports a VM that is already on disk — a VM folder (.vmx + .vmdk), an .ovf or
// an .ova — through the same pipeline as a vSphere export, so existing exports can be
// repackaged, compressed, encrypted, uploaded and rotated.
import { definePlugin } from '@hyperexport/core';
import { openLocalSource } from './open-local-source.ts';

const PLUGIN_NAME = 'source-local';

export { openLocalSource } from './open-local-source.ts';

export default definePlugin({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'reads a local VM folder (.vmx + .vmdk), .ovf or .ova',
  provides: ['source:local'],
  setup(exporter) {
    exporter.hooks.download.tapPromise(PLUGIN_NAME, async (job) => {
      if (!job.spec.source) return undefined;
      return openLocalSource(job.spec.source);
    });
  },
});
