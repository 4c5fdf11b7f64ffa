import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { parseYaml, type ParsedYaml } from '../../../src/topology/index.ts';

function where(r: ParsedYaml): string[] {
  return r.issues.map((i) => {
    const { line, col } = r.lineCounter.linePos(i.offset);
    return `${i.code} ${line}:${col} ${i.message}`;
  });
}

const billionLaughs = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
`;

describe('parseYaml', () => {
  it('returns plain data whose objects have no prototype', () => {
    const r = parseYaml('a: {b: [1, "x", true, null]}\n');
    expect(r.issues).toEqual([]);
    expect(JSON.parse(JSON.stringify(r.data))).toEqual({ a: { b: [1, 'x', true, null] } });
    expect(Object.getPrototypeOf(r.data)).toBeNull();
    expect(Object.getPrototypeOf((r.data as { a: object }).a)).toBeNull();
  });

  it('parses JSON with positions, since JSON is YAML', () => {
    const r = parseYaml('{\n  "name": "x",\n  "nodes": {"a": 1, "a": 2}\n}');
    expect(where(r)).toEqual([`${ErrorCodes.TOPOLOGY_DUPLICATE} 3:21 duplicate node id \`a\``]);
  });

  it('refuses a billion-laughs alias bomb without expanding it', () => {
    const r = parseYaml(billionLaughs);
    expect(r.data).toBeUndefined();
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ code: ErrorCodes.TOPOLOGY_UNSAFE, message: expect.stringMatching(/aliases; refused|more than .* values/) });
  });

  it('refuses expansion past the value limit even with few aliases', () => {
    const r = parseYaml(billionLaughs, { maxDepth: 64, maxValues: 1_000, maxAliases: 1_000_000 });
    expect(r.issues[0]?.message).toMatch(/more than 1000 values; refused \(an alias bomb\?\)/);
  });

  it('refuses 5,000-deep nesting (flow, block sequences, block maps) without overflowing the stack', () => {
    const flow = '['.repeat(5_000) + ']'.repeat(5_000);
    const seq = '- '.repeat(5_000) + 'x\n';
    let block = '';
    for (let i = 0; i < 200; i++) block += ' '.repeat(i) + 'a:\n';
    for (const text of [flow, seq, block]) {
      const r = parseYaml(text);
      expect(r.data).toBeUndefined();
      expect(r.issues).toEqual([expect.objectContaining({ code: ErrorCodes.TOPOLOGY_UNSAFE, message: 'nesting deeper than 64 levels; refused' })]);
    }
  });

  it('refuses __proto__, constructor and prototype keys, and `<<` merges', () => {
    const r = parseYaml('__proto__: {polluted: 1}\nconstructor: 1\nsafe:\n  prototype: 2\nbase: &b {x: 1}\nuse:\n  <<: *b\n');
    expect(where(r)).toEqual([
      `${ErrorCodes.TOPOLOGY_UNSAFE} 1:1 the key \`__proto__\` is refused`,
      `${ErrorCodes.TOPOLOGY_UNSAFE} 2:1 the key \`constructor\` is refused`,
      `${ErrorCodes.TOPOLOGY_UNSAFE} 4:3 the key \`prototype\` is refused`,
      `${ErrorCodes.TOPOLOGY_UNSAFE} 7:3 merge keys (\`<<\`) are not supported`,
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports duplicate node ids with the line of the first', () => {
    const r = parseYaml('nodes:\n  a: 1\n  b: 2\n  a: 3\n');
    expect(where(r)).toEqual([`${ErrorCodes.TOPOLOGY_DUPLICATE} 4:3 duplicate node id \`a\``]);
    expect(r.issues[0]?.hint).toBe('first defined on line 2; rename one of them');
  });

  it('reports syntax errors, extra documents and unknown tags with their position', () => {
    expect(where(parseYaml('a: [1, 2\nb: 3'))[0]).toMatch(/^SLUICE_ERR_TOPOLOGY_PARSE 2:1 /);
    expect(where(parseYaml('a: 1\n---\nb: 2\n'))).toEqual([`${ErrorCodes.TOPOLOGY_PARSE} 3:1 a topology file holds one YAML document; found more after \`---\``]);
    expect(where(parseYaml('a: !!js/function "x"\n'))).toEqual([`${ErrorCodes.TOPOLOGY_PARSE} 1:4 Unresolved tag: tag:yaml.org,2002:js/function`]);
  });
});
