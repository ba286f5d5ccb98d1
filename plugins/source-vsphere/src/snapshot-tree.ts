// A VM's snapshots, read from its `snapshot` property (a tree of VirtualMachineSnapshotTree).
import { retrieveObjectProperties } from './soap/property-collector.ts';
import type { ManagedObjectRef, XmlNode } from './soap/xml.ts';
import type { VimClient } from './soap/vim-client.ts';

export interface SnapshotNode {
  readonly ref: ManagedObjectRef;
  readonly name: string;
  readonly createTime: string;
  /** Names from the root down, e.g. `base/before-upgrade`. */
  readonly path: string;
}

/** Every snapshot of the VM, depth first. */
export async function listSnapshots(client: VimClient, vm: ManagedObjectRef, signal?: AbortSignal): Promise<SnapshotNode[]> {
  const [content] = await retrieveObjectProperties(client, [vm], ['snapshot'], signal);
  return snapshotsOf(content?.props.get('snapshot'));
}

export function snapshotsOf(info: XmlNode | undefined): SnapshotNode[] {
  const out: SnapshotNode[] = [];
  const walk = (nodes: XmlNode[], prefix: string) => {
    for (const node of nodes) {
      const name = node.childText('name') ?? '';
      const path = prefix ? `${prefix}/${name}` : name;
      out.push({ ref: node.childRef('snapshot')!, name, createTime: node.childText('createTime') ?? '', path });
      walk(node.children('childSnapshotList'), path);
    }
  };
  walk(info?.children('rootSnapshotList') ?? [], '');
  return out;
}
