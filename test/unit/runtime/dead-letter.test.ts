import { describe, expect, it } from 'vitest';
import { ErrorCodes, SluiceError } from '../../../src/core/index.ts';
import { deadLetterHeaders, readDeadLetter } from '../../../src/runtime/dead-letter.ts';

describe('deadLetterHeaders', () => {
  it('names stage, error code and the original position', () => {
    const err = new SluiceError(ErrorCodes.DESERIALIZE, 'x'.repeat(5000));
    const h = deadLetterHeaders(err, { topology: 'demo', stage: 'clean', topic: 'in', partition: 2, offset: '41', timestamp: 7, attempts: 3 }, 99);
    expect(h).toMatchObject({
      'sluice.dlq.topology': 'demo',
      'sluice.dlq.stage': 'clean',
      'sluice.dlq.error.code': 'SLUICE_ERR_DESERIALIZE',
      'sluice.dlq.original.topic': 'in',
      'sluice.dlq.original.partition': '2',
      'sluice.dlq.original.offset': '41',
      'sluice.dlq.original.timestamp': '7',
      'sluice.dlq.attempts': '3',
      'sluice.dlq.failed.at': '99',
    });
    expect((h['sluice.dlq.error.message'] as string).length).toBe(1000);
  });

  it('labels errors that are not SluiceErrors as unknown', () => {
    expect(deadLetterHeaders(new TypeError('boom'), { topology: 't', stage: 's' })['sluice.dlq.error.code']).toBe('SLUICE_ERR_UNKNOWN');
  });
});

describe('readDeadLetter', () => {
  it('reads back what deadLetterHeaders wrote and the record\'s own headers, with the original bytes as text, or base64 when they are not UTF-8', () => {
    const err = new SluiceError(ErrorCodes.PROCESSOR, 'n is negative');
    const fromFile = deadLetterHeaders(err, { topology: 't', stage: 'check', file: '/data/in.ndjson', line: 7, timestamp: 5, attempts: 4 }, 1_000);
    const record = (key: Buffer | null, value: Buffer | null, headers: Record<string, string>, own: Record<string, Buffer> = {}) => ({
      key,
      value,
      headers: { ...own, ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])) },
      timestamp: 9,
      topic: 't.dlq',
      partition: 0,
      offset: '3',
    });
    const own = { trace: Buffer.from('abc'), bin: Buffer.from([0xff, 0x00]) };
    expect(readDeadLetter(record(Buffer.from('k1'), Buffer.from('{"n":-1}'), fromFile as Record<string, string>, own))).toEqual({
      topic: 't.dlq',
      partition: 0,
      offset: '3',
      topology: 't',
      stage: 'check',
      failedAt: 1_000,
      code: ErrorCodes.PROCESSOR,
      message: 'n is negative',
      attempts: 4,
      original: { file: '/data/in.ndjson', line: 7, timestamp: 5 },
      key: 'k1',
      keyEncoding: 'utf8',
      value: '{"n":-1}',
      valueEncoding: 'utf8',
      headers: { trace: { text: 'abc', encoding: 'utf8' }, bin: { text: Buffer.from([0xff, 0x00]).toString('base64'), encoding: 'base64' } },
    });
    const fromTopic = deadLetterHeaders(new SluiceError(ErrorCodes.DESERIALIZE, 'bad bytes'), { topology: 't', stage: 'decode', topic: 'in', partition: 2, offset: '41' });
    const binary = Buffer.from([0xff, 0x00, 0xc3]);
    expect(readDeadLetter(record(null, binary, fromTopic as Record<string, string>))).toMatchObject({
      code: ErrorCodes.DESERIALIZE,
      original: { topic: 'in', partition: 2, offset: '41' },
      key: null,
      value: binary.toString('base64'),
      valueEncoding: 'base64',
    });
  });
});
