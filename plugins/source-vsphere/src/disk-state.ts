// The state of a VM's disks as files on its datastores: what tells a rerun of an export that
// crashed whether the disks the crashed run kept still belong with the ones it downloads now.
// A VM exported without a snapshot is read live; nothing in its identity changes when it is
// powered on, written to and powered off again between the crash and the rerun. What does:
// - each disk file's size and modification time, from the datastore browser
//   (SearchDatastore_Task with FileQueryFlags fileSize/modification): the extent a guest
//   writes to, and the descriptor, whose content id (CID) is rewritten on the first write;
// - the files of each disk's chain with their sizes (layoutEx: a snapshot taken or removed, a
//   thin disk that grew), each disk's backing file and `changeId` (set when Changed Block
//   Tracking is on, new after every write session) and `config.changeVersion` (reconfiguration).
// Power-on events are not used: events are purged (vCenter keeps them for 30 days by default,
// an ESXi host only the last ones), so their absence proves nothing.
import { createHash } from 'node:crypto';
import { ExportError } from '@hyperexport/core';
import { retrieveObjectProperties } from './soap/property-collector.ts';
import { el, moRef, text } from './soap/xml.ts';
import type { ManagedObjectRef, XmlNode } from './soap/xml.ts';
import type { VimClient } from './soap/vim-client.ts';
import { waitForTask } from './tasks.ts';

/** Prefix of a recorded state: another prefix (another way of reading it) never matches. */
const STATE_VERSION = 'vsphere-disks1';

interface DiskFileState {
  readonly name: string;
  /** Size as layoutEx gives it. */
  readonly size: string;
  /** Size and modification time as the datastore browser gives them; absent when it hides the file. */
  readonly browsed?: { readonly size: string; readonly modified: string } | undefined;
}

/**
 * Reads the state of the VM's disks now and returns it as one string: equal strings mean the
 * disks were not changed in between. Throws when any part of it cannot be read (a disk without a
 * file layout, a descriptor the datastore browser does not list): the caller then cannot vouch
 * for the disks and must not continue an earlier export.
 */
export async function readDiskState(client: VimClient, vm: ManagedObjectRef, signal?: AbortSignal): Promise<string> {
  const [content] = await retrieveObjectProperties(
    client,
    [vm],
    ['runtime.powerState', 'config.changeVersion', 'config.hardware.device', 'layoutEx', 'datastore'],
    signal,
  );
  const props = content?.props;
  const powerState = props?.get('runtime.powerState')?.text;
  // Without a snapshot, only a VM that does not run has disks that hold still.
  if (powerState !== 'poweredOff') throw new ExportError(`the VM is ${powerState ?? 'in an unknown power state'}`, { code: 'VM_STATE' });
  const devices =
    props
      ?.get('config.hardware.device')
      ?.children()
      .filter((device) => device.xsiType === 'VirtualDisk') ?? [];
  if (devices.length === 0) throw new ExportError('the VM lists no disk', { code: 'VM_STATE' });
  const layout = props?.get('layoutEx');
  if (!layout) throw new ExportError('the VM has no file layout (layoutEx)', { code: 'VM_STATE' });
  const filesByKey = new Map(layout.children('file').map((file) => [file.childText('key') ?? '', file]));

  const disks = devices.map((device) => {
    const key = device.childText('key') ?? '';
    const chain = layout.children('disk').find((disk) => disk.childText('key') === key);
    if (!chain) throw new ExportError(`disk ${key} is not in the VM's file layout`, { code: 'VM_STATE' });
    const files = chain.children('chain').flatMap((unit) =>
      unit.children('fileKey').map((fileKey) => {
        const file = filesByKey.get(fileKey.text);
        const name = file?.childText('name');
        if (!file || !name) throw new ExportError(`disk ${key}: file ${fileKey.text} of its chain is not in the VM's file layout`, { code: 'VM_STATE' });
        return { name, type: file.childText('type') ?? '', size: file.childText('size') ?? '' };
      }),
    );
    if (files.length === 0) throw new ExportError(`disk ${key} has no file in the VM's file layout`, { code: 'VM_STATE' });
    return { key, backing: device.path('backing', 'fileName')?.text ?? '', changeId: device.path('backing', 'changeId')?.text ?? '', files };
  });

  const browsed = await browseFiles(
    client,
    refsOf(props?.get('datastore')),
    disks.flatMap((disk) => disk.files.map((file) => file.name)),
    signal,
  );
  const state = {
    changeVersion: props?.get('config.changeVersion')?.text ?? '',
    disks: disks.map((disk) => ({
      key: disk.key,
      backing: disk.backing,
      changeId: disk.changeId,
      files: disk.files.map((file): DiskFileState => {
        const found = browsed.get(file.name);
        // A host may hide a flat extent behind its descriptor; a descriptor it must list.
        if (!found && file.type === 'diskDescriptor') throw new ExportError(`the datastore browser does not list ${file.name}`, { code: 'VM_STATE' });
        return { name: file.name, size: file.size, browsed: found };
      }),
    })),
  };
  return `${STATE_VERSION}:${createHash('sha256').update(JSON.stringify(state)).digest('hex')}`;
}

