// An open vSphere export as the core sees it (an ExportSource): one NFC lease, one SourceFile per
// disk, the OVF from CreateDescriptor once the real sizes are known, and the lease completed or
// aborted at the end. A lease lost mid-export is replaced by a new one; disks already written
// are not downloaded again, and the disk in flight starts again from zero.
import { Transform, pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { ExportError } from '@hyperexport/core';
import type { ExportSource, FileDigest, SourceFile, StageBinding } from '@hyperexport/core';
import { readDiskState } from './disk-state.ts';
import { ExportLease, KEEP_ALIVE_INTERVAL_MS, resolveDeviceUrl } from './export-lease.ts';
import type { LeaseDevice, LeaseInfo } from './export-lease.ts';
import type { VmSummary } from './inventory.ts';
import { DiskSizeEstimate } from './nfc/disk-size-estimate.ts';
import { openResumableDownload } from './nfc/resumable-download.ts';
import { tlsSettingsOf } from './soap/tls.ts';
import { el, moRef, text } from './soap/xml.ts';
import type { ManagedObjectRef } from './soap/xml.ts';
import type { VimClient } from './soap/vim-client.ts';

export interface VsphereSourceOptions {
  readonly client: VimClient;
  readonly vm: VmSummary;
  readonly snapshot?: ManagedObjectRef | undefined;
  readonly signal: AbortSignal;
  /** Told about keep-alive problems and retries. */
  readonly warn: (message: string) => void;
  /** Aborts the job when the lease cannot be kept or replaced. */
  readonly fail: (error: unknown) => void;
}

interface DiskFile {
  readonly name: string;
  /** The device key that CreateDescriptor wants as deviceId; stable across leases. */
  readonly deviceKey: string;
  /** How long its stream will be, refined as it is read (the stream has no length). */
  readonly estimate: DiskSizeEstimate;
}

const KIND = 'source-vsphere';

export async function openVsphereExport(options: VsphereSourceOptions): Promise<ExportSource> {
  const source = new VsphereExport(options);
  await source.start();
  return source;
}

class VsphereExport implements ExportSource {
  readonly kind = KIND;
  readonly vmName: string;
  readonly identity: string;
  readonly jobIdentity: string;
  files: SourceFile[] = [];
  readonly #options: VsphereSourceOptions;
  #lease: ExportLease | undefined;
  #info: LeaseInfo | undefined;
  #leaseRenewal: Promise<void> | undefined;
  #disks: DiskFile[] = [];
  #closed = false;
  /** The state of the VM's disks while the first lease held them (no snapshot), or why it is unknown. */
  #diskState: { readonly value: string } | { readonly error: string } | undefined;

  constructor(options: VsphereSourceOptions) {
    this.#options = options;
    this.vmName = options.vm.name;
    const { url } = options.client;
    // The job is the VM; what is read (and so whether a checkpoint applies) is the snapshot's.
    this.jobIdentity = `vsphere:${url.host}${url.pathname}#${options.vm.ref.value}`;
    this.identity = `${this.jobIdentity}${options.snapshot ? `@${options.snapshot.value}` : ''}`;
  }

  async start(): Promise<void> {
    await this.#openLease();
    // Read while the lease holds the VM (it cannot be powered on meanwhile): the state of the
    // bytes this run reads. A snapshot's disks do not change; its id is in `identity`.
    if (!this.#options.snapshot) {
      this.#diskState = await readDiskState(this.#options.client, this.#options.vm.ref, this.#options.signal).then(
        (value) => ({ value }),
        (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
      );
    }
    const info = this.#info!;
    const disks = info.devices.filter((device) => device.disk);
    if (disks.length === 0) throw new ExportError(`the export lease of ${this.vmName} lists no disk`, { code: 'LEASE_ERROR' });
    const priors = priorEstimates(info, this.#options.vm, disks.length);
    this.#disks = disks.map((device, index) => ({
      name: `${safeStem(this.vmName)}-disk${index}.vmdk`,
      deviceKey: device.key,
      estimate: new DiskSizeEstimate(priors[index]!),
    }));
    this.files = this.#disks.map((disk) => ({
      name: disk.name,
      rereadable: false,
      get estimatedSize() {
        return disk.estimate.bytes;
      },
      open: (signal: AbortSignal) => this.#openDisk(disk, signal),
    }));
  }

  /**
   * The VM's disk state, bound into the checkpoint: a rerun after the VM ran (and its disks
   * changed) starts over instead of adding disks of the new state to those of the old one.
   */
  checkpointBinding(recorded: string | undefined): Promise<StageBinding> {
    const state = this.#diskState;
    if (this.#options.snapshot || !state) return Promise.resolve({ value: `snapshot:${this.#options.snapshot?.value ?? ''}` });
    if ('error' in state) {
      return Promise.resolve({
        value: 'unknown',
        mismatch: `could not read the state of the VM's disks (${state.error}), so nothing shows that they are unchanged since the interrupted run read them`,
      });
    }
    if (recorded === undefined)
      return Promise.resolve({ value: state.value, mismatch: "the interrupted run recorded no state of the VM's disks to compare with" });
    if (recorded === 'unknown') return Promise.resolve({ value: state.value, mismatch: "the interrupted run could not read the state of the VM's disks" });
    return Promise.resolve({
      value: state.value,
      mismatch:
        recorded === state.value
          ? undefined
          : "the VM's disks changed since the interrupted run read them (it ran, or its disk files, their sizes or modification times, or its configuration differ)",
    });
  }

  async descriptor(digests: readonly FileDigest[], signal: AbortSignal): Promise<string> {
    const { client, vm } = this.#options;
    const sizes = new Map(digests.map((digest) => [digest.name, digest.size]));
    const ovfFiles = this.#disks.map((disk) =>
      el('ovfFiles', [text('deviceId', disk.deviceKey), text('path', disk.name), text('size', sizes.get(disk.name) ?? 0)]),
    );
    const answer = await client.invoke(
      'CreateDescriptor',
      [moRef('_this', client.serviceContent.ovfManager), moRef('obj', vm.ref), el('cdp', [...ovfFiles, text('name', this.vmName)])],
      signal,
    );
    const result = answer.child('returnval');
    const errors = result?.children('error') ?? [];
    if (errors.length > 0) {
      throw new ExportError(`CreateDescriptor reported: ${errors.map((e) => e.childText('localizedMessage') ?? e.child('fault')?.xsiType).join('; ')}`, {
        code: 'DESCRIPTOR',
      });
    }
    const descriptor = result?.childText('ovfDescriptor');
    if (!descriptor) throw new ExportError('CreateDescriptor returned no OVF descriptor', { code: 'DESCRIPTOR' });
    for (const disk of this.#disks) {
      if (!descriptor.includes(`"${disk.name}"`))
        throw new ExportError(`the OVF from CreateDescriptor does not reference ${disk.name}`, { code: 'DESCRIPTOR' });
    }
    return descriptor;
  }

  progress(bytesRead: number): void {
    const estimated = this.#disks.reduce((sum, disk) => sum + disk.estimate.bytes, 0);
    if (this.#lease) this.#lease.percent = (bytesRead / Math.max(1, estimated)) * 100;
  }

  async complete(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // The session stays open: a snapshot may still have to be removed. The job releases it.
    await this.#lease?.complete();
  }

  async abort(reason: unknown): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#lease?.abort(reason instanceof Error ? reason.message : String(reason));
  }

  async #openLease(): Promise<void> {
    const { client, vm, snapshot, signal } = this.#options;
    const lease = await ExportLease.open(client, vm.ref, snapshot, signal);
    this.#lease = lease;
    try {
      this.#info = await lease.waitReady(signal);
    } catch (error) {
      await lease.abort(error instanceof Error ? error.message : String(error)).catch(() => undefined);
      throw error;
    }
    // Every 2 s as govc does, or faster when the server set a short lease timeout.
    const interval = Math.max(100, Math.min(KEEP_ALIVE_INTERVAL_MS, (this.#info.leaseTimeoutSeconds * 1000) / 3));
    lease.startKeepAlive((error) => this.#onLeaseLost(lease, error), interval);
  }

  // The keep-alive failed: the lease expired or was aborted on the server. Open a new lease; the
  // downloads in flight fail on their old URLs and start again on the new ones.
  #onLeaseLost(lost: ExportLease, error: unknown): void {
    if (this.#closed || this.#lease !== lost || this.#leaseRenewal) return;
    this.#options.warn(`the export lease was lost (${error instanceof Error ? error.message : String(error)}); opening a new one`);
    this.#renew(lost, false);
  }

  /**
   * Replaces `lost` unless that already happened. With `checkFirst`, asks the server first: a disk
   * URL that answers 404 may come before the keep-alive notices the lease is gone.
   */
  #renew(lost: ExportLease, checkFirst: boolean): void {
    if (this.#closed || this.#lease !== lost || this.#leaseRenewal) return;
    this.#leaseRenewal = (async () => {
      if (checkFirst) {
        const state = await lost.state(this.#options.signal).catch(() => undefined);
        if (state === 'ready') return;
        this.#options.warn(`the export lease is no longer ready (state ${state ?? 'unknown'}); opening a new one`);
      }
      await lost.abort('replaced by a new export lease').catch(() => undefined);
      await this.#openLease();
      // Between the two leases the VM was free to run: the disks already read must still match.
      const before = this.#diskState;
      if (before && 'value' in before) {
        const now = await readDiskState(this.#options.client, this.#options.vm.ref, this.#options.signal).catch(() => undefined);
        if (now !== before.value)
          throw new ExportError(
            "the VM's disks changed (or their state could not be read) while the export lease was lost: the disks read so far may not match the rest",
            { code: 'SOURCE_CHANGED', hint: 'run the export again, or export from a snapshot (--snapshot-before)' },
          );
      }
    })()
      .catch((renewError: unknown) => this.#options.fail(renewError))
      .finally(() => {
        this.#leaseRenewal = undefined;
      });
  }

  async #openDisk(disk: DiskFile, signal: AbortSignal): Promise<Readable> {
    if (this.#leaseRenewal) await this.#leaseRenewal;
    const device = this.#deviceOf(disk);
    const { client } = this.#options;
    const url = resolveDeviceUrl(device.url, client.url);
    const lease = this.#lease;
    const download = openResumableDownload({
      url: url.href,
      // The same TLS policy as the SOAP connection (the download does not go through undici).
      tls: tlsSettingsOf(client.dispatcher),
      headers: client.cookie ? { cookie: client.cookie } : {},
      signal,
      onRetry: ({ attempt, error, resumed, bytesSoFar }) => {
        this.#options.warn(
          `${disk.name}: ${error instanceof Error ? error.message : String(error)}; retry ${attempt}${resumed ? ` resuming at byte ${bytesSoFar}` : ''}`,
        );
      },
      // A URL of a lease that is gone answers 404/403: the file starts again on a new lease.
      restartOn: (error) => {
        const gone = isGoneLeaseError(error);
        if (gone && lease) this.#renew(lease, true);
        return gone || this.#lease !== lease;
      },
    });
    return measured(download, disk.estimate);
  }

  #deviceOf(disk: DiskFile): LeaseDevice {
    const device = this.#info?.devices.find((candidate) => candidate.key === disk.deviceKey);
    if (!device) throw new ExportError(`the export lease has no device ${disk.deviceKey} for ${disk.name}`, { code: 'LEASE_ERROR' });
    return device;
  }
}

/**
 * What each disk's stream should weigh before a byte is read. A streamOptimized stream holds the
 * allocated, compressed grains only: never more than the capacity (the lease's
 * totalDiskCapacityInKB, split as the VM's disks are), and, when the VM's storage info says how
 * much of it is committed, about that share of it.
 */
function priorEstimates(info: LeaseInfo, vm: VmSummary, count: number): number[] {
  const capacities =
    vm.disks.length === count ? vm.disks.map((disk) => disk.capacityBytes) : Array.from({ length: count }, () => info.totalDiskCapacityBytes / count);
  const totalCapacity = capacities.reduce((sum, bytes) => sum + bytes, 0) || info.totalDiskCapacityBytes;
  const share = vm.committedBytes > 0 && totalCapacity > 0 ? Math.min(1, vm.committedBytes / totalCapacity) : 1;
  return capacities.map((bytes) => Math.max(1, bytes * share));
}

/** The download with every byte shown to `estimate` on the way; errors pass through as they are. */
function measured(download: Readable, estimate: DiskSizeEstimate): Readable {
  // Each open reads the stream from its first byte (a resumed download stays inside one stream).
  estimate.reset();
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      estimate.observe(chunk);
      callback(null, chunk);
    },
  });
  pipeline(download, tap, () => undefined);
  return tap;
}

function isGoneLeaseError(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  return status === 404 || status === 403 || status === 410;
}

/** A VM name as the stem of disk file names: no path separators or odd characters. */
function safeStem(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_') || 'vm';
}
