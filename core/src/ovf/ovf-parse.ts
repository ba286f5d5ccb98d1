// Reads what an export needs from an existing OVF descriptor: the VM's name, the files it
// references and the disks. Elements and attributes are matched by namespace URI, never by
// prefix, because every producer picks its own prefixes.
import { DOMParser, onErrorStopParsing } from '@xmldom/xmldom';
import type { Element } from '@xmldom/xmldom';
import { OVF2_NS, OVF_NS } from './namespaces.ts';

export interface OvfFileRef {
  /** ovf:id, what Disk ovf:fileRef points at. */
  readonly id: string;
  /** ovf:href: the file's name next to the descriptor. */
  readonly href: string;
  /** ovf:size in bytes, when given (as stored, i.e. compressed when `compression` is set). */
  readonly size?: number | undefined;
  /** ovf:compression, e.g. gzip. */
  readonly compression?: string | undefined;
}

export interface OvfDisk {
  readonly diskId: string;
  /** The File it is backed by; undefined for a blank disk created on import. */
  readonly fileRef: string | undefined;
  readonly capacityBytes: number;
}

export interface ParsedOvf {
  readonly vmName: string;
  readonly files: readonly OvfFileRef[];
  readonly disks: readonly OvfDisk[];
}

const ELEMENT_NODE = 1;

/** Parses an OVF 1.x or 2.x envelope. Throws a clear error for anything else. */
export function parseOvf(xml: string): ParsedOvf {
  let envelope: Element | null;
  try {
    envelope = new DOMParser({ onError: onErrorStopParsing }).parseFromString(xml, 'text/xml').documentElement;
  } catch (error) {
    throw new Error(`not an OVF descriptor: the XML does not parse (${(error as Error).message.split('\n')[0]})`, { cause: error });
  }
  const ns = envelope?.namespaceURI;
  if (!envelope || envelope.localName !== 'Envelope' || (ns !== OVF_NS && ns !== OVF2_NS)) {
    const found = envelope ? `<${envelope.localName}> in namespace ${envelope.namespaceURI ?? '(none)'}` : 'no root element';
    throw new Error(`not an OVF descriptor: expected an <Envelope> in namespace ${OVF_NS}, found ${found}`);
  }

  const files = children(envelope, ns, 'References')
    .flatMap((refs) => children(refs, ns, 'File'))
    .map((file) => {
      const id = required(file, ns, 'id', 'References/File');
      const href = required(file, ns, 'href', `References/File ${id}`);
      const sizeText = attribute(file, ns, 'size');
      const compression = attribute(file, ns, 'compression');
      return { id, href, size: sizeText === undefined ? undefined : parseInteger(sizeText, `size of file ${href}`), compression };
    });
  const fileIds = new Set<string>();
  for (const file of files) {
    if (fileIds.has(file.id)) throw new Error(`OVF descriptor: file id ${JSON.stringify(file.id)} is used twice in References`);
    fileIds.add(file.id);
  }

  const disks = children(envelope, ns, 'DiskSection')
    .flatMap((section) => children(section, ns, 'Disk'))
    .map((disk) => {
      const diskId = required(disk, ns, 'diskId', 'DiskSection/Disk');
      const fileRef = attribute(disk, ns, 'fileRef');
      if (fileRef !== undefined && !fileIds.has(fileRef)) {
        throw new Error(`OVF descriptor: disk ${JSON.stringify(diskId)} refers to file ${JSON.stringify(fileRef)}, which References does not list`);
      }
      const capacity = parseInteger(required(disk, ns, 'capacity', `disk ${diskId}`), `capacity of disk ${diskId}`);
      const unit = allocationUnitBytes(attribute(disk, ns, 'capacityAllocationUnits') ?? 'byte', diskId);
      const capacityBytes = Number(BigInt(capacity) * unit);
      if (!Number.isSafeInteger(capacityBytes)) throw new Error(`OVF descriptor: capacity of disk ${diskId} is too large`);
      return { diskId, fileRef, capacityBytes };
    });

  const system = [...children(envelope, ns, 'VirtualSystem'), ...children(envelope, ns, 'VirtualSystemCollection')][0];
  if (!system) throw new Error('OVF descriptor: the envelope has no VirtualSystem');
  const nameElement = children(system, ns, 'Name')[0];
  const vmName = nameElement?.textContent?.trim() || attribute(system, ns, 'id');
  if (!vmName) throw new Error('OVF descriptor: the VirtualSystem has neither a Name nor an ovf:id');

  return { vmName, files, disks };
}

function children(parent: Element, ns: string, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE) {
      const element = node as Element;
      if (element.namespaceURI === ns && element.localName === localName) found.push(element);
    }
  }
  return found;
}

/** An ovf: attribute; some producers leave it unqualified, which we accept as well. */
function attribute(element: Element, ns: string, name: string): string | undefined {
  if (element.hasAttributeNS(ns, name)) return element.getAttributeNS(ns, name) ?? undefined;
  if (element.hasAttribute(name)) return element.getAttribute(name) ?? undefined;
  return undefined;
}

function required(element: Element, ns: string, name: string, where: string): string {
  const value = attribute(element, ns, name);
  if (value === undefined || value === '') throw new Error(`OVF descriptor: ${where} has no ovf:${name}`);
  return value;
}

function parseInteger(text: string, what: string): number {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) {
    throw new Error(`OVF descriptor: ${what} is ${JSON.stringify(text)}, not a whole number`);
  }
  return value;
}

/** Bytes per unit of `ovf:capacityAllocationUnits`: `byte`, `byte * 2^30`, and the old names. */
function allocationUnitBytes(units: string, diskId: string): bigint {
  const programmatic = /^byte\s*(?:\*\s*(\d+)\s*\^\s*(\d+))?$/i.exec(units.trim());
  if (programmatic) {
    const [, base, exponent] = programmatic;
    return base === undefined ? 1n : BigInt(base) ** BigInt(exponent ?? '1');
  }
  const legacy: Record<string, bigint> = { kilobytes: 1n << 10n, megabytes: 1n << 20n, gigabytes: 1n << 30n };
  const bytes = legacy[units.trim().toLowerCase()];
  if (bytes === undefined) throw new Error(`OVF descriptor: disk ${diskId} has unknown capacityAllocationUnits ${JSON.stringify(units)}`);
  return bytes;
}
