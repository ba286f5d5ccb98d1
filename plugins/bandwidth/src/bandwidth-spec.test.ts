import { ConfigError } from '@hyperexport/core';
import { describe, expect, it } from 'vitest';
import { formatRate, parseBandwidthSpec } from './bandwidth-spec.ts';
import { OFF } from './timetable.ts';

const KiB = 1024;
const MiB = 1024 * 1024;
const rateOf = (spec: string) => {
  const timetable = parseBandwidthSpec(spec);
  expect(timetable.entries).toHaveLength(1);
  return timetable.entries[0]!.bytesPerSecond;
};
/** A local time in the week of Monday 1 January 2024 (zone-independent: local constructor). */
const at = (day: number, hours: number, minutes = 0, seconds = 0) => new Date(2024, 0, day, hours, minutes, seconds).getTime();
const MON = 1;
const FRI = 5;
const SAT = 6;
const SUN = 7;

describe('rates (rclone units: binary; a plain number is KiB/s)', () => {
  it.each([
    ['10M', 10 * MiB],
    ['512k', 512 * KiB],
    ['512K', 512 * KiB],
    ['1.5M', 1.5 * MiB],
    ['1G', 1024 * MiB],
    ['1000', 1000 * KiB],
    ['2.5', 2.5 * KiB],
    ['500000B', 500_000],
    ['500000b', 500_000],
    ['10MB', 10 * MiB],
    ['10MiB', 10 * MiB],
    ['10Mi', 10 * MiB],
    ['64KiB', 64 * KiB],
    ['.5M', 0.5 * MiB],
    ['off', OFF],
    ['OFF', OFF],
    ['0', OFF],
  ])('%s', (spec, bytesPerSecond) => {
    expect(rateOf(spec)).toBe(bytesPerSecond);
  });

  it('ignores surrounding blanks', () => {
    expect(rateOf('  2M ')).toBe(2 * MiB);
  });

  it('knows when there is nothing to limit', () => {
    expect(parseBandwidthSpec('off').alwaysOff).toBe(true);
    expect(parseBandwidthSpec('08:00,off 19:00,off').alwaysOff).toBe(true);
    expect(parseBandwidthSpec('08:00,off 19:00,1M').alwaysOff).toBe(false);
  });

  it('formats rates for messages', () => {
    expect(formatRate(2 * MiB)).toBe('2 MiB/s');
    expect(formatRate(1.5 * MiB)).toBe('1.5 MiB/s');
    expect(formatRate(512 * KiB)).toBe('512 KiB/s');
    expect(formatRate(300)).toBe('300 B/s');
    expect(formatRate(OFF)).toBe('off');
  });
});

describe('timetables', () => {
  it('"08:00,512k 19:00,off": every day, the latest entry holds, the evening one until the next morning', () => {
    const timetable = parseBandwidthSpec('08:00,512k 19:00,off');
    expect(timetable.rateAt(at(3, 7, 59, 59))).toEqual({ bytesPerSecond: OFF, until: at(3, 8) });
    expect(timetable.rateAt(at(3, 8))).toEqual({ bytesPerSecond: 512 * KiB, until: at(3, 19) });
    expect(timetable.rateAt(at(3, 18, 59, 59))).toEqual({ bytesPerSecond: 512 * KiB, until: at(3, 19) });
    expect(timetable.rateAt(at(3, 19))).toEqual({ bytesPerSecond: OFF, until: at(4, 8) });
    // Sunday before 08:00: Saturday's 19:00 entry, across the week's end.
    expect(timetable.rateAt(at(SUN, 3))).toEqual({ bytesPerSecond: OFF, until: at(SUN, 8) });
  });

  it('"Mon-08:00,512k Sat-00:00,off": weekday entries; the last of the week wraps around', () => {
    const timetable = parseBandwidthSpec('Mon-08:00,512k Sat-00:00,off');
    expect(timetable.rateAt(at(MON, 7, 59))).toEqual({ bytesPerSecond: OFF, until: at(MON, 8) });
    expect(timetable.rateAt(at(MON, 8))).toEqual({ bytesPerSecond: 512 * KiB, until: at(SAT, 0) });
    expect(timetable.rateAt(at(FRI, 23, 59))).toEqual({ bytesPerSecond: 512 * KiB, until: at(SAT, 0) });
    expect(timetable.rateAt(at(SAT, 0))).toEqual({ bytesPerSecond: OFF, until: at(MON + 7, 8) });
    expect(timetable.rateAt(at(SUN, 12))).toEqual({ bytesPerSecond: OFF, until: at(MON + 7, 8) });
  });

  it('accepts full weekday names, any case, and semicolons between entries', () => {
    const timetable = parseBandwidthSpec('monday-08:00,1M;SAT-00:00,off; sun-12:30,2M');
    expect(timetable.entries.map(({ weekday, minute }) => [weekday, minute])).toEqual([
      [0, 750],
      [1, 480],
      [6, 0],
    ]);
    expect(timetable.rateAt(at(SUN, 13))).toEqual({ bytesPerSecond: 2 * MiB, until: at(MON + 7, 8) });
  });

  it('a later entry for the same time replaces an earlier one', () => {
    expect(parseBandwidthSpec('Mon-08:00,1M Mon-08:00,2M').entries).toEqual([{ weekday: 1, minute: 480, bytesPerSecond: 2 * MiB }]);
  });

  it('a plain rate holds for ever', () => {
    expect(parseBandwidthSpec('4M').rateAt(at(3, 12))).toEqual({ bytesPerSecond: 4 * MiB, until: Infinity });
  });
});

describe('errors say where the problem is and give examples', () => {
  it.each([
    ['', 'at character 1, expected a rate or a timetable, got nothing'],
    ['   ', 'at character 1, expected a rate or a timetable, got nothing'],
    ['fast', 'at character 1, "fast" is not a rate'],
    ['10X', 'at character 1, "10X" is not a rate'],
    ['-1M', 'at character 1, "-1M" is not a rate'],
    ['08:00,512k 19:00,fast', 'at character 18, "fast" is not a rate'],
    ['08:00,1M 19:00', 'at character 10, "19:00" is not a timetable entry: expected [WEEKDAY-]HH:MM,RATE'],
    ['08:00', 'at character 1, "08:00" is a time without a rate: write HH:MM,RATE such as 08:00,512k'],
    ['25:00,1M', 'at character 1, "25:00" is not a time of day: use HH:MM from 00:00 to 23:59'],
    ['08:60,1M', 'at character 1, "08:60" is not a time of day'],
    ['Mon-8h,1M', 'at character 5, "8h" is not a time of day'],
    ['Funday-08:00,1M', 'at character 1, "Funday" is not a weekday: use Mon, Tue, Wed, Thu, Fri, Sat or Sun'],
    ['08:00,1M,2M', 'at character 7, "1M,2M" is not a rate'],
    ['10M:1M', 'at character 1, "10M:1M": upload:download pairs are not supported'],
  ])('%j', (spec, message) => {
    let caught: unknown;
    try {
      parseBandwidthSpec(spec);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toContain(`bad bandwidth limit "${spec}": ${message}`);
    expect((caught as ConfigError).hint).toContain('"08:00,512k 19:00,off"');
  });

  it('names the setting it parses', () => {
    expect(() => parseBandwidthSpec('x', 'per-stream bandwidth limit')).toThrow('bad per-stream bandwidth limit "x"');
  });
});
