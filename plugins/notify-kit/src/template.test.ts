import { describe, expect, it } from 'vitest';
import { sampleMessages } from './message.ts';
import type { NotifyMessage } from './message.ts';
import { checkTemplate, fillJsonTemplate, fillTemplate, unknownPlaceholders } from './template.ts';

const [started, , completed, failed] = sampleMessages() as [NotifyMessage, NotifyMessage, NotifyMessage, NotifyMessage];

describe('templates', () => {
  it('finds unknown placeholders and says which exist', () => {
    expect(unknownPlaceholders('{{vm}} {{ status }} {{colour}} {{colour}}')).toEqual(['colour']);
    expect(() => checkTemplate('{{vmname}}', 'the subject')).toThrow('the subject uses unknown placeholder {{vmname}}');
  });

  it('does not take what every object inherits for a placeholder', () => {
    expect(() => checkTemplate('{{toString}}', 'the subject')).toThrow('the subject uses unknown placeholder {{toString}}');
    expect(unknownPlaceholders('{{constructor}} {{hasOwnProperty}} {{vm}}')).toEqual(['constructor', 'hasOwnProperty']);
    expect(fillTemplate('{{toString}} {{status}}', completed)).toBe('{{toString}} succeeded');
    expect(fillJsonTemplate('{"a": "{{constructor}}", "b": {{status}}}', completed)).toBe('{"a": "{{constructor}}", "b": "succeeded"}');
  });

  it('fills plain text templates as they are', () => {
    expect(fillTemplate('[backup] {{vm}} {{status}} ({{duration}})', completed)).toBe('[backup] sample-vm "01" succeeded (1 min 0 s)');
  });

  it('escapes values inside JSON strings and types them outside', () => {
    const template = '{"text": "Export of {{vm}}: {{error}}", "vm": {{vm}}, "bytes": {{bytesRead}}, "stored": {{storedBytes}}, "all": {{message}}}';
    const body = JSON.parse(fillJsonTemplate(template, failed)) as Record<string, unknown>;
    expect(body.text).toBe('Export of sample-vm "01": disk "full" \\ <stop>');
    expect(body.vm).toBe('sample-vm "01"');
    expect(body.bytes).toBe(0);
    expect(body.stored).toBeNull();
    expect(body.all).toMatchObject({ event: 'failed', vm: 'sample-vm "01"' });
    expect(JSON.parse(fillJsonTemplate(template, completed))).toMatchObject({ stored: 1024, bytes: 2048 });
  });

  it('keeps escaped quotes and braces of the template itself', () => {
    const body = JSON.parse(fillJsonTemplate('{"a": "say \\"{{status}}\\" {not a placeholder}", "b": [{{event}}]}', started)) as Record<string, unknown>;
    expect(body).toEqual({ a: 'say "started" {not a placeholder}', b: ['started'] });
  });
});
