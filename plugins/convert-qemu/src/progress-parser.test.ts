import { describe, expect, it } from 'vitest';
import { QemuProgressParser } from './progress-parser.ts';

describe('QemuProgressParser', () => {
  it('reads the newest update of a chunk holding several', () => {
    const parser = new QemuProgressParser();
    expect(parser.percent).toBeUndefined();
    expect(parser.push('    (0.00/100%)\r    (1.04/100%)\r    (2.08/100%)\r')).toBe(2.08);
    expect(parser.percent).toBe(2.08);
  });

  it('joins an update cut in two by the pipe', () => {
    const parser = new QemuProgressParser();
    expect(parser.push('    (10.4')).toBeUndefined();
    expect(parser.push('2/10')).toBeUndefined();
    expect(parser.push('0%)\r    (11')).toBe(10.42);
    expect(parser.push('.46/100%)\r')).toBe(11.46);
  });

  it('reads the final 100 % and the whole-number form', () => {
    const parser = new QemuProgressParser();
    expect(parser.push('    (98.44/100%)\r    (100.00/100%)\n')).toBe(100);
    expect(new QemuProgressParser().push('(42/100%)')).toBe(42);
  });

  it('keeps the last value through chunks without updates and ignores other text', () => {
    const parser = new QemuProgressParser();
    parser.push('    (55.00/100%)\r');
    expect(parser.push('Images are identical.\n')).toBeUndefined();
    expect(parser.push('(not progress) (12/50%) (x/100%)')).toBeUndefined();
    expect(parser.percent).toBe(55);
  });

  it('ignores impossible percentages', () => {
    const parser = new QemuProgressParser();
    expect(parser.push('(250.00/100%)')).toBeUndefined();
    expect(parser.percent).toBeUndefined();
  });

  it('does not grow its buffer on a stream of unrelated text', () => {
    const parser = new QemuProgressParser();
    for (let i = 0; i < 1000; i++) parser.push(`(${'x'.repeat(100)}`);
    expect(parser.push('    (3.00/100%)\r')).toBe(3);
  });
});
