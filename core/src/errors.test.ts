import { describe, expect, it } from 'vitest';
import { loadSecondCopyOfErrors } from './testing/second-copy.ts';
import {
  brandError,
  CancelledError,
  ConfigError,
  describeError,
  ExportError,
  formatErrorWithHint,
  HyperExportError,
  isAbortError,
  PluginError,
} from './errors.ts';

describe('formatErrorWithHint', () => {
  it('puts the hint in brackets after the message, and leaves messages without one alone', () => {
    expect(formatErrorWithHint(new ConfigError('cannot read key.asc: ENOENT', { hint: 'check the path' }))).toBe(
      'cannot read key.asc: ENOENT (check the path)',
    );
    expect(formatErrorWithHint(new ExportError('upload failed'))).toBe('upload failed');
    expect(formatErrorWithHint(Object.assign(new Error('HTTP 401'), { hint: 'check the token' }))).toBe('HTTP 401 (check the token)');
    expect(formatErrorWithHint(new ConfigError('bad value', { hint: '' }))).toBe('bad value');
    expect(formatErrorWithHint('plain string')).toBe('plain string');
    expect(formatErrorWithHint(undefined)).toBe('undefined');
  });
});

describe('errors made by another copy of core', () => {
  it("are instances of this copy's classes, by brand, and not of their sibling classes", async () => {
    const copy = await loadSecondCopyOfErrors();
    const config = new copy.ConfigError('bad limit "10X"', { hint: 'e.g. 10M', problems: ['a', 'b'] });
    expect(config instanceof ConfigError).toBe(true);
    expect(config instanceof HyperExportError).toBe(true);
    expect(config instanceof ExportError).toBe(false);
    expect(config instanceof PluginError).toBe(false);
    expect(new copy.ExportError('x') instanceof ExportError).toBe(true);
    expect(new copy.ExportError('x') instanceof ConfigError).toBe(false);
    expect(new ConfigError('x') instanceof copy.ConfigError, 'and the other way round').toBe(true);
    expect(new Error('x') instanceof HyperExportError).toBe(false);
    expect(Object.assign(new Error('x'), { code: 'CONFIG', hint: 'h' }) instanceof ConfigError, 'a look-alike without the brand is not one').toBe(false);
  });

  it('keep their code, hint and tags when this copy wraps or describes them', async () => {
    const copy = await loadSecondCopyOfErrors();
    const wrapped = new PluginError('limits', 'validate', new copy.ConfigError('bad limit', { hint: 'e.g. 10M' }));
    expect(wrapped).toMatchObject({ code: 'CONFIG', hint: 'e.g. 10M', message: '[limits] validate: bad limit' });
    expect(describeError(new copy.PluginError('limits', 'validate', new Error('boom')))).toEqual({
      message: '[limits] validate: boom',
      plugin: 'limits',
      hook: 'validate',
      code: 'PLUGIN',
    });
    expect(describeError(new copy.ExportError('upload failed', { code: 'UPLOAD', hint: 'retry' }))).toEqual({
      message: 'upload failed',
      code: 'UPLOAD',
      hint: 'retry',
    });
    expect(isAbortError(new copy.CancelledError()), 'a cancel from the other copy is still a cancel').toBe(true);
    expect(new copy.CancelledError() instanceof CancelledError).toBe(true);
  });
});

describe('brandError', () => {
  it('checks a subclass without a brand of its own the ordinary way, and brands plain Error subclasses too', () => {
    class Unbranded extends ExportError {}
    class Branded extends Error {
      static {
        brandError(this, 'hyperexport.test.Branded');
      }
    }
    expect(new ExportError('x') instanceof Unbranded, "the parent's brand must not make every ExportError an Unbranded").toBe(false);
    expect(new Unbranded('x') instanceof Unbranded).toBe(true);
    expect(new Unbranded('x') instanceof ExportError).toBe(true);
    expect(new Branded('x') instanceof Branded).toBe(true);
    expect(new Branded('x') instanceof Error).toBe(true);
    expect(new Error('x') instanceof Branded).toBe(false);
    // Another copy of a module defining the same class: a different class with the same brand.
    const copyOfBranded = class Branded extends Error {
      static {
        brandError(this, 'hyperexport.test.Branded');
      }
    };
    expect(new copyOfBranded('x') instanceof Branded).toBe(true);
  });
});
