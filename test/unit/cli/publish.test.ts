import { describe, expect, it } from 'vitest';
import { parseHeader, parseRate, summaryLine } from '../../../src/cli/commands/publish.ts';

describe('sluice publish options', () => {
  it('reads --rate as records per second, with or without /s', () => {
    expect(parseRate('500')).toBe(500);
    expect(parseRate('2.5/s')).toBe(2.5);
    for (const bad of ['fast', '0', '-3', '10/m']) {
      expect(() => parseRate(bad)).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_CLI_USAGE' }));
    }
  });

  it('collects repeated --header name=value, keeping "=" in the value', () => {
    expect(parseHeader('b=x=y', parseHeader('a=1'))).toEqual({ a: '1', b: 'x=y' });
    expect(() => parseHeader('novalue')).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_CLI_USAGE' }));
  });

  it('summarises sent, rejected, unacknowledged, seconds and rate in one line', () => {
    expect(summaryLine('t', { valid: 10, acknowledged: 8, rejected: 2, seconds: 2, rejectsFile: 'r.ndjson' })).toBe(
      'sluice publish: 8 sent to t, 2 rejected, 2 not acknowledged, 2.00 s, 4 records/s (rejects in r.ndjson)',
    );
  });
});