/** Size and modification time of the named files (`[ds] folder/name`), one search per folder. */
async function browseFiles(
  client: VimClient,
  datastores: readonly ManagedObjectRef[],
  names: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, { size: string; modified: string }>> {
  const browsers = new Map<string, ManagedObjectRef>();
  for (const content of await retrieveObjectProperties(client, datastores, ['name', 'browser'], signal)) {
    const name = content.props.get('name')?.text;
    const browser = content.props.get('browser');
    if (name !== undefined && browser) browsers.set(name, { type: browser.attribute('type') ?? 'HostDatastoreBrowser', value: browser.text });
  }
  const folders = new Map<string, { datastore: string; names: Set<string> }>();
  for (const name of names) {
    const parsed = /^\[([^\]]*)\] ?(.*)$/.exec(name);
    if (!parsed) throw new ExportError(`${name} is not a datastore path`, { code: 'VM_STATE' });
    const [, datastore, path] = parsed;
    const slash = path!.lastIndexOf('/');
    const folder = `[${datastore!}] ${slash === -1 ? '' : path!.slice(0, slash)}`;
    const entry = folders.get(folder) ?? { datastore: datastore!, names: new Set<string>() };
    entry.names.add(path!.slice(slash + 1));
    folders.set(folder, entry);
  }
  const found = new Map<string, { size: string; modified: string }>();
  for (const [folder, { datastore }] of folders) {
    const browser = browsers.get(datastore);
    if (!browser) throw new ExportError(`the VM's datastore "${datastore}" has no browser the session can use`, { code: 'VM_STATE' });
    const task = (
      await client.invoke(
        'SearchDatastore_Task',
        [
          moRef('_this', browser),
          text('datastorePath', folder),
          // Every file of the folder: a pattern made of a file's name would read `[` and `?` in it
          // as wildcards.
          el('searchSpec', [
            el('details', [text('fileType', false), text('fileSize', true), text('modification', true), text('fileOwner', false)]),
            text('matchPattern', '*'),
          ]),
        ],
        signal,
      )
    ).childRef('returnval');
    if (!task) throw new ExportError('SearchDatastore_Task returned no task', { code: 'VIM_PROTOCOL' });
    const result = await waitForTask(client, task, `searching ${folder}`, signal);
    for (const file of result?.children('file') ?? []) {
      // As the server wrote it: its precision (seconds on ESXi, finer elsewhere) is kept.
      const modified = file.childText('modification');
      // An empty file may come without its size (0 left out, as vcsim does).
      const size = file.childText('fileSize') ?? '0';
      if (!modified || Number.isNaN(Date.parse(modified))) continue;
      const base = folder.endsWith(' ') ? folder : `${folder}/`;
      found.set(`${base}${file.childText('path') ?? ''}`, { size, modified });
    }
  }
  return found;
}

function refsOf(node: XmlNode | undefined): ManagedObjectRef[] {
  return (node?.children() ?? []).map((ref) => ({ type: ref.attribute('type') ?? 'Datastore', value: ref.text }));
}
