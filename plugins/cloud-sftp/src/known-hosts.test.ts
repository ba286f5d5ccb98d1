import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { algorithmsForKeyType, fingerprintOf, hostEntryName, keyTypeOf, knownKeysFor } from './known-hosts.ts';

const exec = promisify(execFile);
let directory: string;
let key: string; // "ssh-ed25519 AAAA..."
let blob: Buffer;
let fingerprint: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'hyperexport-known-hosts-'));
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(directory, 'key')]);
  key = (await readFile(join(directory, 'key.pub'), 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  blob = Buffer.from(key.split(' ')[1]!, 'base64');
  fingerprint = /(SHA256:\S+)/.exec((await exec('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(directory, 'key.pub')])).stdout)![1]!;
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('known_hosts matching', () => {
  it('names hosts as ssh does: plain for port 22, [host]:port otherwise', () => {
    expect(hostEntryName('nas', 22)).toBe('nas');
    expect(hostEntryName('nas', 2222)).toBe('[nas]:2222');
  });

  it('matches plain, comma-separated, wildcard and bracketed entries, and honours negation', () => {
    const text = [
      '# comment',
      `nas.example.com,10.0.0.5 ${key}`,
      `[backup.example.com]:2222 ${key} comment`,
      `*.lab.example.com,!secret.lab.example.com ${key}`,
      `@cert-authority *.example.com ${key}`,
    ].join('\n');
    expect(knownKeysFor(text, 'nas.example.com', 22)).toHaveLength(1);
    expect(knownKeysFor(text, '10.0.0.5', 22)).toHaveLength(1);
    expect(knownKeysFor(text, 'nas.example.com', 2222)).toHaveLength(0);
    expect(knownKeysFor(text, 'backup.example.com', 2222)[0]).toMatchObject({ type: 'ssh-ed25519', line: 3, revoked: false });
    expect(knownKeysFor(text, 'backup.example.com', 22)).toHaveLength(0);
    expect(knownKeysFor(text, 'a.lab.example.com', 22)).toHaveLength(1);
    expect(knownKeysFor(text, 'secret.lab.example.com', 22)).toHaveLength(0);
    expect(knownKeysFor(text, 'other.example.com', 22)).toHaveLength(0); // only the skipped @cert-authority line
  });

  it('matches hashed entries and flags @revoked keys', () => {
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[nas]:2222').digest('base64')}`;
    expect(knownKeysFor(`${hashed} ${key}`, 'nas', 2222)).toHaveLength(1);
    expect(knownKeysFor(`${hashed} ${key}`, 'nas', 22)).toHaveLength(0);
    expect(knownKeysFor(`@revoked nas ${key}`, 'nas', 22)[0]?.revoked).toBe(true);
  });

  it('matches what ssh-keygen -F finds in a file it hashed itself', async () => {
    const file = join(directory, 'known_hosts');
    await exec('sh', ['-c', `echo '[10.1.2.3]:2200 ${key}' > ${file} && ssh-keygen -H -f ${file} 2>/dev/null`]);
    const text = await readFile(file, 'utf8');
    expect(text).toMatch(/^\|1\|/);
    expect(knownKeysFor(text, '10.1.2.3', 2200)[0]?.blob.equals(blob)).toBe(true);
  });
});

describe('keys', () => {
  it('computes the fingerprint ssh-keygen prints', () => {
    expect(fingerprintOf(blob)).toBe(fingerprint);
    expect(keyTypeOf(blob)).toBe('ssh-ed25519');
  });

  it('maps key types to the host key algorithms that present them', () => {
    expect(algorithmsForKeyType('ssh-rsa')).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(algorithmsForKeyType('ssh-ed25519')).toEqual(['ssh-ed25519']);
  });
});
