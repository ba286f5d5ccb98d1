// One vSphere session per job: opened when the job is inspected, shared by the plugins that
// work on the same VM (snapshot, export), and closed when the job is released.
import type { Job } from '@hyperexport/core';
import { connectVsphere } from './connect.ts';
import type { ConnectionFlags, VsphereOptions } from './connection-settings.ts';
import { findVm } from './inventory.ts';
import type { VmSummary } from './inventory.ts';
import type { VimClient } from './soap/vim-client.ts';

export interface VsphereSession {
  readonly client: VimClient;
  readonly vm: VmSummary;
  readonly datacenter: string | undefined;
}

const SESSION = 'vsphere:session';

/** Opens (once per job) the session and finds the job's VM. */
export function openSession(job: Job, options: VsphereOptions, flags: ConnectionFlags): Promise<VsphereSession> {
  let session = job.state.get(SESSION) as Promise<VsphereSession> | undefined;
  if (!session) {
    session = (async () => {
      const { client, datacenter } = await connectVsphere(options, flags, job.signal);
      try {
        return { client, vm: await findVm(client, job.spec.vm!, datacenter, job.signal), datacenter };
      } catch (error) {
        await client.close();
        throw error;
      }
    })();
    job.state.set(SESSION, session);
  }
  return session;
}

/** The job's session, for plugins that work on the same VM; undefined when none is open. */
export function vsphereSessionOf(job: Job): Promise<VsphereSession> | undefined {
  return job.state.get(SESSION) as Promise<VsphereSession> | undefined;
}

export async function closeSession(job: Job): Promise<void> {
  const session = vsphereSessionOf(job);
  job.state.delete(SESSION);
  const opened = await session?.catch(() => undefined);
  await opened?.client.close();
}
