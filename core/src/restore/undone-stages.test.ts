import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import type { ReverseStage } from '../model.ts';
import { refuseStagesNotUndone, refuseSuffixesNotUndone } from './undone-stages.ts';
import type { StageDeclaringPlugin } from './undone-stages.ts';

const undoXor: ReverseStage = { name: 'xor-undo', undoes: 'xor', suffix: '.xor', create: () => Promise.reject(new Error('not run')) };
// A loaded plugin whose reverse stage is not among those installed for this restore.
const xorPlugin: StageDeclaringPlugin = { name: 'xor', package: '@example/hyperexport-xor', reverseStages: [undoXor] };

/** The message and hint `refuse` throws with. */
function refusalOf(refuse: () => void): { message: string; hint: string | undefined } {
  try {
    refuse();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return { message: (error as ConfigError).message, hint: (error as ConfigError).hint };
  }
  return expect.unreachable('no refusal');
}

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

  it('names the package of the loaded plugin the record names', () => {
    expect(refusalOf(() => refuseStagesNotUndone(['xor'], [], 'web01', { xor: 'xor' }, [xorPlugin]))).toEqual({
      message: 'web01 was written with the transform stage "xor", which no installed plugin undoes: restored, its files would still be transformed',
      hint: 'install @example/hyperexport-xor (npm install @example/hyperexport-xor), then restore again',
    });
  });

  it('for a record without stagePlugins, names the plugin from the loaded plugins’ declarations', () => {
    expect(refusalOf(() => refuseStagesNotUndone(['xor'], [], 'web01', undefined, [xorPlugin])).hint).toBe(
      'install @example/hyperexport-xor (npm install @example/hyperexport-xor), then restore again',
    );
  });

  it('with neither, says the stage is unknown and which record field names plugins', () => {
    expect(refusalOf(() => refuseStagesNotUndone(['xor'], [], 'web01'))).toEqual({
      message: 'web01 was written with the transform stage "xor", which no installed plugin undoes: nothing was restored',
      hint: 'its export record predates "stagePlugins" (the field naming the plugin of each stage), and no loaded plugin declares a reverse stage for "xor": find the plugin in the "plugins" of the config that wrote the export, list it in yours, then restore again',
    });
  });

  it('puts no name from a record into an install hint unless it is a package name', () => {
    try {
      refuseStagesNotUndone(['xor'], [], 'web01', { xor: 'x; rm -rf ~' });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).message).toBe('web01 was written with the transform stage "xor", which no installed plugin undoes: nothing was restored');
      expect((error as ConfigError).hint).not.toContain('rm -rf');
    }
  });
});

describe('refuseSuffixesNotUndone', () => {
  it('refuses a stored name carrying the suffix a loaded plugin declares, naming that plugin', () => {
    expect(refusalOf(() => refuseSuffixesNotUndone('disk1.vmdk.xor', [], 'disk1.vmdk.xor', [xorPlugin]))).toEqual({
      message: 'disk1.vmdk.xor was written with the transform stage "xor", which no installed plugin undoes: restored, its files would still be transformed',
      hint: 'install @example/hyperexport-xor (npm install @example/hyperexport-xor), then restore again',
    });
  });

  it('accepts the name once the installed stages undo it', () => {
    expect(() => refuseSuffixesNotUndone('disk1.vmdk.xor', [undoXor], 'disk1.vmdk.xor', [xorPlugin])).not.toThrow();
  });
});
