// The base of source-vsphere's own commands (vms, vm info): their connection flags are the
// plugin's declared connection settings, the same spellings as on `export`.
import { BaseCommand, addSettingOptions, settingFlagValues } from '@hyperexport/core';
import type { DeclaredSetting } from '@hyperexport/core';
import { CONNECTION_SETTINGS } from './connection-declarations.ts';
import type { ConnectionFlags } from './connection-settings.ts';

const DECLARED: readonly DeclaredSetting[] = Object.entries(CONNECTION_SETTINGS).map(([name, declaration]) => ({
  name,
  declaration,
  declaredBy: ['source-vsphere'],
}));

export abstract class VsphereCommand extends BaseCommand {
  constructor() {
    super();
    addSettingOptions(this, DECLARED);
  }

  /** The connection flags given; absent ones are left out so the config and GOVC_* apply. */
  protected connectionFlags(): ConnectionFlags {
    return settingFlagValues(this, DECLARED) as ConnectionFlags;
  }
}
