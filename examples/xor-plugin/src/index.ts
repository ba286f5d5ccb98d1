// hyperexport-xor: an example of an outside HyperExport plugin with its whole surface declared
// in one place: a setting (the flag --xor-key-file, the profile key xorKeyFile, the config option
// and the environment variable HYPEREXPORT_XOR_KEY_FILE are one setting), a command
// (`hyperexport xor status`), a byte-changing disk stage and the reverse stage restore uses.
// XOR with a key file is no encryption; the plugin shows how the parts fit.
import { defineSettings, definePlugin, setting } from '@hyperexport/core';
import { XorStatusCommand } from './status-command.ts';
import { readXorKey } from './xor-key.ts';
import { KEY_FILE_ENV, reverseStages, xorStage } from './xor-stage.ts';

export { reverseStages } from './xor-stage.ts';
export { XorStatusCommand } from './status-command.ts';

const PLUGIN = 'hyperexport-xor';

export const settings = defineSettings({
  xorKeyFile: setting.string({
    description: 'XOR every disk with the key in FILE (1 to 4096 bytes); restore needs the same file (--key-file)',
    placeholder: 'FILE',
    profile: true,
    env: KEY_FILE_ENV,
  }),
});

export default definePlugin({
  name: PLUGIN,
  version: '0.1.0',
  description: 'XORs every disk with a key file (an example plugin, not encryption)',
  settings,
  commands: [XorStatusCommand],
  reverseStages,
  setup(exporter, _options, settings) {
    // Before a byte moves: a missing or empty key file is a problem listed with the other checks.
    exporter.hooks.validate.tapPromise({ name: PLUGIN, check: 'xor-key' }, async (job) => {
      const file = settings.of(job.spec).xorKeyFile;
      if (file !== undefined) await readXorKey(file);
    });
    exporter.hooks.transform.tapPromise(PLUGIN, async (plan, job) => {
      const file = settings.of(job.spec).xorKeyFile;
      if (file === undefined) return plan;
      plan.stages.push(xorStage(await readXorKey(file)));
      return plan;
    });
  },
});
