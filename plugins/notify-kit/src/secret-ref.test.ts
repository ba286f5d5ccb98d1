import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSecretRef, isSecretReference, parseSecretRef, resolveSecret } from './secret-ref.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'notify-secret-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('secret references', () => {
  it('parses env:, file: and @ references, and anything else as a literal', () => {
    expect(parseSecretRef('env:SLACK_URL')).toEqual({ kind: 'env', name: 'SLACK_URL' });
    expect(parseSecretRef('file:/etc/key')).toEqual({ kind: 'file', path: '/etc/key' });
    expect(parseSecretRef('@/etc/key')).toEqual({ kind: 'file', path: '/etc/key' });
    expect(parseSecretRef('hunter2')).toEqual({ kind: 'literal', value: 'hunter2' });
    expect(isSecretReference('env:X')).toBe(true);
    expect(isSecretReference('https://hooks.slack.com/services/T/B/X')).toBe(false);
  });

  it('refuses an env: reference that names no variable', () => {
    expect(() => parseSecretRef('env:not a name')).toThrow(/does not name an environment variable/);
    expect(() => parseSecretRef('file:')).toThrow(/names no file/);
  });

  it('resolves from the environment and from the first line of a file', async () => {
    const path = join(work, 'key');
    await writeFile(path, 'R0UT1NGKEY\nsecond line\n');
    expect(await resolveSecret(parseSecretRef('env:PD_KEY'), 'routing key', { PD_KEY: ' abc \n' })).toBe('abc');
    expect(await resolveSecret(parseSecretRef(`file:${path}`), 'routing key')).toBe('R0UT1NGKEY');
    expect(await resolveSecret(parseSecretRef(`@${path}`), 'routing key')).toBe('R0UT1NGKEY');
  });

  it('says how to provide a missing secret, naming the variable but no value', async () => {
    const missing = resolveSecret(parseSecretRef('env:NOT_SET_ANYWHERE'), 'Slack webhook URL', {});
    await expect(missing).rejects.toThrow('the environment variable NOT_SET_ANYWHERE (the Slack webhook URL) is not set');
    await expect(missing).rejects.toMatchObject({ hint: expect.stringContaining('export NOT_SET_ANYWHERE=') as string });
    await expect(resolveSecret(parseSecretRef(`file:${join(work, 'absent')}`), 'routing key')).rejects.toThrow(/cannot read the file with the routing key/);
  });

  it('describes a reference by where it is, never by its value', () => {
    expect(describeSecretRef(parseSecretRef('env:A'))).toBe('env:A');
    expect(describeSecretRef(parseSecretRef('@/k'))).toBe('file:/k');
    expect(describeSecretRef(parseSecretRef('hunter2'))).toBe('(literal value)');
  });
});
