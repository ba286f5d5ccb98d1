import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import type { ReverseStage } from '../model.ts';
import { refuseStagesNotUndone } from './undone-stages.ts';

const undoXor: ReverseStage = { name: 'xor-undo', undoes: 'xor', suffix: '.xor', create: () => Promise.reject(new Error('not run')) };

describe('refuseStagesNotUndone', () => {
  it('accepts stages an installed reverse stage undoes', () => {
    expect(() => refuseStagesNotUndone(['xor'], [undoXor], 'web01')).not.toThrow();
  });

  it('names the plugin the record says added the stage, and how to install it', () => {
    const refuse = () => refuseStagesNotUndone(['xor'], [], 'web01', { xor: 'hyperexport-xor' });
    expect(refuse).toThrow(ConfigError);
    expect(refuse).toThrow(
      'web01 was written with the transform stage "xor" of the plugin "hyperexport-xor", which is not configured here: nothing was restored',
    );
    try {
      refuse();
    } catch (error) {
      expect((error as ConfigError).hint).toBe(
        'install the package of the plugin "hyperexport-xor" (npm install hyperexport-xor, when it is published under its name), list it in the plugins of your hyperexport.config.ts, then restore again',
      );
    }
  });

  it('names HyperExport’s own plugin for its own stages', () => {
    expect(() => refuseStagesNotUndone(['zstd'], [], 'web01', { zstd: 'compress' })).toThrow(
      'web01 was written with the transform stage "zstd", which no installed plugin undoes',
    );
  });

  it('puts no name from a record into an install hint unless it is a package name', () => {
    try {
      refuseStagesNotUndone(['xor'], [], 'web01', { xor: 'x; rm -rf ~' });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).message).toBe(
        'web01 was written with the transform stage "xor", which no installed plugin undoes: restored, its files would still be transformed',
      );
      expect((error as ConfigError).hint).not.toContain('rm -rf');
    }
  });
});
