import { describe, expect, it } from 'vitest';
import { ErrorCodes, SluiceError } from '../../../src/core/index.ts';
import { deadLetterHeaders } from '../../../src/runtime/dead-letter.ts';

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
