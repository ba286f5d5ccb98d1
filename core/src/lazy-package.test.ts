import { createRequire } from 'node:module';
import { ExportError } from './errors.ts';
import { describe, expect, it } from 'vitest';
import { cannotLoad, lazyPackage } from './lazy-package.ts';

const SPEC = { name: 'some-sdk', plugin: '@hyperexport/example', neededFor: 'to do its work' };

/** The error Node's own loader throws for a package that is not installed. */
function notInstalled(name: string): Error {
  try {
    createRequire(import.meta.url)(name);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`${name} is installed`);
}

describe('lazyPackage', () => {
  it('imports once and shares the module between callers', async () => {
    let imports = 0;
    const module = { value: 42 };
    const load = lazyPackage({ ...SPEC, load: async () => (imports++, module) });
    expect(imports).toBe(0);
    const [first, second] = await Promise.all([load(), load()]);
    expect(await load()).toBe(module);
    expect(first).toBe(module);
    expect(second).toBe(module);
    expect(imports).toBe(1);
  });

  it('tries again after a failure (the package may have been installed since)', async () => {
    let imports = 0;
    const load = lazyPackage({
      ...SPEC,
      load: async () => {
        imports++;
        if (imports === 1) throw notInstalled('hyperexport-not-installed-sdk');
        return 'loaded';
      },
    });
    await expect(load()).rejects.toBeInstanceOf(ExportError);
    await expect(load()).resolves.toBe('loaded');
    expect(imports).toBe(2);
  });
});

describe('cannotLoad', () => {
  it('names the missing package and says how to install it', () => {
    const spec = { ...SPEC, name: 'hyperexport-not-installed-sdk' };
    const error = cannotLoad(spec, notInstalled('hyperexport-not-installed-sdk'));
    expect(error).toBeInstanceOf(ExportError);
    expect(error.code).toBe('MISSING_DEPENDENCY');
    expect(error.message).toBe('@hyperexport/example needs hyperexport-not-installed-sdk to do its work, and it is not installed');
    expect(error.hint).toBe(
      'install it with `npm install hyperexport-not-installed-sdk` where @hyperexport/example is installed; add -g if that is a global install',
    );
  });

  it('names a missing dependency of the package (a file inside it: the package part)', () => {
    const error = cannotLoad(SPEC, notInstalled('@hyperexport-absent/helper/dist/index.js'));
    expect(error.message).toBe("@hyperexport/example needs some-sdk to do its work, and some-sdk's dependency @hyperexport-absent/helper is not installed");
    expect(error.hint).toMatch(/^reinstall it with `npm install some-sdk`/);
  });

  it('shows any other failure as it is, with the way to reinstall', () => {
    const error = cannotLoad(SPEC, new SyntaxError('Unexpected token'));
    expect(error.message).toBe('@hyperexport/example cannot load some-sdk, which it needs to do its work: Unexpected token');
    expect(error.hint).toMatch(/^reinstall it with `npm install some-sdk`/);
    const missingFile = cannotLoad(SPEC, notInstalled('/nonexistent/some-sdk/index.js'));
    expect(missingFile.message).toMatch(
      /^@hyperexport\/example cannot load some-sdk, which it needs to do its work: Cannot find module '\/nonexistent\/some-sdk\/index\.js'/,
    );
  });
});
