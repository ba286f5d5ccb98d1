// The export settings the core reads itself, declared once: from here come the `export` and
// `profiles save` flags, the profile fields and their checks. Plugins declare theirs beside them.
import * as t from 'typanion';
import { defineSettings, setting } from './define-settings.ts';

const isParallel = t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 64)]);

export const CORE_EXPORT_SETTINGS = defineSettings({
  format: setting.string({
    description: 'ova (one file) or ovf (a folder)',
    placeholder: 'ova|ovf',
    schema: t.isEnum(['ova', 'ovf'] as const),
    profile: true,
  }),
  parallel: setting.string({ description: 'Disks read at once per VM, 1 to 64 (default 4)', placeholder: 'N', schema: isParallel, profile: true }),
  overwrite: setting.boolean({ description: 'Replace an existing export of the same name', profile: true }),
  output: setting.string({ description: 'Directory to write the export to', flagAliases: ['-o'], placeholder: 'DIR', profile: true }),
  name: setting.string({
    description: 'Base name of the export (default: the VM name); {vm}, {date}, {timestamp} are replaced',
    placeholder: 'TEMPLATE',
    profile: true,
  }),
  tags: setting.list({
    description: 'Label the export (kept in its record; retention can keep tagged exports; repeatable)',
    flag: '--tag',
    placeholder: 'TAG',
    profile: true,
  }),
});

/** The core settings that are JobSpec fields; the others (tags) travel in `spec.extra` like a plugin's. */
export const JOB_SPEC_FIELDS = ['format', 'output', 'name', 'parallel', 'overwrite'] as const;
