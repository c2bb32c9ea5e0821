import { describe, expect, it } from '@jest/globals';
import { formatDuration, settingsText } from '../../src/cli/output.js';

describe('what the CLI prints for people', () => {
  it.each([
    [20_000, '20 s'],
    [90_000, '90 s'],
    [20 * 60_000, '20 min'],
    [150_000, '2.5 min'],
    [4 * 3_600_000, '4 h'],
    [36 * 3_600_000, '36 h'],
    [7 * 86_400_000, '7 d'],
  ])('writes a duration of %i ms as %s, never "0 min" for seconds', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('says "defaults" for settings the list does not set, instead of {}', () => {
    expect(settingsText({})).toBe('defaults (none set on the list)');
    expect(settingsText({ cps: undefined })).toBe('defaults (none set on the list)');
    expect(settingsText({ cps: 30, language: 'pl-PL' })).toBe('{"cps":30,"language":"pl-PL"}');
  });
});
