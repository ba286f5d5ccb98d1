import { describe, expect, it } from 'vitest';
import { ConfigError, ExportError, formatErrorWithHint } from './errors.ts';

describe('formatErrorWithHint', () => {
  it('puts the hint in brackets after the message, and leaves messages without one alone', () => {
    expect(formatErrorWithHint(new ConfigError('cannot read key.asc: ENOENT', { hint: 'check the path' }))).toBe('cannot read key.asc: ENOENT (check the path)');
    expect(formatErrorWithHint(new ExportError('upload failed'))).toBe('upload failed');
    expect(formatErrorWithHint(Object.assign(new Error('HTTP 401'), { hint: 'check the token' }))).toBe('HTTP 401 (check the token)');
    expect(formatErrorWithHint(new ConfigError('bad value', { hint: '' }))).toBe('bad value');
    expect(formatErrorWithHint('plain string')).toBe('plain string');
    expect(formatErrorWithHint(undefined)).toBe('undefined');
  });
});
