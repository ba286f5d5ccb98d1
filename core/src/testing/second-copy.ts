// A second, separately evaluated copy of core's errors module, as a plugin package with its own
// dependency on core would load it: the query string makes the loader treat it as another module,
// with classes and prototypes of its own. Tests use it to prove errors are recognised by brand.
import type * as errors from '../errors.ts';

export async function loadSecondCopyOfErrors(): Promise<typeof errors> {
  const specifier = '../errors.ts?second-copy';
  const copy = (await import(specifier)) as typeof errors;
  const first = await import('../errors.ts');
  if (copy.ConfigError === first.ConfigError || Object.getPrototypeOf(new copy.ConfigError('x')) === first.ConfigError.prototype) {
    throw new Error('the "second copy" of errors.ts is the first one: a test using it would prove nothing');
  }
  return copy;
}
