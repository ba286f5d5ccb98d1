// Plugins load their SDKs when first used (a target opened, a stream made to encrypt), never when
// the plugin is imported or set up: the CLI imports every built-in plugin (and `hyperexport restore`
// every reverse stage) on every run, and most runs use none of them. When an SDK is not installed,
// first use must say which package is missing and how to install it. Checked in a child Node
// process (test/support/module-probe.ts), so the module graph is Node's, not vitest's.
import { describe, expect, it } from 'vitest';
import { probeModules } from './support/module-probe.ts';
import type { ProbedError } from './support/module-probe.ts';

/** What a probe made by `setUpThenUse` reports. */
interface FirstUseResult {
  /** Watched packages loaded once the package is imported and the plugin set up. */
  readonly afterSetup: string[];
  /** ... and once `use` has run. */
  readonly afterUse: string[];
  /** What `use` threw, if anything. */
  readonly error?: ProbedError;
  /** What `use` noted for the plugin's own assertions. */
  readonly facts: Record<string, unknown>;
}

interface LazyPlugin {
  /** The workspace package. */
  readonly package: string;
  /** The packages it loads only on first use. */
  readonly sdks: readonly string[];
  /** What first use is, for the test's name. */
  readonly firstUse: string;
  /** Code that uses the set-up plugin for the first time (see `setUpThenUse` for what is in scope). */
  readonly use: string;
  /** What else shows that the SDK really did the work of first use. */
  readonly expectUsed: (result: FirstUseResult) => void;
  readonly missing: readonly MissingSdk[];
}

/** One SDK made to look uninstalled, and what first use must then say. */
interface MissingSdk {
  readonly sdk: string;
  /** The ExportError's exact message (its hint must say `npm install SDK`). */
  readonly message: string;
  /** When only some uses need the SDK: which (for the test's name), and code that does so. */
  readonly when?: { readonly says: string; readonly use: string };
  /** Facts `use` must have noted (that nothing was done without the SDK). */
  readonly facts?: Record<string, unknown>;
}

/**
 * Imports the plugin's package and sets the plugin up, as the CLI does; notes what is loaded; then runs
 * `use`, with `plugin` (the package's exports), `exporter` and `facts` (an object it may note things
 * in) in scope, and reports what is loaded after it and what it threw.
 */
function setUpThenUse(pkg: string, use: string): string {
  return `
const { Exporter } = await import('@hyperexport/core');
const plugin = await import(${JSON.stringify(pkg)});
const exporter = await Exporter.create([plugin.default()]);
const afterSetup = loaded();
const facts = {};
let error;
try {
${use}
} catch (caught) {
  error = describeError(caught);
}
report({ afterSetup, afterUse: loaded(), error, facts });
`;
}

async function probeFirstUse(plugin: LazyPlugin, use: string, hide: readonly string[] = []): Promise<FirstUseResult> {
  return (await probeModules({ watch: plugin.sdks, hide, body: setUpThenUse(plugin.package, use) })) as FirstUseResult;
}

/** The target was really tried (nothing listens there), so the SDK did the work. */
function expectTargetTried(result: FirstUseResult): void {
  expect(result.error).toMatchObject({ code: 'UNREACHABLE' });
}

const CLOUD_S3: LazyPlugin = {
  package: '@hyperexport/cloud-s3',
  sdks: ['@aws-sdk/client-s3'],
  firstUse: 'opening an s3:// target',
  use: `
  const service = await exporter.storage.open('s3://bucket/exports/?endpoint=' + encodeURIComponent(await closedEndpoint()), {
    env: { AWS_ACCESS_KEY_ID: 'probe', AWS_SECRET_ACCESS_KEY: 'probe', AWS_REGION: 'us-east-1' },
    options: { maxAttempts: 1 },
  });
  await service.close();
`,
  expectUsed: expectTargetTried,
  missing: [
    {
      sdk: '@aws-sdk/client-s3',
      message: '@hyperexport/cloud-s3 needs @aws-sdk/client-s3 to talk to S3, and it is not installed',
    },
  ],
};

const CLOUD_GCS: LazyPlugin = {
  package: '@hyperexport/cloud-gcs',
  sdks: ['@google-cloud/storage', 'google-auth-library'],
  firstUse: 'opening a gs:// target',
  use: `
  const service = await exporter.storage.open('gs://bucket/exports', { env: { STORAGE_EMULATOR_HOST: await closedEndpoint() }, options: { retries: 0 } });
  await service.close();
`,
  expectUsed: expectTargetTried,
  missing: [
    {
      sdk: '@google-cloud/storage',
      message: '@hyperexport/cloud-gcs needs @google-cloud/storage to talk to Google Cloud Storage, and it is not installed',
    },
    {
      sdk: 'google-auth-library',
      message: '@hyperexport/cloud-gcs needs google-auth-library to read Google Cloud credential files, and it is not installed',
      when: {
        says: 'a credential file is given',
        // An empty JSON object: the library must load before the file is judged.
        use: `
  await withTempFile('key.json', '{}', (keyFile) =>
    exporter.storage.open('gs://bucket/exports', { env: {}, options: { keyFile, retries: 0 } }));
`,
      },
    },
  ],
};

