// Packs the installable tool: ONE tarball, dist/hyperexport-cli-VERSION.tgz, that
// `npm install -g dist/hyperexport-cli-VERSION.tgz` installs with every built-in plugin.
//
//   npm run pack:cli            (prints the tarball's path)
//
// How: the package's `hyperexport` is the one-file bundle of scripts/bundle-cli.ts (core, every
// built-in plugin and their third-party dependencies, at the versions package-lock.json pinned),
// so the package has no dependencies: `npm install -g` fetches nothing (it works `--offline`),
// runs no install script and needs no compiler, as for the CLIs that ship one bundled file. The
// workspace packages cannot come as dependencies: they are not on a registry. (bundleDependencies
// was tried: npm does not bundle workspace links, and with the third-party packages bundled too
// the tarball held 15,000 files that took npm minutes to install.)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from './bundle-cli.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist');

interface PackageJson {
  name: string;
  version: string;
  [key: string]: unknown;
}

export async function packCli(): Promise<string> {
  const bundle = await bundleCli();
  const stage = mkdtempSync(join(tmpdir(), 'hyperexport-pack-'));
  try {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'cli', 'package.json'), 'utf8')) as PackageJson;
    mkdirSync(join(stage, 'bin'));
    copyFileSync(bundle, join(stage, 'bin', 'hyperexport.cjs'));
    chmodSync(join(stage, 'bin', 'hyperexport.cjs'), 0o755);
    copyFileSync(join(ROOT, 'cli', 'README.md'), join(stage, 'README.md'));
    const packaged = {
      name: manifest.name,
      version: manifest.version,
      description: manifest['description'],
      license: manifest['license'],
      bin: { hyperexport: 'bin/hyperexport.cjs' },
      files: ['bin'],
      engines: manifest['engines'],
    };
    writeFileSync(join(stage, 'package.json'), `${JSON.stringify(packaged, null, 2)}\n`);
    mkdirSync(OUT, { recursive: true });
    const [result] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', OUT], { cwd: stage, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    ) as Array<{ filename: string }>;
    if (!result) throw new Error('pack-cli: npm pack wrote nothing');
    return join(OUT, result.filename);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await packCli());
