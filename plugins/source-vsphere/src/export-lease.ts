// The HttpNfcLease behind an export: opened by ExportVm or ExportSnapshot, waited on until
// ready, kept alive with HttpNfcLeaseProgress (a lease without progress calls expires after its
// leaseTimeout, typically 300 s: the predecessor's exports died there), then completed or aborted.
import { escapeXml, ExportError } from '@hyperexport/core';
import { retrieveObjectProperties } from './soap/property-collector.ts';
import { moRef, text } from './soap/xml.ts';
import type { ManagedObjectRef, XmlNode } from './soap/xml.ts';
import type { VimClient } from './soap/vim-client.ts';

export interface LeaseDevice {
  /** The device key to pass back to CreateDescriptor as `deviceId`. */
  readonly key: string;
  readonly url: string;
  readonly disk: boolean;
  readonly targetId?: string | undefined;
  readonly sslThumbprint?: string | undefined;
  readonly fileSize?: number | undefined;
}

export interface LeaseInfo {
  readonly devices: readonly LeaseDevice[];
  readonly leaseTimeoutSeconds: number;
  readonly totalDiskCapacityBytes: number;
}

const WAIT_POLL_MS = 500;
/** govc sends progress every 2 s; well inside any lease timeout. */
export const KEEP_ALIVE_INTERVAL_MS = 2000;
/** How long ExportVm/ExportSnapshot may take to answer (vCenter answers in seconds). */
const OPEN_TIMEOUT_MS = 5 * 60_000;

export class ExportLease {
  readonly ref: ManagedObjectRef;
  readonly #client: VimClient;
  #percent = 0;
  #timer: NodeJS.Timeout | undefined;
  #settled = false;
  #aborted = false;

  private constructor(client: VimClient, ref: ManagedObjectRef) {
    this.#client = client;
    this.ref = ref;
  }

  /**
   * ExportVm, or ExportSnapshot when `snapshot` is given. The call is not cut short by `signal`:
   * the server makes the lease whether or not the answer is read, and only the answer names it.
   * So the call finishes, and a lease opened for a job cancelled meanwhile is aborted at once
   * rather than left open until its timeout.
   */
  static async open(client: VimClient, vm: ManagedObjectRef, snapshot: ManagedObjectRef | undefined, signal?: AbortSignal): Promise<ExportLease> {
    signal?.throwIfAborted();
    const deadline = AbortSignal.timeout(OPEN_TIMEOUT_MS);
    const answer = snapshot
      ? await client.invoke('ExportSnapshot', [moRef('_this', snapshot)], deadline)
      : await client.invoke('ExportVm', [moRef('_this', vm)], deadline);
    const ref = answer.childRef('returnval');
    if (!ref) throw new ExportError('the server returned no export lease', { code: 'VIM_PROTOCOL' });
    const lease = new ExportLease(client, ref);
    if (signal?.aborted) {
      await lease.abort(signal.reason instanceof Error ? signal.reason.message : 'export cancelled').catch(() => undefined);
      signal.throwIfAborted();
    }
    return lease;
  }

  /** Waits until the lease leaves `initializing`; returns its info or throws its error. */
  async waitReady(signal: AbortSignal): Promise<LeaseInfo> {
    // Hosts usually need well under a second to open the disks: poll quickly at first.
    let pause = 25;
    for (;;) {
      const [content] = await retrieveObjectProperties(this.#client, [this.ref], ['state', 'error', 'info'], signal);
      const state = content?.props.get('state')?.text;
      if (state === 'ready') return parseLeaseInfo(content!.props.get('info'));
      if (state === 'error') throw new ExportError(`the export lease failed: ${leaseErrorMessage(content!.props.get('error'))}`, { code: 'LEASE_ERROR' });
      if (state === 'done') throw new ExportError('the export lease ended before the download started', { code: 'LEASE_ERROR' });
      await delay(pause, signal);
      pause = Math.min(pause * 2, WAIT_POLL_MS);
    }
  }

  /** Current state (`ready`, `done`, `error`), e.g. to tell an expired lease from a network cut. */
  async state(signal?: AbortSignal): Promise<string | undefined> {
    const [content] = await retrieveObjectProperties(this.#client, [this.ref], ['state'], signal);
    return content?.props.get('state')?.text;
  }

  /**
   * Sends HttpNfcLeaseProgress every interval with the latest percentage. A failed call (the
   * lease expired or was aborted) is reported once through `onLost`.
   */
  startKeepAlive(onLost: (error: unknown) => void, intervalMs = KEEP_ALIVE_INTERVAL_MS): void {
    const tick = () => {
      this.#client.invoke('HttpNfcLeaseProgress', [moRef('_this', this.ref), text('percent', this.#percent)], AbortSignal.timeout(30_000)).then(
        () => {
          if (!this.#settled) this.#timer = setTimeout(tick, intervalMs);
        },
        (error: unknown) => {
          if (!this.#settled) onLost(error);
        },
      );
    };
    this.#timer = setTimeout(tick, 0);
  }

  /** The real percentage (0..99 until complete), sent with the next keep-alive. */
  set percent(value: number) {
    this.#percent = Math.max(this.#percent, Math.min(99, Math.floor(value)));
  }

  async complete(): Promise<void> {
    this.#stop();
    await this.#client.invoke('HttpNfcLeaseComplete', [moRef('_this', this.ref)], AbortSignal.timeout(60_000));
  }

  async abort(reason: string): Promise<void> {
    if (this.#settled && this.#aborted) return;
    this.#aborted = true;
    this.#stop();
    await this.#client.invoke(
      'HttpNfcLeaseAbort',
      [
        moRef('_this', this.ref),
        // A LocalizedMethodFault tells vCenter's task list why the export stopped.
        `<fault><fault xsi:type="SystemError"><reason>${escapeXml(reason)}</reason></fault><localizedMessage>${escapeXml(reason)}</localizedMessage></fault>`,
      ],
      AbortSignal.timeout(60_000),
    );
  }

  #stop(): void {
    this.#settled = true;
    if (this.#timer) clearTimeout(this.#timer);
  }
}

function parseLeaseInfo(info: XmlNode | undefined): LeaseInfo {
  if (!info) throw new ExportError('the ready export lease has no info', { code: 'VIM_PROTOCOL' });
  const devices = info.children('deviceUrl').map((device) => ({
    key: device.childText('key') ?? '',
    url: device.childText('url') ?? '',
    disk: device.childText('disk') === 'true',
    targetId: device.childText('targetId'),
    sslThumbprint: device.childText('sslThumbprint'),
    fileSize: device.childText('fileSize') === undefined ? undefined : Number(device.childText('fileSize')),
  }));
  return {
    devices,
    leaseTimeoutSeconds: Number(info.childText('leaseTimeout') ?? 300),
    totalDiskCapacityBytes: Number(info.childText('totalDiskCapacityInKB') ?? 0) * 1024,
  };
}

function leaseErrorMessage(error: XmlNode | undefined): string {
  return error?.childText('localizedMessage') ?? error?.child('fault')?.xsiType ?? 'unknown error';
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

// The NFC URL with a `*` host replaced by the host we connected to (ESXi answers with a `*` host).
export function resolveDeviceUrl(deviceUrl: string, connected: URL): URL {
  const url = new URL(deviceUrl.replace('://*', '://placeholder.invalid'));
  if (url.hostname === 'placeholder.invalid') {
    url.hostname = connected.hostname;
    url.port = url.port || connected.port;
  }
  return url;
}
