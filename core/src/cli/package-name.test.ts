import { describe, expect, it } from 'vitest';
import { factoryIdentifier, packageFolderName, packageNameProblem } from './package-name.ts';

describe('packageNameProblem', () => {
  it.each(['hyperexport-tape', '@acme/hyperexport-tape', 'tape.v2', 'a~b_c', 'x'])('accepts %s', (name) => {
    expect(packageNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', 'the name is empty'],
    ['Tape', 'the name has capital letters; npm names are lower case'],
    ['.tape', 'the name starts with "." or "_"'],
    ['_tape', 'the name starts with "." or "_"'],
    ['@acme/_tape', 'the name after the scope starts with "." or "_"'],
    ['my tape', 'the name may only hold lower-case letters'],
    ['tape/extra', 'the name may only hold lower-case letters'],
    ['@acme/tape/extra', 'the name may only hold lower-case letters'],
    [' tape', 'the name starts or ends with a space'],
    ['node_modules', '"node_modules" is reserved by npm'],
    ['http', '"http" is the name of a Node.js core module'],
    ['a'.repeat(215), 'the name is 215 characters long; npm allows at most 214'],
  ])('refuses %j: %s', (name, problem) => {
    expect(packageNameProblem(name)).toContain(problem);
  });

  it('allows a core module name under a scope', () => {
    expect(packageNameProblem('@acme/http')).toBeUndefined();
  });
});

describe('names derived from the package name', () => {
  it('writes a scoped package into the folder of its bare name', () => {
    expect(packageFolderName('@acme/hyperexport-tape')).toBe('hyperexport-tape');
    expect(packageFolderName('hyperexport-tape')).toBe('hyperexport-tape');
  });

  it.each([
    ['hyperexport-tape', 'hyperexportTape'],
    ['@acme/tape.v2', 'tapeV2'],
    ['3d-thing', 'plugin3dThing'],
    ['delete', 'deletePlugin'],
    ['-', 'plugin'],
  ])('names the factory of %s %s', (name, identifier) => {
    expect(factoryIdentifier(name)).toBe(identifier);
  });
});
