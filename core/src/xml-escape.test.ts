import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { escapeXml, unescapeXml } from './xml-escape.ts';

describe('escapeXml', () => {
  it('escapes markup and quotes, so a value stays inside its element or attribute', () => {
    expect(escapeXml(`A&B <"test"> 'vm'`)).toBe('A&amp;B &lt;&quot;test&quot;&gt; &apos;vm&apos;');
    const value = `x" evil="1'><y/>&amp;\ttab\nline`;
    const doc = new DOMParser().parseFromString(`<a v="${escapeXml(value)}">${escapeXml(value)}</a>`, 'text/xml');
    expect(doc.documentElement!.getAttribute('v')).toBe(value);
    expect(doc.documentElement!.textContent).toBe(value);
  });

  it('replaces characters XML 1.0 cannot carry at all', () => {
    expect(escapeXml('a\u0001b\u001fc')).toBe('a\ufffdb\ufffdc');
  });
});

describe('unescapeXml', () => {
  it('reads back what escapeXml wrote', () => {
    const value = `A&B <"test"> 'vm'\tx\r\ny`;
    expect(unescapeXml(escapeXml(value))).toBe(value);
    expect(unescapeXml('&#x41;&#66;&unknown;')).toBe('AB&unknown;');
  });
});
