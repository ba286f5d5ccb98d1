// govc's GOVC_TLS_KNOWN_HOSTS files: `host thumbprint` lines, a host without a port on 443.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@hyperexport/core';
import { hostKey, knownHostThumbprint } from './known-hosts.ts';

const SHA1 = '9F:6E:0B:5D:3C:2A:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hyperexport-known-hosts-'));
});

describe('knownHostThumbprint', () => {
  it('finds the host of the URL, with port 443 implied on either side', async () => {
    const file = join(dir, 'a');
    await writeFile(file, `other.example.com 00:11\nvc.example.com ${SHA1}\n127.0.0.1:8989 ${SHA1.replace('9F', 'AA')}\n`);
    expect(await knownHostThumbprint(file, new URL('https://vc.example.com/sdk'))).toBe(SHA1);
    expect(await knownHostThumbprint(file, new URL('https://VC.example.com:443/sdk'))).toBe(SHA1);
    expect(await knownHostThumbprint(file, new URL('https://127.0.0.1:8989/sdk'))).toBe(SHA1.replace('9F', 'AA'));
    expect(await knownHostThumbprint(file, new URL('https://vc.example.com:8443/sdk'))).toBeUndefined();
  });

  it('reads every file of the list, skipping missing ones as govc does; a later line wins', async () => {
    const second = join(dir, 'b');
    await writeFile(second, `vc.example.com ${SHA1.replace('EE', 'FF')}\n`);
    expect(await knownHostThumbprint([join(dir, 'missing'), join(dir, 'a'), second].join(delimiter), new URL('https://vc.example.com/sdk'))).toBe(
      SHA1.replace('EE', 'FF'),
    );
  });

  it('refuses a malformed thumbprint of the host, naming the file and line', async () => {
    const file = join(dir, 'bad');
    await writeFile(file, '\nvc.example.com not-a-thumbprint\n');
    const error = await knownHostThumbprint(file, new URL('https://vc.example.com/sdk')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(new RegExp(`^${file}:2 \\(GOVC_TLS_KNOWN_HOSTS\\): thumbprint "not-a-thumbprint" is neither`));
  });

  it('hostKey adds :443 only where no port is given', () => {
    expect(hostKey('vc')).toBe('vc:443');
    expect(hostKey('[::1]')).toBe('[::1]:443');
    expect(hostKey('[::1]:8989')).toBe('[::1]:8989');
  });
});