const CLOUD_SFTP: LazyPlugin = {
  package: '@hyperexport/cloud-sftp',
  sdks: ['ssh2', 'ssh2-sftp-client'],
  firstUse: 'opening an sftp:// target',
  // Logs in with a password (no key to read), to a port nothing listens on.
  use: `
  const port = new URL(await closedEndpoint()).port;
  const service = await exporter.storage.open('sftp://probe@127.0.0.1:' + port + '/exports', {
    env: { HYPEREXPORT_SFTP_PASSWORD: 'probe', HOME: '/nonexistent' },
    options: { insecure: true },
  });
  await service.close();
`,
  expectUsed: expectTargetTried,
  missing: [
    {
      sdk: 'ssh2-sftp-client',
      message: '@hyperexport/cloud-sftp needs ssh2-sftp-client to talk to SFTP servers, and it is not installed',
    },
    {
      sdk: 'ssh2',
      message: '@hyperexport/cloud-sftp needs ssh2 to read SSH keys, and it is not installed',
      when: {
        says: 'a key file is given',
        // Not a key: ssh2 must load before the file is judged.
        use: `
  await withTempFile('id_ed25519', 'not a key', (keyFile, dir) =>
    exporter.storage.open('sftp://probe@127.0.0.1:22/exports', { env: { HOME: dir }, options: { keyFile, insecure: true } }));
`,
      },
    },
  ],
};

const PLAIN_BYTES = 'plain bytes';
const OPENPGP_MISSING = '@hyperexport/encrypt-pgp needs openpgp to encrypt and decrypt OpenPGP messages, and it is not installed';

const ENCRYPT_PGP: LazyPlugin = {
  package: '@hyperexport/encrypt-pgp',
  sdks: ['openpgp'],
  firstUse: 'encrypting',
  // Encrypts a few bytes with a passphrase, counting the bytes that come out.
  use: `
  facts.reverseStages = plugin.reverseStages.length;
  facts.bytes = 0;
  const { Readable, Writable } = await import('node:stream');
  const { pipeline } = await import('node:stream/promises');
  const stream = plugin.createEncryptStream({ recipients: [], passphrase: 'probe' }, { filename: 'disk.vmdk' });
  const count = new Writable({ write(chunk, _encoding, callback) { facts.bytes += chunk.length; callback(); } });
  await pipeline(Readable.from([Buffer.from(${JSON.stringify(PLAIN_BYTES)})]), stream, count);
`,
  expectUsed(result) {
    // The reverse stage (for `hyperexport restore`) is there without the library loaded.
    expect(result.facts.reverseStages).toBe(1);
    expect(result.error).toBeUndefined();
    expect(result.facts.bytes).toBeGreaterThan(PLAIN_BYTES.length);
  },
  missing: [{ sdk: 'openpgp', message: OPENPGP_MISSING, facts: { bytes: 0 } }],
};

/** One describe per plugin: set-up loads none of its SDKs, first use loads them, each missing SDK is named. */
function describeFirstUse(plugin: LazyPlugin, moreTests?: () => void): void {
  describe(`${plugin.package} loads ${plugin.sdks.join(' and ')} on first use`, () => {
    it(`importing the package and setting the plugin up load none; ${plugin.firstUse} loads them`, async () => {
      const result = await probeFirstUse(plugin, plugin.use);
      expect(result.afterSetup).toEqual([]);
      expect(result.afterUse).toEqual([...plugin.sdks].sort());
      plugin.expectUsed(result);
    });

    for (const missing of plugin.missing) {
      const also = missing.when ? ` and ${missing.when.says}` : '';
      it(`says ${missing.sdk} is missing and how to install it when it is not installed${also}`, async () => {
        const result = await probeFirstUse(plugin, missing.when?.use ?? plugin.use, [missing.sdk]);
        expect(result.afterUse).toEqual([]);
        expect(result.error).toMatchObject({ name: 'ExportError', code: 'MISSING_DEPENDENCY' });
        expect(result.error!.message).toBe(missing.message);
        expect(result.error!.hint).toContain(`npm install ${missing.sdk}`);
        if (missing.facts) expect(result.facts).toMatchObject(missing.facts);
      });
    }

    moreTests?.();
  });
}

describeFirstUse(CLOUD_S3);
describeFirstUse(CLOUD_GCS);
describeFirstUse(CLOUD_SFTP);
describeFirstUse(ENCRYPT_PGP, () => {
  // What the plugin's validate hook does: prepare a job's encryption, here with two recipient key
  // files and a passphrase file (none of which exist).
  const PREPARE_ENCRYPTION = new URL('../plugins/encrypt-pgp/src/prepare-encryption.ts', import.meta.url).href;

  it('reports a missing openpgp once among the checks of a job, before any key or passphrase file is read', async () => {
    const result = (await probeModules({
      watch: ENCRYPT_PGP.sdks,
      hide: ['openpgp'],
      body: `
const { prepareEncryption } = await import(${JSON.stringify(PREPARE_ENCRYPTION)});
const prepared = await prepareEncryption({ recipients: ['/nonexistent/alice.asc', '/nonexistent/bob.asc'], symmetric: true, passphraseFile: '/nonexistent/passphrase' });
report({ problems: prepared.problems, keys: prepared.keys ?? null });
`,
    })) as { problems: string[]; keys: unknown };
    expect(result.keys).toBeNull();
    // Not one problem per recipient, and not "cannot read /nonexistent/…": the library comes first.
    expect(result.problems).toEqual([
      `${OPENPGP_MISSING} (install it with \`npm install openpgp\` where @hyperexport/encrypt-pgp is installed; add -g if that is a global install)`,
    ]);
  });
});
