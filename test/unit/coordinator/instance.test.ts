import { describe, expect, it } from 'vitest';
import { lifeParams } from '../../../src/coordinator/instance.ts';
import type { InstanceParams } from '../../../src/coordinator/protocol.ts';

const params: InstanceParams = { file: '/t.yaml', stage: 'load', instance: 0, brokers: ['b:9092'], namespace: '', clientId: 'c', logLevel: 'warn', fromStart: true };

describe('lifeParams', () => {
  it('gives --from-start to an instance’s first life only: a restart after a crash goes on from what was committed', () => {
    expect(lifeParams(params, 0)).toEqual(params);
    expect(lifeParams(params, 1)).toEqual({ ...params, fromStart: undefined });
    expect('fromStart' in lifeParams(params, 3)).toBe(false);
    expect(lifeParams(params, 3).stage).toBe('load');
  });
});
