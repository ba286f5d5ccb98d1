// Finding and describing VMs: by inventory path (`/DC0/vm/folder/name`) or by name, and the
// list behind `hyperexport vms`.
import { ExportError } from '@hyperexport/core';
import { retrieveContainerContents, retrieveObjectProperties } from './soap/property-collector.ts';
import type { ObjectContent } from './soap/property-collector.ts';
import { moRef, text } from './soap/xml.ts';
import type { ManagedObjectRef, XmlNode } from './soap/xml.ts';
import type { VimClient } from './soap/vim-client.ts';

export interface VmDisk {
  readonly key: number;
  readonly label: string;
  readonly capacityBytes: number;
  readonly fileName: string;
}

export interface VmSummary {
  readonly ref: ManagedObjectRef;
  readonly name: string;
  /** Inventory path, e.g. `/DC0/vm/web01`, when known. */
  readonly path?: string | undefined;
  readonly powerState: 'poweredOn' | 'poweredOff' | 'suspended' | string;
  readonly disks: readonly VmDisk[];
  /** Storage the VM uses on its datastores (thin disks count what they hold). */
  readonly committedBytes: number;
  readonly uncommittedBytes: number;
  readonly template: boolean;
}

const VM_PATHS = [
  'name',
  'parent',
  'runtime.powerState',
  'config.hardware.device',
  'summary.storage.committed',
  'summary.storage.uncommitted',
  'config.template',
];

/**
 * Resolves what the user typed: an inventory path (with a leading `/`, or relative to the
 * datacenter), or a VM name searched through the whole inventory.
 */
export async function findVm(client: VimClient, wanted: string, datacenter: string | undefined, signal?: AbortSignal): Promise<VmSummary> {
  if (wanted.includes('/')) {
    const path = wanted.startsWith('/') ? wanted : `/${datacenter ?? ''}/vm/${wanted}`.replace(/\/+/g, '/');
    const found = await client.invoke(
      'FindByInventoryPath',
      [moRef('_this', client.serviceContent.searchIndex), text('inventoryPath', path.replace(/^\//, ''))],
      signal,
    );
    const ref = found.childRef('returnval');
    if (!ref || ref.type !== 'VirtualMachine') {
      throw new ExportError(`no VM at inventory path ${path}`, {
        code: 'VM_NOT_FOUND',
        hint: 'list the VMs with `hyperexport vms`; paths look like /DATACENTER/vm/FOLDER/NAME',
      });
    }
    const [summary] = await describeVms(client, [ref], signal);
    return { ...summary!, path };
  }
  const all = await listVms(client, signal);
  const matches = all.filter((vm) => vm.name === wanted && (!datacenter || vm.path?.startsWith(`/${datacenter}/`)));
  if (matches.length === 0)
    throw new ExportError(`no VM named "${wanted}"`, { code: 'VM_NOT_FOUND', hint: 'list the VMs with `hyperexport vms`, or give the inventory path' });
  if (matches.length > 1) {
    throw new ExportError(`${matches.length} VMs are named "${wanted}": ${matches.map((vm) => vm.path ?? vm.ref.value).join(', ')}`, {
      code: 'VM_AMBIGUOUS',
      hint: 'give the inventory path instead of the name',
    });
  }
  return matches[0]!;
}

export async function describeVms(client: VimClient, refs: readonly ManagedObjectRef[], signal?: AbortSignal): Promise<VmSummary[]> {
  const contents = await retrieveObjectProperties(client, refs, VM_PATHS, signal);
  return contents.map((content) => toSummary(content, undefined));
}

/** Every VM (templates included) with its inventory path, through a paged ContainerView. */
export async function listVms(client: VimClient, signal?: AbortSignal): Promise<VmSummary[]> {
  const root = client.serviceContent.rootFolder;
  const [vms, folders, datacenters] = await Promise.all([
    retrieveContainerContents(client, root, 'VirtualMachine', VM_PATHS, signal),
    retrieveContainerContents(client, root, 'Folder', ['name', 'parent'], signal),
    retrieveContainerContents(client, root, 'Datacenter', ['name', 'parent'], signal),
  ]);
  const parents = new Map<string, { name: string; parent?: ManagedObjectRef | undefined }>();
  for (const item of [...folders, ...datacenters]) {
    parents.set(key(item.obj), { name: item.props.get('name')?.text ?? '', parent: refOf(item.props.get('parent')) });
  }
  const pathOf = (name: string, parent: ManagedObjectRef | undefined): string => {
    const parts = [name];
    for (let at = parent; at && at.value !== root.value; at = parents.get(key(at))?.parent) {
      const node = parents.get(key(at));
      if (!node) break;
      parts.unshift(node.name);
    }
    return `/${parts.join('/')}`;
  };
  return vms
    .map((content) => {
      const name = content.props.get('name')?.text ?? content.obj.value;
      return toSummary(content, pathOf(name, refOf(content.props.get('parent'))));
    })
    .sort((a, b) => (a.path ?? a.name).localeCompare(b.path ?? b.name));
}

function toSummary(content: ObjectContent, path: string | undefined): VmSummary {
  const props = content.props;
  return {
    ref: content.obj,
    name: props.get('name')?.text ?? content.obj.value,
    path,
    powerState: props.get('runtime.powerState')?.text ?? 'unknown',
    disks: disksOf(props.get('config.hardware.device')),
    committedBytes: Number(props.get('summary.storage.committed')?.text ?? 0),
    uncommittedBytes: Number(props.get('summary.storage.uncommitted')?.text ?? 0),
    template: props.get('config.template')?.text === 'true',
  };
}

export function disksOf(devices: XmlNode | undefined): VmDisk[] {
  if (!devices) return [];
  return devices
    .children()
    .filter((device) => device.xsiType === 'VirtualDisk')
    .map((disk) => ({
      key: Number(disk.childText('key')),
      label: disk.path('deviceInfo', 'label')?.text ?? `disk ${disk.childText('key')}`,
      capacityBytes: Number(disk.childText('capacityInBytes') ?? Number(disk.childText('capacityInKB') ?? 0) * 1024),
      fileName: disk.path('backing', 'fileName')?.text ?? '',
    }));
}

function refOf(node: XmlNode | undefined): ManagedObjectRef | undefined {
  return node ? { type: node.attribute('type') ?? '', value: node.text } : undefined;
}

function key(ref: ManagedObjectRef): string {
  return `${ref.type}:${ref.value}`;
}
