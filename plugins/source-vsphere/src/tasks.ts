// Waiting on a vSphere task: it is queued, then running, then success (with a result) or error
// (with a fault). The wait polls the task's `info` and honours the job's signal.
import { ExportError } from '@hyperexport/core';
import { setTimeout as delay } from 'node:timers/promises';
import { retrieveObjectProperties } from './soap/property-collector.ts';
import type { ManagedObjectRef, XmlNode } from './soap/xml.ts';
import type { VimClient } from './soap/vim-client.ts';

/** Resolves with the task's `result` element (if any) once it succeeds; throws its fault otherwise. */
export async function waitForTask(client: VimClient, task: ManagedObjectRef, what: string, signal?: AbortSignal): Promise<XmlNode | undefined> {
  let pause = 100;
  for (;;) {
    const [content] = await retrieveObjectProperties(client, [task], ['info'], signal);
    const info = content?.props.get('info');
    const state = info?.childText('state');
    if (state === 'success') return info?.child('result');
    if (state === 'error') {
      const error = info?.child('error');
      const fault = error?.child('fault')?.xsiType ?? 'SystemError';
      throw new ExportError(`${what} failed: ${fault}${error?.childText('localizedMessage') ? `: ${error.childText('localizedMessage')}` : ''}`, {
        code: `VIM_${fault}`,
      });
    }
    if (state !== 'queued' && state !== 'running')
      throw new ExportError(`${what}: the task is in an unknown state "${state ?? 'none'}"`, { code: 'VIM_PROTOCOL' });
    await delay(pause, undefined, { signal });
    pause = Math.min(pause * 2, 2000);
  }
}
