// RetrievePropertiesEx with paging: vCenter returns at most `maxObjects` objects per answer and a
// token for ContinueRetrievePropertiesEx; a large inventory needs every page.
import { el, moRef, text } from './xml.ts';
import type { ManagedObjectRef, XmlNode } from './xml.ts';
import type { VimClient } from './vim-client.ts';

export interface ObjectContent {
  readonly obj: ManagedObjectRef;
  /** Property values by path (e.g. `runtime.powerState`), as XML nodes to read as needed. */
  readonly props: ReadonlyMap<string, XmlNode>;
}

/** Properties of the given objects. */
export async function retrieveObjectProperties(
  client: VimClient,
  objects: readonly ManagedObjectRef[],
  paths: readonly string[],
  signal?: AbortSignal,
): Promise<ObjectContent[]> {
  if (objects.length === 0) return [];
  const type = objects[0]!.type;
  const spec = el('specSet', [
    el('propSet', [text('type', type), ...paths.map((path) => text('pathSet', path))]),
    ...objects.map((obj) => el('objectSet', [moRef('obj', obj), text('skip', false)])),
  ]);
  return retrieveAll(client, spec, signal);
}

/** Properties of every object of `type` below `container` (recursively), through a ContainerView. */
export async function retrieveContainerContents(
  client: VimClient,
  container: ManagedObjectRef,
  type: string,
  paths: readonly string[],
  signal?: AbortSignal,
  pageSize = 100,
): Promise<ObjectContent[]> {
  const { viewManager } = client.serviceContent;
  const created = await client.invoke(
    'CreateContainerView',
    [moRef('_this', viewManager), moRef('container', container), text('type', type), text('recursive', true)],
    signal,
  );
  const view = created.childRef('returnval');
  if (!view) throw new Error('CreateContainerView returned no view');
  try {
    const spec = el('specSet', [
      el('propSet', [text('type', type), ...paths.map((path) => text('pathSet', path))]),
      el('objectSet', [
        moRef('obj', view),
        text('skip', true),
        el('selectSet', [text('type', 'ContainerView'), text('path', 'view'), text('skip', false)], { 'xsi:type': 'TraversalSpec' }),
      ]),
    ]);
    return await retrieveAll(client, spec, signal, pageSize);
  } finally {
    await client.invoke('DestroyView', [moRef('_this', view)]).catch(() => undefined);
  }
}

async function retrieveAll(client: VimClient, specSet: string, signal?: AbortSignal, pageSize = 100): Promise<ObjectContent[]> {
  const collector = client.serviceContent.propertyCollector;
  const results: ObjectContent[] = [];
  let answer = (await client.invoke('RetrievePropertiesEx', [moRef('_this', collector), specSet, el('options', text('maxObjects', pageSize))], signal)).child(
    'returnval',
  );
  while (answer) {
    results.push(...answer.children('objects').map(toObjectContent));
    const token = answer.childText('token');
    if (!token) break;
    answer = (await client.invoke('ContinueRetrievePropertiesEx', [moRef('_this', collector), text('token', token)], signal)).child('returnval');
  }
  return results;
}

function toObjectContent(node: XmlNode): ObjectContent {
  const obj = node.childRef('obj')!;
  const props = new Map<string, XmlNode>();
  for (const prop of node.children('propSet')) {
    const name = prop.childText('name');
    const value = prop.child('val');
    if (name && value) props.set(name, value);
  }
  return { obj, props };
}
