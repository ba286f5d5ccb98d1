import { describe, expect, it } from 'vitest';
import { checkTargetOptions, DEFAULT_CHUNK_SIZE, resolveGcsSettings } from './gcs-options.ts';

describe('resolveGcsSettings', () => {
  it('takes credentials and project from the job environment when the options do not say', () => {
    const settings = resolveGcsSettings({}, {}, { GOOGLE_APPLICATION_CREDENTIALS: '/etc/key.json', GOOGLE_CLOUD_PROJECT: 'proj' });
    expect(settings).toMatchObject({ keyFile: '/etc/key.json', projectId: 'proj', anonymous: false, chunkSize: DEFAULT_CHUNK_SIZE, retries: 3 });
  });

  it('lets a target override the plugin options', () => {
    expect(resolveGcsSettings({ chunkSize: 8 * 1024 * 1024, keyFile: '/a' }, { keyFile: '/b' }, {})).toMatchObject({
      keyFile: '/b',
      chunkSize: 8 * 1024 * 1024,
    });
  });

  it('goes anonymous for STORAGE_EMULATOR_HOST unless told otherwise, and only with an endpoint', () => {
    expect(resolveGcsSettings({}, {}, { STORAGE_EMULATOR_HOST: 'http://localhost:4443' })).toMatchObject({
      apiEndpoint: 'http://localhost:4443',
      anonymous: true,
    });
    expect(resolveGcsSettings({ anonymous: false }, {}, { STORAGE_EMULATOR_HOST: 'http://localhost:4443' })).toMatchObject({ anonymous: false });
    expect(resolveGcsSettings({ apiEndpoint: 'https://storage-private.example' }, {}, {})).toMatchObject({ anonymous: false });
    expect(() => resolveGcsSettings({ anonymous: true }, {}, {})).toThrow(/only works with an emulator endpoint/);
  });

  it('wants chunks in multiples of 256 KiB', () => {
    expect(() => resolveGcsSettings({ chunkSize: 300 * 1024 }, {}, {})).toThrow(/not a multiple of 256 KiB/);
  });
});

describe('checkTargetOptions', () => {
  it('lists every problem of a target’s options', () => {
    try {
      checkTargetOptions({ chunkSize: 'big', colour: 'blue' }, 'gs://b/x');
      expect.unreachable();
    } catch (error) {
      expect((error as { problems: string[] }).problems.join('\n')).toMatch(/chunkSize[\s\S]*colour/);
    }
  });
});
