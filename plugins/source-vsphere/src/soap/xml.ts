// Just enough XML for vim25: a serializer for request bodies (WSDL element order matters, so
// callers write elements in order) and a namespace-aware reader for responses.
import { escapeXml } from '@hyperexport/core';
import { DOMParser } from '@xmldom/xmldom';
import type { Element as XmlElement } from '@xmldom/xmldom';

export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
export const XSD_NS = 'http://www.w3.org/2001/XMLSchema';
export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const VIM25_NS = 'urn:vim25';

/** A request element: `el('name', 'text')`, `el('name', [children])`, `el('name', children, { type })`. */
export type XmlChild = string | undefined | false | null | readonly XmlChild[];

export function el(name: string, content?: XmlChild, attributes: Record<string, string> = {}): string {
  const attrs = Object.entries(attributes)
    .map(([key, value]) => ` ${key}="${escapeXml(value)}"`)
    .join('');
  const body = flatten(content);
  return `<${name}${attrs}>${body}</${name}>`;
}

/** A managed object reference argument: `<_this type="Folder">group-d1</_this>`. */
export function moRef(name: string, ref: ManagedObjectRef): string {
  return el(name, escapeXml(ref.value), { type: ref.type });
}

/** A text element whose value is escaped. */
export function text(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : el(name, escapeXml(String(value)));
}

function flatten(content: XmlChild): string {
  if (content === undefined || content === null || content === false) return '';
  if (typeof content === 'string') return content;
  return content.map(flatten).join('');
}

export interface ManagedObjectRef {
  readonly type: string;
  readonly value: string;
}

/** A read-only view of a response element. */
export class XmlNode {
  readonly element: XmlElement;

  constructor(element: XmlElement) {
    this.element = element;
  }

  get name(): string {
    return this.element.localName ?? this.element.nodeName;
  }

  get text(): string {
    return this.element.textContent ?? '';
  }

  /** The xsi:type, resolved by namespace URI (the simulator and vCenter use different prefixes). */
  get xsiType(): string | undefined {
    const raw = this.element.getAttributeNS(XSI_NS, 'type');
    if (!raw) return undefined;
    const colon = raw.indexOf(':');
    return colon === -1 ? raw : raw.slice(colon + 1);
  }

  attribute(name: string): string | undefined {
    return this.element.getAttribute(name) ?? undefined;
  }

  children(name?: string): XmlNode[] {
    const out: XmlNode[] = [];
    for (let node = this.element.firstChild; node; node = node.nextSibling) {
      if (node.nodeType !== 1) continue;
      const element = node as unknown as XmlElement;
      if (name === undefined || (element.localName ?? element.nodeName) === name) out.push(new XmlNode(element));
    }
    return out;
  }

  child(name: string): XmlNode | undefined {
    return this.children(name)[0];
  }

  /** Text of a direct child, or undefined when absent. */
  childText(name: string): string | undefined {
    return this.child(name)?.text;
  }

  /** A direct child that is a managed object reference. */
  childRef(name: string): ManagedObjectRef | undefined {
    const node = this.child(name);
    return node ? { type: node.attribute('type') ?? '', value: node.text } : undefined;
  }

  /** Follows a path of child names. */
  path(...names: string[]): XmlNode | undefined {
    let node: XmlNode | undefined = this;
    for (const name of names) node = node?.child(name);
    return node;
  }
}

export function parseXml(xml: string, what: string): XmlNode {
  const errors: string[] = [];
  const document = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') errors.push(message);
    },
  }).parseFromString(xml, 'text/xml');
  const root = document.documentElement;
  if (errors.length > 0 || !root) throw new Error(`${what} is not valid XML: ${errors[0] ?? 'empty document'}`);
  return new XmlNode(root);
}
