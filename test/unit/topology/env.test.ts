import { describe, expect, it } from 'vitest';
import { interpolateEnv, type EnvIssue } from '../../../src/topology/index.ts';

function expand(data: unknown, env: Record<string, string>) {
  const issues: EnvIssue[] = [];
  return { value: interpolateEnv(data, env, issues), issues };
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
      expect.objectContaining({ unset: true, path: ['kafka', 'sasl', 'password'], message: 'environment variable `KAFKA_PASSWORD` is not set' }),
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
    expect(expand('${1BAD}', {}).issues[0]).toMatchObject({ unset: false, message: '`${1BAD}` is not a variable reference' });
    expect(expand('x ${OPEN', {}).issues[0]).toMatchObject({ unset: false, message: 'unclosed `${`' });
  });
});
