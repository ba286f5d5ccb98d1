import { describe, expect, it } from 'vitest';
import { ConfigError } from '@hyperexport/core';
import { NotifyParams, describeNotifyUrl, notifySchemeOf, notifyUrlsOf, splitNotifyUrl } from './notify-url.ts';

describe('notify URLs', () => {
  it('finds the scheme, lower-cased', () => {
    expect(notifySchemeOf('Slack://env:X')).toBe('slack');
    expect(notifySchemeOf('webhook+https://h/p')).toBe('webhook+https');
    expect(notifySchemeOf('no scheme')).toBeUndefined();
  });

  it('reads extra.notify as a list, a single string, or nothing', () => {
    expect(notifyUrlsOf({ notify: ['slack://env:A', 3, 'discord://env:B'] })).toEqual(['slack://env:A', 'discord://env:B']);
    expect(notifyUrlsOf({ notify: 'slack://env:A' })).toEqual(['slack://env:A']);
    expect(notifyUrlsOf({})).toEqual([]);
  });

  it('shows a reference as written and anything else by host only', () => {
    expect(describeNotifyUrl('slack://env:SLACK_URL?channel=x')).toBe('slack://env:SLACK_URL');
    expect(describeNotifyUrl('slack://hooks.slack.com/services/T/B/SECRET')).toBe('slack://hooks.slack.com/***');
    expect(describeNotifyUrl('mailto://user@smtp.example.com:587/?to=a@b')).toBe('mailto://smtp.example.com:587/***');
    expect(describeNotifyUrl('webhook+http://127.0.0.1:8080/hook')).toBe('webhook+http://127.0.0.1:8080/***');
    // Where a host would be, a key or a token: not shown.
    expect(describeNotifyUrl('pagerduty://R0UT1NGKEY0123456789abcdef01234567')).toBe('pagerduty://***');
    expect(describeNotifyUrl('slack://T0001/B0001/SECRETTOKEN')).toBe('slack://***');
    expect(describeNotifyUrl('telegram://123456:SECRETTOKEN@chat.example.org')).toBe('telegram://chat.example.org/***');
  });

  it('splits without a URL parser, so env:NAME and file paths survive', () => {
    expect(splitNotifyUrl('pagerduty://file:/etc/pd key?severity=critical')).toMatchObject({ scheme: 'pagerduty', target: 'file:/etc/pd key' });
    expect(splitNotifyUrl('pagerduty://file:/etc/pd key?severity=critical').params.get('severity')).toBe('critical');
    expect(() => splitNotifyUrl('env:SLACK_URL')).toThrow('"***" is not a notify URL');
  });
});

describe('NotifyParams', () => {
  it('takes the common options and reports unknown ones', () => {
    const params = new NotifyParams(
      new URLSearchParams('events=failed,started&progressInterval=60&timeoutMs=500&maxAttempts=3&maxElapsedMs=9000&colour=red'),
      'slack://',
    );
    expect(params.common()).toEqual({
      events: ['failed', 'started'],
      progress: { intervalSeconds: 60, percentStep: undefined },
      timeoutMs: 500,
      maxAttempts: 3,
      maxElapsedMs: 9000,
    });
    expect(() => params.finish([])).toThrow('slack://: unknown option colour');
  });

  it('takes progressInterval and progressStep only for notifiers that can send progress', () => {
    const query = 'progressInterval=60&progressStep=10&timeoutMs=500';
    const sends = new NotifyParams(new URLSearchParams(query), 'chat://');
    expect(sends.common(['progress', 'failed']).progress).toEqual({ intervalSeconds: 60, percentStep: 10 });
    expect(() => sends.finish([])).not.toThrow();
    const never = new NotifyParams(new URLSearchParams(query), 'pager://');
    const settings = never.common(['completed', 'failed']);
    expect(settings.progress).toBeUndefined();
    expect(settings.timeoutMs).toBe(500);
    let refusal: unknown;
    try {
      never.finish(['severity']);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ConfigError);
    expect(refusal).toMatchObject({
      message: 'pager://: unknown options progressInterval, progressStep',
      hint: 'options: severity, events, timeoutMs, maxAttempts, maxElapsedMs',
    });
  });

  it('refuses bad values with the option named', () => {
    expect(() => new NotifyParams(new URLSearchParams('events=finished'), 'x://').common()).toThrow('unknown notification event "finished"');
    expect(() => new NotifyParams(new URLSearchParams('timeoutMs=soon'), 'x://').common()).toThrow('x://: timeoutMs=soon is not a whole number');
    expect(() => new NotifyParams(new URLSearchParams('a=1&a=2'), 'x://').string('a')).toThrow('a= is given 2 times');
  });

  it('accepts events=all and leaves unknown parameters for the endpoint', () => {
    const params = new NotifyParams(new URLSearchParams('events=all&api-version=1'), 'teams+https://');
    expect(params.common().events).toEqual(['started', 'progress', 'completed', 'failed']);
    expect(params.rest().toString()).toBe('api-version=1');
  });
});
