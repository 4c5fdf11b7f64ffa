import { describe, expect, it } from 'vitest';
import { ErrorCodes, SluiceError } from '../../../src/core/index.ts';
import { backoffCeiling, withRetry } from '../../../src/runtime/retry.ts';

const policy = { retries: 3, initialDelayMs: 1, maxDelayMs: 4, factor: 2 };
const transient = () => new SluiceError(ErrorCodes.BROKER_UNAVAILABLE, 'away', { retriable: true });

describe('withRetry', () => {
  it('retries retriable errors until success, with growing capped delays', async () => {
    let calls = 0;
    const delays: number[] = [];
    const result = await withRetry(
      async () => {
        if (++calls < 4) throw transient();
        return 'ok';
      },
      { policy, random: () => 1, onRetry: (_e, _n, d) => delays.push(d) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(4);
    expect(delays).toEqual([1, 2, 4]);
    expect(backoffCeiling(policy, 10)).toBe(4);
  });

  it('gives up after the policy retries and rethrows the last error', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw transient();
      }, { policy, random: () => 0 }),
    ).rejects.toMatchObject({ code: ErrorCodes.BROKER_UNAVAILABLE });
    expect(calls).toBe(4);
  });

  it('does not retry a fatal error', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new SluiceError(ErrorCodes.DESERIALIZE, 'bad bytes');
      }, { policy }),
    ).rejects.toMatchObject({ code: ErrorCodes.DESERIALIZE });
    expect(calls).toBe(1);
  });
});
