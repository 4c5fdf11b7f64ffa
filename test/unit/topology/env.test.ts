import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { interpolateEnv, type EnvIssue, type EnvLimits } from '../../../src/topology/index.ts';

function expand(data: unknown, env: Record<string, string>, limits?: EnvLimits) {
  const issues: EnvIssue[] = [];
  return { value: interpolateEnv(data, env, issues, limits), issues };
}

describe('interpolateEnv', () => {
  it('expands ${VAR} and ${VAR:-default} in string values, anywhere in the document', () => {
    const { value, issues } = expand(
      { kafka: { brokers: '${BROKERS}' }, paths: ['${DIR:-./data}/in.ndjson'], n: 3 },
      { BROKERS: 'k1:9092,k2:9092' },
    );
    expect(issues).toEqual([]);
    expect(JSON.parse(JSON.stringify(value))).toEqual({ kafka: { brokers: 'k1:9092,k2:9092' }, paths: ['./data/in.ndjson'], n: 3 });
  });

  it('uses the default when the variable is empty, like the shell', () => {
    expect(expand('${A:-x}', { A: '' }).value).toBe('x');
    expect(expand('${A}', { A: '' }).value).toBe('');
    expect(expand('${A:-}', {}).value).toBe('');
  });

  it('reports an unset variable without a default at its path', () => {
    const { issues } = expand({ kafka: { sasl: { password: '${KAFKA_PASSWORD}' } } }, {});
    expect(issues).toEqual([
      expect.objectContaining({ code: ErrorCodes.TOPOLOGY_ENV_UNSET, path: ['kafka', 'sasl', 'password'], reference: 0, message: 'environment variable `KAFKA_PASSWORD` is not set' }),
    ]);
  });

  it('does not expand again what an expansion produced', () => {
    expect(expand('${A}', { A: '${B}', B: 'secret' }).value).toBe('${B}');
    expect(expand('${A:-${B}}', { B: 'x' }).issues[0]?.message).toMatch(/not a variable reference|unclosed/);
  });

  it('writes `$${` as a literal `${`, and never touches keys', () => {
    expect(expand('cost: $${PRICE}', {}).value).toBe('cost: ${PRICE}');
    const { value } = expand({ '${KEY}': 'v' }, { KEY: 'k' });
    expect(Object.keys(value as object)).toEqual(['${KEY}']);
  });

  it('reports malformed references', () => {
    expect(expand('${1BAD}', {}).issues[0]).toMatchObject({ code: ErrorCodes.TOPOLOGY_INVALID, message: '`${1BAD}` is not a variable reference' });
    expect(expand('x ${OPEN', {}).issues[0]).toMatchObject({ code: ErrorCodes.TOPOLOGY_INVALID, message: 'unclosed `${`' });
  });

  it('names which `${` of a value an issue is about, counting literal `$${` too', () => {
    const { issues } = expand('$${X} ${A} ${UNSET} ${B:-b} ${1BAD}', { A: 'a' });
    expect(issues.map((i) => [i.code, i.reference])).toEqual([
      [ErrorCodes.TOPOLOGY_ENV_UNSET, 2],
      [ErrorCodes.TOPOLOGY_INVALID, 4],
    ]);
  });
});

describe('interpolateEnv limits', () => {
  const limits: EnvLimits = { maxReference: 10, maxTotal: 100 };

  it('refuses a reference whose value is over the per-reference limit, and expands nothing after it', () => {
    const { value, issues } = expand({ a: 'x ${BIG} y', b: '${SMALL}' }, { BIG: 'v'.repeat(11), SMALL: 's' }, limits);
    expect(issues).toEqual([
      expect.objectContaining({ code: ErrorCodes.TOPOLOGY_UNSAFE, path: ['a'], reference: 0, message: '`${BIG}` expands to 11 characters, over the 10-character limit of one reference; refused' }),
    ]);
    expect({ ...(value as object) }).toEqual({ a: 'x ${BIG} y', b: '${SMALL}' });
    expect(expand('${D:-0123456789}', {}, limits).issues).toEqual([]);
    expect(expand('${D:-0123456789X}', {}, limits).issues[0]?.code).toBe(ErrorCodes.TOPOLOGY_UNSAFE);
  });

  it('stops at the reference that takes the document past its total, across values', () => {
    const { issues } = expand({ head: 'h'.repeat(50), refs: ['${V}${V}${V}${V}${V}${V}${V}', 'never ${UNSET}'] }, { V: '0123456789' }, limits);
    // 50 characters, then 10 per reference: the fifth reference (index 4) makes 100, the sixth 110.
    expect(issues).toEqual([
      expect.objectContaining({ code: ErrorCodes.TOPOLOGY_UNSAFE, path: ['refs', 0], reference: 5, message: 'expanding environment variables here takes the document past 100 characters; refused' }),
    ]);
  });

  it('keeps 50,000 references to a 100 KB variable from building gigabytes: one issue, found early', () => {
    const text = '${BIG}'.repeat(50_000);
    const { value, issues } = expand({ description: text }, { BIG: 'x'.repeat(100_000) });
    expect(issues.map((i) => [i.code, i.reference])).toEqual([[ErrorCodes.TOPOLOGY_UNSAFE, 0]]);
    expect((value as { description: string }).description).toBe(text);
    const total = expand({ description: text }, { BIG: 'x'.repeat(60_000) });
    // 4 MiB / 60,000 = 69.9: the 70th reference crosses.
    expect(total.issues.map((i) => [i.code, i.reference])).toEqual([[ErrorCodes.TOPOLOGY_UNSAFE, 69]]);
  });
});
