import { describe, expect, it } from 'vitest';
import { resolvePgpSettings } from './settings.ts';

describe('resolvePgpSettings', () => {
  it('does nothing without options or --encrypt pgp (a built-in loaded for one-off use)', () => {
    expect(resolvePgpSettings(undefined, {})).toBeUndefined();
    expect(resolvePgpSettings({}, {})).toBeUndefined();
    expect(resolvePgpSettings(undefined, { recipients: [] })).toBeUndefined();
  });

  it('refuses --recipient for a job it does not encrypt: never a silently plain export', () => {
    expect(() => resolvePgpSettings(undefined, { recipients: ['a.asc'] })).toThrow(
      expect.objectContaining({ message: '--recipient was given, but encryption was not asked for', hint: 'add --encrypt pgp' }),
    );
    expect(() => resolvePgpSettings({ recipients: ['config.asc'] }, { encrypt: 'aes', recipients: ['a.asc'] })).toThrow(
      expect.objectContaining({ message: '--recipient is for --encrypt pgp, but --encrypt aes was given' }),
    );
  });

  it('leaves --encrypt aes to encrypt-aes, even when the config enables OpenPGP', () => {
    expect(resolvePgpSettings({ recipients: ['a.asc'] }, { encrypt: 'aes' })).toBeUndefined();
  });

  it('is symmetric with --encrypt pgp and no recipients', () => {
    expect(resolvePgpSettings(undefined, { encrypt: 'pgp', passphraseFile: '/k/pass' })).toEqual({
      recipients: [],
      symmetric: true,
      passphraseFile: '/k/pass',
    });
  });

  it('takes recipients from the command line over the config, without duplicates', () => {
    expect(resolvePgpSettings({ recipients: ['config.asc'] }, { encrypt: 'pgp', recipients: ['a.asc', 'b.asc', 'a.asc'] })).toEqual({
      recipients: ['a.asc', 'b.asc'],
      symmetric: false,
      passphraseFile: undefined,
    });
    expect(resolvePgpSettings({ recipients: ['config.asc'] }, {})).toEqual({ recipients: ['config.asc'], symmetric: false, passphraseFile: undefined });
  });

  it('adds a passphrase to recipients with symmetric: true', () => {
    expect(resolvePgpSettings({ recipients: ['a.asc'], symmetric: true, passphraseFile: 'p' }, {})).toEqual({
      recipients: ['a.asc'],
      symmetric: true,
      passphraseFile: 'p',
    });
    expect(resolvePgpSettings({ symmetric: true }, {})).toEqual({ recipients: [], symmetric: true, passphraseFile: undefined });
  });

  it('refuses recipients that are not file names', () => {
    expect(() => resolvePgpSettings(undefined, { encrypt: 'pgp', recipients: [1] })).toThrow(/list of public key files/);
  });
});
