import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { expandNameTemplate } from './name-template.ts';

describe('expandNameTemplate', () => {
  const startedAt = new Date(2026, 10, 5, 7, 8, 9);

  it('replaces every placeholder', () => {
    expect(expandNameTemplate('{vm}', { vm: 'web01', startedAt })).toBe('web01');
    expect(expandNameTemplate('{vm}-{date}-{time}', { vm: 'web01', startedAt })).toBe('web01-2026-11-05-070809');
    expect(expandNameTemplate('backup-{timestamp}', { vm: 'x', startedAt: new Date('2026-11-25T19:30:01.250Z') })).toBe('backup-20261125T193001Z');
  });

  it('leaves a name without placeholders alone', () => {
    expect(expandNameTemplate('plain-name', { vm: 'web01', startedAt })).toBe('plain-name');
  });

  it('refuses an unknown placeholder, naming it', () => {
    expect(() => expandNameTemplate('{vm}-{host}', { vm: 'web01', startedAt })).toThrow(ConfigError);
    expect(() => expandNameTemplate('{vm}-{host}', { vm: 'web01', startedAt })).toThrow(/\{host\}/);
  });
});
