// Every error class of the project is branded (core/src/errors.ts says why): a class left out
// would be recognised by prototype again, and fail as soon as a plugin brings its own copy of core.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

async function sourceFiles(): Promise<string[]> {
  const folders = [join(root, 'core/src'), ...(await readdir(join(root, 'plugins'))).map((name) => join(root, 'plugins', name, 'src'))];
  const files: string[] = [];
  for (const folder of folders) {
    const entries = await readdir(folder, { recursive: true }).catch(() => [] as string[]);
    files.push(
      ...entries.filter((entry) => entry.endsWith('.ts') && !entry.endsWith('.test.ts') && !entry.startsWith('testing')).map((entry) => join(folder, entry)),
    );
  }
  return files;
}

describe('error classes', () => {
  it('are all branded with brandError, each with a brand of its own', async () => {
    const unbranded: string[] = [];
    const brands = new Map<string, string>();
    let classes = 0;
    for (const file of await sourceFiles()) {
      const text = await readFile(file, 'utf8');
      // The first thing in the class body: the static block, on one line or as Prettier writes it.
      for (const match of text.matchAll(/class (\w+) extends (\w*(?:Error|Fault|Failure))\b[^{]*\{\n([^\n]*(?:\n[^\n]*){0,2})/g)) {
        classes++;
        const where = `${relative(root, file)}: ${match[1]}`;
        const brand = /^\s*static \{\s*brandError\(this, '([^']+)'\);\s*\}$/m.exec(match[3] ?? '')?.[1];
        if (brand === undefined) unbranded.push(where);
        else if (brands.has(brand)) unbranded.push(`${where} reuses the brand of ${brands.get(brand)}`);
        else brands.set(brand, where);
      }
    }
    expect(classes, 'the scan must find the error classes, or it proves nothing').toBeGreaterThanOrEqual(10);
    expect(unbranded, "error classes without a brand of their own (add `static { brandError(this, 'hyperexport.<package>.<Class>'); }`)").toEqual([]);
  });
});
