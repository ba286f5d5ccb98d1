// npm's rules for a new package's name (those of validate-npm-package-name), so that
// `plugins init NAME` never writes a package that `npm publish` or `npm install` would refuse.
import { builtinModules } from 'node:module';

const MAX_LENGTH = 214;
// A scope `@scope/` then a name, each of URL-safe characters, in lower case, not starting with `.` or `_`.
const SHAPE = /^(?:@([a-z0-9-~][a-z0-9-._~]*)\/)?([a-z0-9-._~]+)$/;
const RESERVED = new Set(['node_modules', 'favicon.ico']);

/** Why `name` cannot be a new npm package's name; undefined when it can. */
export function packageNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the name is empty';
  if (name.length > MAX_LENGTH) return `the name is ${name.length} characters long; npm allows at most ${MAX_LENGTH}`;
  if (name.trim() !== name) return 'the name starts or ends with a space';
  if (name.toLowerCase() !== name) return 'the name has capital letters; npm names are lower case';
  if (name.startsWith('.') || name.startsWith('_')) return 'the name starts with "." or "_"';
  const match = SHAPE.exec(name);
  if (!match) return 'the name may only hold lower-case letters, digits, "-", ".", "_" and "~" (and one "@scope/" in front)';
  const bare = match[2]!;
  if (bare.startsWith('.') || bare.startsWith('_')) return 'the name after the scope starts with "." or "_"';
  if (RESERVED.has(bare)) return `"${bare}" is reserved by npm`;
  if (match[1] === undefined && builtinModules.includes(bare)) return `"${bare}" is the name of a Node.js core module`;
  return undefined;
}

/** The folder `plugins init` writes into: the name without its scope (`@acme/tape` → `tape`). */
export function packageFolderName(name: string): string {
  return name.slice(name.indexOf('/') + 1);
}

/** An identifier for the package's factory: `hyperexport-tape` → `hyperexportTape`, `3d-thing` → `plugin3dThing`. */
export function factoryIdentifier(name: string): string {
  const words = packageFolderName(name)
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
  const joined = words.map((word, index) => (index === 0 ? word : word[0]!.toUpperCase() + word.slice(1))).join('');
  if (joined.length === 0) return 'plugin';
  if (/^[0-9]/.test(joined)) return `plugin${joined}`;
  return RESERVED_WORDS.has(joined) ? `${joined}Plugin` : joined;
}

// Words an `import NAME from` cannot bind.
const RESERVED_WORDS = new Set(
  (
    'await break case catch class const continue debugger default delete do else enum export extends false finally for function if implements import in ' +
    'instanceof interface let new null package private protected public return static super switch this throw true try typeof var void while with yield arguments eval'
  ).split(' '),
);
