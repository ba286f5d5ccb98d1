// Blob metadata travels as HTTP headers (x-ms-meta-NAME: VALUE), and Azure only accepts names that
// are C# identifiers (letters, digits, `_`, not starting with a digit) and ASCII values. Our keys
// (`hyperexport-job`) have hyphens and values may have any character, so both are encoded in a way
// that reads back exactly: a name keeps [a-z0-9] and writes every other byte as `_` and two hex
// digits; a value is percent-encoded like a URI component.

/** Metadata name of the SHA-256 (hex) this backend stores with every blob it puts. */
export const SHA256_METADATA = 'sha256';

export function encodeMetadataName(key: string): string {
  let name = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const char = String.fromCharCode(byte);
    const plain = /[a-z]/.test(char) || (/[0-9]/.test(char) && name !== '');
    name += plain ? char : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return name;
}

export function decodeMetadataName(name: string): string {
  // Names we did not write (`hdi_isfolder` from a Data Lake account) have `_` without two hex
  // digits after it; those stay as they are.
  const bytes: number[] = [];
  for (let index = 0; index < name.length; index++) {
    const escape = /^_([0-9a-f]{2})/.exec(name.slice(index, index + 3));
    if (escape) {
      bytes.push(Number.parseInt(escape[1]!, 16));
      index += 2;
    } else {
      bytes.push(...Buffer.from(name[index]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export function encodeMetadata(metadata: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const encoded: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) encoded[encodeMetadataName(key)] = encodeURIComponent(value);
  return encoded;
}

/** User metadata as it was put (the stored SHA-256 is reported on its own, not in here). */
export function decodeMetadata(metadata: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (name.toLowerCase() === SHA256_METADATA) continue;
    decoded[decodeMetadataName(name.toLowerCase())] = decodeValue(value);
  }
  return decoded;
}

export function storedSha256(metadata: Readonly<Record<string, string>> | undefined): string | undefined {
  for (const [name, value] of Object.entries(metadata ?? {})) if (name.toLowerCase() === SHA256_METADATA) return value;
  return undefined;
}

function decodeValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // written by another tool, with a stray `%`
  }
}
