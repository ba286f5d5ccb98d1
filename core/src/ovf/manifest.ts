// The OVF manifest (.mf): one line per file, `SHA256(disk1.vmdk)= 3a7b...`. vSphere and ovftool
// write SHA256 (older exports SHA1, ovftool optionally SHA512); we write SHA256 and read all three.
import type { FileDigest } from '../model.ts';
import { assertSafeFileName } from './safe-name.ts';

export type ManifestAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface ManifestEntry {
  readonly algorithm: ManifestAlgorithm;
  /** Lower-case hex digest. */
  readonly hex: string;
}

const HEX_LENGTH: Readonly<Record<ManifestAlgorithm, number>> = { SHA1: 40, SHA256: 64, SHA512: 128 };

function isManifestAlgorithm(name: string): name is ManifestAlgorithm {
  return Object.hasOwn(HEX_LENGTH, name);
}

/** Formats a manifest in the order given, as vSphere does: `SHA256(name)= hex`, one per line. */
export function formatManifest(digests: readonly FileDigest[]): string {
  return digests
    .map((digest) => {
      // A name with a newline or a path in it would corrupt the manifest or mislead a verifier.
      assertSafeFileName(digest.name, 'manifest entry');
      if (!/^[0-9a-f]{64}$/i.test(digest.sha256))
        throw new Error(`manifest entry ${JSON.stringify(digest.name)}: ${JSON.stringify(digest.sha256)} is not a SHA-256 hex digest`);
      return `SHA256(${digest.name})= ${digest.sha256.toLowerCase()}\n`;
    })
    .join('');
}

/** Parses a manifest into file name → digest. Blank lines are skipped; anything else must parse. */
export function parseManifest(text: string): Map<string, ManifestEntry> {
  const entries = new Map<string, ManifestEntry>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `manifest line ${index + 1} ${JSON.stringify(line)}`;
    // The name is greedy up to the last `)=`, so a name that contains `)` still parses.
    const match = /^([A-Za-z0-9-]+)\((.+)\)= ?([0-9a-fA-F]+)\s*$/.exec(line);
    if (!match) throw new Error(`${where}: expected "SHA256(file)= hex" (or SHA1/SHA512)`);
    const [, named, name, hex] = match as unknown as [string, string, string, string];
    // A digest nobody checks would let the export vouch for bytes it never compared: refused.
    if (!isManifestAlgorithm(named)) throw new Error(`${where} lists a ${named} digest of ${name}; HyperExport checks SHA1, SHA256 and SHA512 digests only`);
    const algorithm = named;
    if (hex.length !== HEX_LENGTH[algorithm]) {
      throw new Error(`${where}: a ${algorithm} digest has ${HEX_LENGTH[algorithm]} hex digits, this one ${hex.length}`);
    }
    if (entries.has(name)) throw new Error(`${where}: ${JSON.stringify(name)} is listed twice`);
    entries.set(name, { algorithm, hex: hex.toLowerCase() });
  });
  return entries;
}
