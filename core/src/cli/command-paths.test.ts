import { describe, expect, it } from 'vitest';
import { closestPath, editDistance, resolveCommandLine } from './command-paths.ts';

const PATHS = [['export'], ['history'], ['history', 'clear'], ['remote', 'ls'], ['remote', 'get'], ['restore'], ['vms'], ['vm', 'info']];
const positionals = (path: readonly string[]) => ['restore', 'remote ls', 'remote get'].includes(path.join(' '));

describe('resolving the words of a command line', () => {
  it('counts an adjacent swap as one edit', () => {
    expect(editDistance('exprot', 'export')).toBe(1);
    expect(editDistance('export', 'export')).toBe(0);
    expect(editDistance('', 'vm')).toBe(2);
    expect(editDistance('remote sl', 'remote ls')).toBe(1);
  });

  it('suggests only a close path', () => {
    expect(closestPath(['exprot'], PATHS)).toEqual(['export']);
    expect(closestPath(['vsm'], PATHS)).toEqual(['vms']);
    expect(closestPath(['vn'], PATHS)).toBeUndefined();
    expect(closestPath(['zzzzzz'], PATHS)).toBeUndefined();
  });

  it('tells commands, groups and unknown words apart', () => {
    expect(resolveCommandLine(['export', '--vm', 'x'], PATHS, positionals)).toEqual({ kind: 'command', path: ['export'] });
    expect(resolveCommandLine(['restore', 'web01.ova'], PATHS, positionals)).toEqual({ kind: 'command', path: ['restore'] });
    expect(resolveCommandLine(['remote'], PATHS, positionals)).toEqual({
      kind: 'group',
      group: ['remote'],
      members: [
        ['remote', 'ls'],
        ['remote', 'get'],
      ],
    });
    expect(resolveCommandLine(['history', 'clerr'], PATHS, positionals)).toEqual({
      kind: 'unknown',
      words: ['history', 'clerr'],
      suggestion: ['history', 'clear'],
    });
    expect(resolveCommandLine(['remote', 'sl', 'x'], PATHS, positionals)).toEqual({ kind: 'unknown', words: ['remote', 'sl'], suggestion: ['remote', 'ls'] });
    expect(resolveCommandLine(['--version'], PATHS, positionals)).toEqual({ kind: 'none' });
  });
});
