// Benchmark: OpenPGP encryption and decryption by encrypt-pgp (OpenPGP.js in a Node stream
// pipeline, file to file), against gpg on the same file in the same run. Prints one JSON object
// per case: MB/s and peak RSS of each, and how our speed compares.
//   node bench/encrypt-pgp.ts            (1 GiB: half random, half zeros)
//   node bench/encrypt-pgp.ts --small    (128 MiB, a quick look)
//   --rounds N                           (default 3: interleaved rounds, medians)
// gpg runs with `-z 0`, so both write the same packets (SEIPDv1 + MDC, uncompressed); gpg's default
// compression is not what encrypt-pgp does (disks are compressed by the compress stage).
// The peak RSS of our side is the point: it must not grow with the file (see --small vs default).
// Before a build, run it from the TypeScript sources: node --conditions=hyperexport-source bench/encrypt-pgp.ts
// (the measured side, a child process, gets the same Node flags).
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { PASSPHRASE_ENV, digestStream } from '@hyperexport/core';
import { createEncryptStream, pgpReverseStage, readRecipientKey } from '@hyperexport/encrypt-pgp';
import { GpgHome } from '../test/support/gpg.ts';
import { argValue, interleave, loadAverage, measure, ratio, settleDisk, summarise, writeHalfRandomHalfZeros } from './support.ts';
import type { Measured } from './support.ts';

const here = fileURLToPath(import.meta.url);
const PASSPHRASE = 'benchmark passphrase';

// The measured side runs in a child process (`--worker`) so that its peak RSS is its own.
// Decryption with the key or the passphrase reads the file gpg wrote in the encryption case above it.
if (process.argv[2] === '--worker') {
  const [, , , mode, input, output, keyFile] = process.argv;
  const passphrase = process.env[PASSPHRASE_ENV];
  if (mode === 'encrypt') {
    const recipients = keyFile ? [(await readRecipientKey(keyFile)).key] : [];
    await pipeline(
      createReadStream(input!, { highWaterMark: 1 << 20 }),
      createEncryptStream({ recipients, passphrase: keyFile ? undefined : passphrase }),
      createWriteStream(output!),
    );
  } else {
    const keys = { privateKeyFiles: keyFile ? [keyFile] : [], passphrase: async () => passphrase! };
    const stage = await pgpReverseStage.create(input!.split('/').pop()!, keys, new AbortController().signal);
    await pipeline(createReadStream(input!, { highWaterMark: 1 << 20 }), stage, createWriteStream(output!));
  }
  process.exit(0);
}

const sizeMiB = process.argv.includes('--small') ? 128 : 1024;
const rounds = Number(argValue('--rounds') ?? 3);
const work = await mkdtemp(join(tmpdir(), 'hyperexport-bench-pgp-'));
const gpg = await GpgHome.create();
try {
  const input = join(work, 'disk.raw');
  const bytes = sizeMiB * 2 ** 20;
  await writeHalfRandomHalfZeros(input, bytes);
  const key = await gpg.generateKey('Bench <bench@example.org>');
  const publicKey = await gpg.exportPublicKey(key, join(work, 'bench.pub.asc'));
  const privateKey = await gpg.exportSecretKey(key, join(work, 'bench.sec.asc'));
  const passphraseFile = await gpg.secretFile(PASSPHRASE);
  const gpgArgs = ['--homedir', gpg.home, '--batch', '--yes', '--pinentry-mode', 'loopback', '-z', '0'];
  const env = { ...process.env, [PASSPHRASE_ENV]: PASSPHRASE };
  const ours = (mode: 'encrypt' | 'decrypt', from: string, to: string, keyFile?: string) =>
    measure(process.execPath, [...process.execArgv, here, '--worker', mode, from, to, ...(keyFile ? [keyFile] : [])], env);
  const digest = async (path: string) => (await digestStream(createReadStream(path), new AbortController().signal)).sha256;
  const inputDigest = await digest(input);

  const cases = [
    {
      name: 'encrypt to a public key',
      ours: () => ours('encrypt', input, join(work, 'ours.key.gpg'), publicKey),
      gpg: () =>
        measure('gpg', [...gpgArgs, '--trust-model', 'always', '--recipient', key.fingerprint, '--output', join(work, 'gpg.key.gpg'), '--encrypt', input]),
    },
    {
      name: 'encrypt with a passphrase',
      ours: () => ours('encrypt', input, join(work, 'ours.pass.gpg')),
      gpg: () => measure('gpg', [...gpgArgs, '--passphrase-file', passphraseFile, '--output', join(work, 'gpg.pass.gpg'), '--symmetric', input]),
    },
    {
      name: 'decrypt with a private key (gpg-written file)',
      ours: () => ours('decrypt', join(work, 'gpg.key.gpg'), join(work, 'ours.key.out'), privateKey),
      gpg: () => measure('gpg', [...gpgArgs, '--output', join(work, 'gpg.key.out'), '--decrypt', join(work, 'gpg.key.gpg')]),
      check: [join(work, 'ours.key.out'), join(work, 'gpg.key.out')],
    },
    {
      name: 'decrypt with a passphrase (gpg-written file)',
      ours: () => ours('decrypt', join(work, 'gpg.pass.gpg'), join(work, 'ours.pass.out')),
      gpg: () =>
        measure('gpg', [...gpgArgs, '--passphrase-file', passphraseFile, '--output', join(work, 'gpg.pass.out'), '--decrypt', join(work, 'gpg.pass.gpg')]),
      check: [join(work, 'ours.pass.out'), join(work, 'gpg.pass.out')],
    },
  ];
  for (const benchCase of cases) {
    // Interleaved rounds (ours and gpg alternate going first), medians; sync before every run
    // so that no run pays for the previous one's writes.
    const checked = async (side: string, run: () => Promise<Measured>) => {
      const measured = await run();
      if (measured.code !== 0) throw new Error(`${side} failed (${benchCase.name}): ${measured.stderr}`);
      return measured;
    };
    const runs = await interleave({ encryptPgp: () => checked('encrypt-pgp', benchCase.ours), gpg: () => checked('gpg', benchCase.gpg) }, rounds, settleDisk);
    for (const output of benchCase.check ?? []) {
      if ((await digest(output)) !== inputDigest) throw new Error(`${output} differs from the input`);
      await rm(output);
    }
    const ours = summarise(runs.encryptPgp, bytes);
    const reference = summarise(runs.gpg, bytes);
    console.log(
      JSON.stringify({
        benchmark: 'encrypt-pgp',
        case: benchCase.name,
        sizeMiB,
        rounds,
        encryptPgp: ours,
        gpg: reference,
        ratioToGpg: ratio(reference.seconds, ours.seconds),
        loadAverage: loadAverage(),
        note: "medians of interleaved rounds (peakRssMB: the highest of the rounds, from each process's rusage); peak RSS includes Node and the loaded modules",
      }),
    );
  }
} finally {
  await gpg.close();
  await rm(work, { recursive: true, force: true });
}
