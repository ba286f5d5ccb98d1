// Opening a vSphere session from the layered settings (flags, config, GOVC_*), asking for the
// password on a terminal when none is set. Used by the export job and by the commands.
import type { LoadedConfig } from '@hyperexport/core';
import { promptSecret } from '@hyperexport/core';
import { resolveConnection } from './connection-settings.ts';
import type { ConnectionFlags, VsphereOptions } from './connection-settings.ts';
import { VimClient } from './soap/vim-client.ts';

export async function connectVsphere(
  options: VsphereOptions,
  flags: ConnectionFlags,
  signal?: AbortSignal,
): Promise<{ client: VimClient; datacenter: string | undefined }> {
  const { settings, datacenter } = await resolveConnection(options, flags, process.env, process.stdin.isTTY ? promptSecret : undefined);
  return { client: await VimClient.connect(settings, signal), datacenter };
}

/** The source-vsphere options of a config (checked when it loaded), for commands outside a job. */
export function vsphereOptionsOf(loaded: LoadedConfig): VsphereOptions {
  const configured = loaded.plugins.find((plugin) => plugin.definition.name === 'source-vsphere');
  return (configured?.rawOptions ?? {}) as VsphereOptions;
}
