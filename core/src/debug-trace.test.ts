import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { addTraceSecret, debugDestination, debugTrace, isDebugTracing, redactTrace, startDebugTrace } from './debug-trace.ts';

describe('the --debug trace', () => {
  it('masks URL passwords, session cookies, <password> elements and registered secrets', () => {
    addTraceSecret('hunter2-secret');
    expect(redactTrace('GET https://root:pw@vc/sdk')).toBe('GET https://root:***@vc/sdk');
    expect(redactTrace('cookie: vmware_soap_session="52a1-b2c3"; Path=/')).toBe('cookie: vmware_soap_session="***"; Path=/');
    expect(redactTrace('<password>x y</password><userName>u</userName>')).toBe('<password>***</password><userName>u</userName>');
    expect(redactTrace('Login failed for hunter2-secret, twice: hunter2-secret')).toBe('Login failed for ***, twice: ***');
  });

  it('reads HYPEREXPORT_DEBUG as on, off, or a file; the option wins', () => {
    expect(debugDestination(undefined, {})).toBeUndefined();
    expect(debugDestination(undefined, { HYPEREXPORT_DEBUG: '1' })).toBe('stderr');
    expect(debugDestination(undefined, { HYPEREXPORT_DEBUG: 'off' })).toBeUndefined();
    expect(debugDestination(undefined, { HYPEREXPORT_DEBUG: '/tmp/trace.log' })).toEqual({ file: '/tmp/trace.log' });
    expect(debugDestination(true, {})).toBe('stderr');
    expect(debugDestination('t.log', { HYPEREXPORT_DEBUG: '1' })).toEqual({ file: 't.log' });
    expect(() => debugDestination('', {})).toThrow('--debug= names no file');
  });

  it('writes redacted lines while started, nothing after', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hyperexport-trace-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const stderr = new PassThrough();
    let written = '';
    stderr.on('data', (chunk: Buffer) => (written += chunk.toString()));
    const stop = startDebugTrace('stderr', stderr);
    expect(isDebugTracing()).toBe(true);
    debugTrace('soap', 'Login to https://u:p4ss@vc/sdk');
    stop();
    debugTrace('soap', 'after the stop');
    expect(written).toMatch(/^debug \d\d:\d\d:\d\d\.\d{3} soap: Login to https:\/\/u:\*\*\*@vc\/sdk\n$/);
    const stopFile = startDebugTrace({ file: join(dir, 'trace.log') }, stderr);
    debugTrace('http', 'GET x');
    stopFile();
    expect(await readFile(join(dir, 'trace.log'), 'utf8')).toMatch(/ http: GET x\n$/);
    expect(() => startDebugTrace({ file: join(dir, 'no', 'such', 'dir.log') }, stderr)).toThrow(/cannot open the debug trace file .*dir\.log: ENOENT/);
  });
});
