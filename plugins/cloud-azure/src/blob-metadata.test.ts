import { describe, expect, it } from 'vitest';
import { decodeMetadata, decodeMetadataName, encodeMetadata, encodeMetadataName, storedSha256 } from './blob-metadata.ts';

describe('blob metadata names and values', () => {
  it('turns any key into a C# identifier, as Azure requires, and back', () => {
    for (const key of ['hyperexport-job', 'a_b', 'a-_b', '9lives', 'vm.name', 'plain', 'ünïcode', 'x_2d']) {
      const name = encodeMetadataName(key);
      expect(name).toMatch(/^[a-z_][a-z0-9_]*$/);
      expect(decodeMetadataName(name)).toBe(key);
    }
    expect(encodeMetadataName('hyperexport-job')).toBe('hyperexport_2djob');
    expect(encodeMetadataName('plain')).toBe('plain');
  });

  it('encodes values to ASCII and reads back values written by other tools', () => {
    const encoded = encodeMetadata({ 'vm-name': 'Wébserver 01 / prod', job: 'abc%zz' });
    for (const value of Object.values(encoded)) expect(value).toMatch(/^[\x21-\x7e]*$/);
    expect(decodeMetadata(encoded)).toEqual({ 'vm-name': 'Wébserver 01 / prod', job: 'abc%zz' });
    expect(decodeMetadata({ hdi_isfolder: 'true', stray: '100%' })).toEqual({ hdi_isfolder: 'true', stray: '100%' });
  });

  it('reports the stored SHA-256 on its own, not as user metadata', () => {
    const stored = { ...encodeMetadata({ job: '1' }), sha256: 'ab'.repeat(32) };
    expect(storedSha256(stored)).toBe('ab'.repeat(32));
    expect(decodeMetadata(stored)).toEqual({ job: '1' });
  });
});
