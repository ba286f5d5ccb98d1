// Rewrites the File references of an OVF descriptor (References/File: href, size, compression)
// without touching anything else in it. The export renames files when transforms apply (a disk
// stored as `disk1.vmdk.gz` with ovf:compression="gzip", the standard way), and restore renames
// them back; the rest of the descriptor, vSphere's or ours, must stay byte for byte as it was.
import { escapeXml, unescapeXml } from '../xml-escape.ts';

export interface FileReferenceChange {
  /** The new href (a plain file name). */
  readonly href: string;
  /** The new ovf:size in bytes. */
  readonly size: number;
  /** The ovf:compression value to record; undefined removes the attribute. */
  readonly compression?: string | undefined;
}

const FILE_ELEMENT = /<((?:[A-Za-z_][\w.-]*:)?)File\b([^>]*?)(\/?)>/g;
const attribute = (name: string) => new RegExp(`(\\s)((?:[A-Za-z_][\\w.-]*:)?)${name}\\s*=\\s*("[^"]*"|'[^']*')`);

/** Applies `changes` (keyed by the current href) to every matching File element. */
export function rewriteFileReferences(xml: string, changes: ReadonlyMap<string, FileReferenceChange>): string {
  return xml.replace(FILE_ELEMENT, (element, elementPrefix: string, attributes: string, selfClosing: string) => {
    const href = attribute('href').exec(attributes);
    if (!href) return element;
    const change = changes.get(unescapeXml(href[3]!.slice(1, -1)));
    if (!change) return element;
    const prefix = href[2]!;
    let rewritten = attributes.replace(attribute('href'), `$1$2href="${escapeXml(change.href)}"`);
    rewritten = attribute('size').test(rewritten)
      ? rewritten.replace(attribute('size'), `$1$2size="${change.size}"`)
      : `${rewritten} ${prefix}size="${change.size}"`;
    rewritten = rewritten.replace(attribute('compression'), '');
    if (change.compression !== undefined) rewritten += ` ${prefix}compression="${escapeXml(change.compression)}"`;
    return `<${elementPrefix}File${rewritten}${selfClosing}>`;
  });
}
