import { describe, expect, it } from 'vitest';
import { ConfigError, ExportError } from '../errors.ts';
import { errorFields, formatError } from './base-command.ts';

describe('the error a command ends with', () => {
  it('shows no password of a URL that its message, problems or hint quote, on stderr or in --json', () => {
    const config = new ConfigError("2 problems with the export's settings", {
      problems: ['cannot reach https://admin:hunter2@vc.local/sdk', 'sftp://u:pw2@nas/x is refused'],
      hint: 'check https://admin:hunter2@vc.local/sdk',
    });
    const failed = new ExportError('login to https://admin:hunter2@vc.local/sdk failed');
    for (const error of [config, failed, new Error('GET https://admin:hunter2@vc.local/sdk: 503')]) {
      const shown = `${formatError(error)}\n${JSON.stringify(errorFields(error))}`;
      expect(shown).not.toMatch(/hunter2|pw2/);
      expect(shown).toContain('https://admin:***@vc.local/sdk');
    }
    expect(formatError(config)).toBe(
      [
        "error: 2 problems with the export's settings",
        '  - cannot reach https://admin:***@vc.local/sdk',
        '  - sftp://u:***@nas/x is refused',
        'hint: check https://admin:***@vc.local/sdk',
      ].join('\n'),
    );
  });
});
