import { mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { loadTopology, TopologyValidationError } from '../../../src/topology/index.ts';
import { processorsUrl, summary, userSchema, Workspace } from './helpers.ts';

let ws: Workspace;

beforeAll(async () => {
  ws = await Workspace.create();
  await ws.write('schemas/user.avsc', userSchema);
  await ws.write('schemas/broken.avsc', '{"type": "record", "name": "Broken", "fields": [{"name": "a", "type": "nope"}]}');
  await ws.write(
    'schemas/user-v2.avsc',
    JSON.stringify({ type: 'record', name: 'User', fields: [{ name: 'id', type: 'string' }, { name: 'email', type: 'string' }] }),
  );
  await ws.write('data/users.ndjson', '{"id":"a","age":1,"city":"Paris"}\n');
  await ws.write(
    'processors/normalize.ts',
    `import { defineProcessor } from '${processorsUrl}';\nexport default defineProcessor((v: unknown) => v);\nexport const helper = 1;\n`,
  );
});

afterAll(async () => {
  await ws.remove();
});

/** A valid base to break one thing at a time. */
const base = (nodes: string, extra = ''): string => `name: t
schemas:
  User: ./schemas/user.avsc
topics:
  users.raw: { partitions: 2, schema: User, codec: avro }
${extra}nodes:
  ingest:
    source: { file: ./data/users.ndjson }
    to: users.raw
${nodes}`;

describe('a valid topology', () => {
  it('loads as frozen data with absolute paths and defaults filled in', async () => {
    const file = await ws.write(
      'ok.yaml',
      base(`  clean:
    from: users.raw
    process:
      - filter: { field: age, gte: 0 }
      - map: { module: ./processors/normalize.ts }
    to: users.clean
    dead-letter: users.dlq
    instances: 2
`),
    );
    const t = await loadTopology(file, { env: {} });
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.nodes[1]?.process)).toBe(true);
    expect(t.schemas.User?.path).toBe(path.join(ws.dir, 'schemas/user.avsc'));
    expect(t.nodes.map((n) => n.id)).toEqual(['ingest', 'clean']);
    const clean = t.nodes[1]!;
    expect(clean).toMatchObject({ instances: 2, guarantee: 'at-least-once', trigger: { kind: 'always' }, deadLetter: 'users.dlq', line: 10, column: 3 });
    expect(clean.process[1]).toEqual({ kind: 'module', module: path.join(ws.dir, 'processors/normalize.ts'), export: 'default' });
    expect(t.topics['users.raw']).toMatchObject({ partitions: 2, codec: 'avro', compression: 'lz4', declared: true });
    expect(t.topics['users.clean']).toMatchObject({ partitions: 1, codec: 'json', declared: false });
    expect(t.topics['users.dlq']).toMatchObject({ deadLetter: true });
    expect(t.edges.find((e) => e.kind === 'dead-letter')?.id).toBe('edge-node-clean--topic-users.dlq');
  });

  it('loads the same shape written as JSON', async () => {
    const json = JSON.stringify({ $schema: '../schema/topology.schema.json', name: 'j', nodes: { a: { source: { stdin: true }, sink: { stdout: true } } } }, null, 2);
    const r = await ws.validate(json, {}, 'j.json');
    expect(r.problems).toEqual([]);
    expect(r.topology?.nodes[0]?.input).toEqual({ kind: 'stdin', format: 'ndjson' });
  });
});

describe('problems, each with file:line:column', () => {
  it('the issue’s example: a topic read but never written nor declared, with a suggestion', async () => {
    const r = await ws.validate(
      base(`  clean:
    from: users.raw
    to: users.clean
  count-by-city:
    from: users.clen
    window: { tumbling: 1m, key: city, aggregate: count }
    to: city.counts
`),
    );
    expect(r.topology).toBeUndefined();
    expect(r.problems).toEqual([
      {
        code: ErrorCodes.TOPOLOGY_TOPIC_UNKNOWN,
        file: path.join(ws.dir, 'topology.yaml'),
        line: 14,
        column: 11,
        path: 'nodes.count-by-city.from',
        message: 'node `count-by-city` reads topic `users.clen`, which no node writes and `topics` does not declare; did you mean `users.clean`?',
      },
    ]);
  });

  it('unknown keys, with the closest allowed key as a hint', async () => {
    const r = await ws.validate(base(`    instance: 2\n`).replace('    to: users.raw\n', '    to: users.raw\n    sourse: x\n'));
    expect(summary(r.problems)).toEqual([
      `${ErrorCodes.TOPOLOGY_INVALID} 10:5 node \`ingest\`: unknown key \`sourse\` (did you mean \`source\`?)`,
      `${ErrorCodes.TOPOLOGY_INVALID} 11:5 node \`ingest\`: unknown key \`instance\` (did you mean \`instances\`?)`,
    ]);
  });

  it('missing fields and wrong types', async () => {
    const r = await ws.validate(`nodes:
  a:
    source: { file: ./data/users.ndjson }
    instances: "2"
    retries: -1
`);
    expect(summary(r.problems)).toEqual([
      `${ErrorCodes.TOPOLOGY_INVALID} 1:1 missing \`name\` (The topology’s name: prefixes consumer groups and appears in logs and metrics.)`,
      `${ErrorCodes.TOPOLOGY_INVALID} 2:3 node \`a\`: the node writes nowhere; add \`to: TOPIC\`, a \`branch:\` or a \`sink:\``,
      `${ErrorCodes.TOPOLOGY_INVALID} 4:16 node \`a\`: \`instances\` must be a number, not the text "2"`,
      `${ErrorCodes.TOPOLOGY_INVALID} 5:14 node \`a\`: \`retries\` must be at least 0`,
    ]);
  });

  it('unknown processor, with a suggestion', async () => {
    const r = await ws.validate(base(`  clean:\n    from: users.raw\n    process:\n      - filtre: { field: age, gte: 0 }\n    to: x\n`));
    expect(summary(r.problems)).toEqual([`${ErrorCodes.TOPOLOGY_PROCESSOR_UNKNOWN} 13:9 node \`clean\`: unknown processor \`filtre\` (did you mean \`filter\`?)`]);
  });

  it('a cycle in the graph', async () => {
    const r = await ws.validate(base(`  a:\n    from: [users.raw, t2]\n    to: t1\n  b:\n    from: t1\n    to: t2\n`));
    expect(summary(r.problems)).toEqual([
      `${ErrorCodes.TOPOLOGY_CYCLE} 10:3 nodes \`a\` → \`b\` → \`a\` form a cycle (records would circulate forever; write to a different topic to break the loop)`,
    ]);
  });

  it('a node unreachable from any source', async () => {
    const r = await ws.validate(base(`  a:\n    from: t2\n    to: t1\n  b:\n    from: t1\n    to: t2\n`));
    expect(r.problems.map((p) => `${p.code} ${p.path}`)).toEqual([
      `${ErrorCodes.TOPOLOGY_CYCLE} nodes.a`,
      `${ErrorCodes.TOPOLOGY_UNREACHABLE} nodes.a`,
      `${ErrorCodes.TOPOLOGY_UNREACHABLE} nodes.b`,
    ]);
  });

  it('duplicate node ids', async () => {
    const r = await ws.validate(base(`  ingest:\n    from: users.raw\n    sink: { stdout: true }\n`));
    expect(summary(r.problems)).toEqual([`${ErrorCodes.TOPOLOGY_DUPLICATE} 10:3 duplicate node id \`ingest\` (first defined on line 7; rename one of them)`]);
  });

  it('a sink `mode` that is not append or overwrite, or on stdout; a file sink appends by default', async () => {
    const r = await ws.validate(base(`  a:\n    from: users.raw\n    sink: { file: ./out/a.ndjson, mode: truncate }\n  b:\n    from: users.raw\n    sink: { stdout: true, mode: overwrite }\n`));
    expect(summary(r.problems)).toEqual([
      "SLUICE_ERR_TOPOLOGY_INVALID 12:41 node `a`: `sink.mode` must be one of `append`, `overwrite`, not the text \"truncate\"",
      'SLUICE_ERR_TOPOLOGY_INVALID 15:33 node `b`: `mode` applies to a `file` sink',
    ]);
    const ok = await loadTopology(await ws.write('mode.yaml', base(`  a:\n    from: users.raw\n    sink: { file: ./out/a.ndjson }\n`)), { env: {} });
    expect(ok.nodes[1]!.output).toMatchObject({ kind: 'file', mode: 'append' });
  });

  it('schemas that are missing, invalid Avro, or not declared', async () => {
    const r = await ws.validate(`name: t
schemas:
  Gone: ./schemas/gone.avsc
  Broken: ./schemas/broken.avsc
topics:
  a: { schema: Gone, codec: avro }
  b: { schema: Broken, codec: avro }
  c: { schema: Usr }
nodes:
  n: { source: { stdin: true }, branch: [{ when: { field: x, eq: 1 }, to: a }, { when: { field: x, eq: 2 }, to: b }, { to: c }] }
`);
    const codes = r.problems.map((p) => `${p.code} ${p.line}:${p.column}`);
    expect(codes).toEqual(expect.arrayContaining([`${ErrorCodes.SCHEMA_NOT_FOUND} 8:16`, `${ErrorCodes.SCHEMA_NOT_FOUND} 3:9`, `${ErrorCodes.SCHEMA_INVALID} 4:11`]));
    expect(r.problems).toHaveLength(3);
    expect(r.problems.find((p) => p.line === 8)?.message).toBe('schema `Usr` is not declared under `schemas`');
  });

  it('a topic with an Avro codec and no schema, and an unknown codec', async () => {
    const r = await ws.validate(base(`  n:\n    from: users.raw\n    to: out\n`, '  out: { codec: avro|lz5 }\n  other: { codec: avro }\n'));
    expect(r.problems.map((p) => `${p.code} ${p.line}:${p.column}`)).toEqual([`${ErrorCodes.CODEC_UNKNOWN} 6:17`]);
    const r2 = await ws.validate(base(`  n:\n    from: users.raw\n    to: out\n`, '  out: { codec: avro|lz4 }\n'));
    expect(summary(r2.problems)).toEqual([`${ErrorCodes.SCHEMA_NOT_FOUND} 6:3 topic \`out\` uses codec \`avro|lz4\` but has no schema (add \`schema: NAME\`, or set \`codec: json\`)`]);
  });

  it('record-batch compression sluice cannot write (zstd) is refused at its position, not replaced by lz4', async () => {
    const r = await ws.validate(base(`  n:\n    from: users.raw\n    to: out\n`, '  out: { compression: zstd }\n'));
    expect(summary(r.problems)).toEqual([`${ErrorCodes.TOPOLOGY_INVALID} 6:23 topic \`out\`: \`compression\` must be one of \`none\`, \`gzip\`, \`lz4\`, \`snappy\`, not the text "zstd"`]);
    const snappy = await ws.validate(base(`  n:\n    from: users.raw\n    to: out\n`, '  out: { compression: snappy }\n'));
    expect(snappy.topology?.topics.out?.compression).toBe('snappy');
  });

  it('a stage whose input schema cannot read its upstream writer schema', async () => {
    const r = await ws.validate(
      base(`  reader:\n    from: users.raw\n    schema: UserV2\n    sink: { stdout: true }\n  copy:\n    from: users.raw\n    process:\n      - filter: { field: age, gte: 0 }\n    to: users.v2\n`,
        '  users.v2: { schema: UserV2, codec: avro }\n').replace('schemas:\n', 'schemas:\n  UserV2: ./schemas/user-v2.avsc\n'),
    );
    expect(r.problems.map((p) => `${p.code} ${p.path}`)).toEqual([`${ErrorCodes.SCHEMA_INCOMPATIBLE} nodes.reader.schema`, `${ErrorCodes.SCHEMA_INCOMPATIBLE} nodes.copy.to`]);
    expect(r.problems[0]?.message).toMatch(/^node `reader` reads topic `users.raw` \(written with schema `User`\) using schema `UserV2`, which cannot read it: .*email/);
  });

  it('a processor module that is missing, lacks its export, or is outside the topology folder', async () => {
    await mkdir(path.join(ws.dir, 'links'), { recursive: true });
    await symlink(process.execPath, path.join(ws.dir, 'links', 'out.ts')).catch(() => undefined);
    const steps = [
      '{ module: ./processors/missing.ts }',
      '{ module: ./processors/normalize.ts, export: nope }',
      '{ module: ../sluice-outside.ts }',
      '{ module: /etc/passwd }',
      '{ module: ./links/out.ts }',
      '{ module: "node:child_process" }',
      '{ module: "data:text/javascript,export default 1" }',
      '{ module: "http://example.com/x.ts" }',
    ];
    const r = await ws.validate(base(`  n:\n    from: users.raw\n    process:\n${steps.map((s) => `      - map: ${s}\n`).join('')}    to: out\n`), { loadModules: true });
    expect(r.problems.map((p) => `${p.code} ${p.line}`)).toEqual([
      `${ErrorCodes.MODULE_LOAD} 13`,
      `${ErrorCodes.MODULE_LOAD} 14`,
      `${ErrorCodes.TOPOLOGY_UNSAFE} 15`,
      `${ErrorCodes.TOPOLOGY_UNSAFE} 16`,
      `${ErrorCodes.TOPOLOGY_UNSAFE} 17`,
      `${ErrorCodes.TOPOLOGY_UNSAFE} 18`,
      `${ErrorCodes.TOPOLOGY_UNSAFE} 19`,
      `${ErrorCodes.TOPOLOGY_UNSAFE} 20`,
    ]);
    const message = (line: number) => r.problems.find((p) => p.line === line)?.message;
    expect(message(13)).toMatch(/missing\.ts does not exist/);
    expect(message(14)).toMatch(/has no export `nope`; it exports `default`, `helper`/);
    expect(message(15)).toMatch(/outside/);
    expect(message(16)).toMatch(/outside/);
    expect(message(17)).toMatch(/symbolic link/);
    for (const line of [18, 19, 20]) expect(message(line)).toMatch(/URL or a builtin module/);
  });

  it('data paths that escape the project', async () => {
    const r = await ws.validate(`name: t
schemas:
  S: ../../etc/passwd
nodes:
  a: { source: { file: /etc/passwd, format: lines }, sink: { file: ../../tmp/out.ndjson } }
`);
    expect(r.problems.map((p) => `${p.code} ${p.path}`)).toEqual(
      expect.arrayContaining([
        `${ErrorCodes.TOPOLOGY_UNSAFE} schemas.S`,
        `${ErrorCodes.TOPOLOGY_UNSAFE} nodes.a.source.file`,
        `${ErrorCodes.TOPOLOGY_UNSAFE} nodes.a.sink.file`,
      ]),
    );
  });

  it('lists every problem, not only the first', async () => {
    const r = await ws.validate(base(`  a:\n    from: nope1\n    to: x\n  b:\n    from: nope2\n    to: y\n  c:\n    from: c.loop\n    to: c.loop\n`));
    expect(r.problems.map((p) => p.code)).toEqual([
      ErrorCodes.TOPOLOGY_TOPIC_UNKNOWN,
      ErrorCodes.TOPOLOGY_TOPIC_UNKNOWN,
      ErrorCodes.TOPOLOGY_CYCLE,
      ErrorCodes.TOPOLOGY_UNREACHABLE,
    ]);
    await expect(loadTopology(path.join(ws.dir, 'topology.yaml'), { env: {} })).rejects.toSatisfy(
      (e) => e instanceof TopologyValidationError && e.code === ErrorCodes.TOPOLOGY_INVALID && e.problems.length === 4 && /and 3 more/.test(e.message),
    );
  });
});

describe('schedules and listen addresses, checked as the run reads them', () => {
  const cronNode = (cron: string) => `name: t\nnodes:\n  a: { source: { stdin: true }, to: t.a }\n  b:\n    from: t.a\n    trigger: { cron: "${cron}" }\n    sink: { stdout: true }\n`;

  it('a cron pattern croner refuses or that never fires, at the `cron:` value', async () => {
    for (const [cron, why] of [
      ['99 99 99 99 99', 'CronPattern: Invalid value for minute: 99'],
      ['* * * * 8', 'CronPattern: Invalid value for dayOfWeek: 8'],
      ['* * * *', "CronPattern: invalid configuration format ('* * * *'), exactly five, six, or seven space separated parts are required."],
      ['0 0 0 1 1 * 2030', "CronPattern: mode '5-or-6-parts' requires exactly 5 or 6 parts, but pattern '0 0 0 1 1 * 2030' has 7 parts."],
      ['0 0 31 2 *', 'it never fires (no date matches it)'],
    ] as const) {
      const r = await ws.validate(cronNode(cron));
      expect(summary(r.problems)).toEqual([`${ErrorCodes.TOPOLOGY_INVALID} 6:22 node \`b\`: \`${cron}\` is not a cron schedule: ${why}`]);
    }
  });

  it('a cron pattern croner runs is accepted, seconds first when there are 6 fields', async () => {
    for (const cron of ['*/5 * * * *', '*/3 * * * * *', '0 9 * * MON-FRI']) {
      const r = await ws.validate(cronNode(cron));
      expect(r.problems).toEqual([]);
      expect(r.topology?.nodes[1]?.trigger).toEqual({ kind: 'cron', cron });
    }
  });

  const httpNode = (host: string, more = '') => `name: t\nnodes:\n  a:\n    source: { http: { port: 8080, host: "${host}"${more} } }\n    sink: { stdout: true }\n`;

  it('an HTTP source host that is neither a host name nor an IP address, at the `host:` value', async () => {
    for (const host of ['bad host', 'evil.com/path', '-lead.example', 'under_score.example', '999.1.1.1', '10.0.0', '[::1]', 'a'.repeat(64) + '.example']) {
      const r = await ws.validate(httpNode(host));
      expect(summary(r.problems), host).toEqual([`${ErrorCodes.TOPOLOGY_INVALID} 4:41 node \`a\`: a host is a host name (RFC 1123) or an IPv4 or IPv6 address (without brackets)`]);
    }
  });

  it('host names (RFC 1123), IPv4 and IPv6 addresses are accepted (off loopback with a token)', async () => {
    for (const host of ['localhost', 'ingest-1.example.com', '3com.example', '127.0.0.1', '0.0.0.0', '::1', '::', 'fe80::1']) {
      const r = await ws.validate(httpNode(host, ', token: "s3cret"'));
      expect(r.problems, host).toEqual([]);
    }
  });
});

describe('environment variables', () => {
  const withKafka = (brokers: string) => `name: t\nkafka: { brokers: "${brokers}" }\nnodes:\n  a: { source: { stdin: true }, sink: { stdout: true } }\n`;

  it('expand brokers and fall back to defaults', async () => {
    const r = await ws.validate(withKafka('${BROKERS:-127.0.0.1:9092}'));
    expect(r.topology?.kafka?.brokers).toEqual(['127.0.0.1:9092']);
    const r2 = await ws.validate(withKafka('${BROKERS}'), { env: { BROKERS: 'a:1, b:2' } });
    expect(r2.topology?.kafka?.brokers).toEqual(['a:1', 'b:2']);
  });

  it('an unset variable without a default is an error at its position', async () => {
    const r = await ws.validate(withKafka('${BROKERS}'));
    // At the reference itself, inside the quotes.
    expect(summary(r.problems)).toEqual([`${ErrorCodes.TOPOLOGY_ENV_UNSET} 2:20 environment variable \`BROKERS\` is not set (set it, or give a default: \`\${BROKERS:-value}\`)`]);
  });

  it('each of 50,000 unset references in one value is placed at its own column, each found once', async () => {
    const r = await ws.validate(`name: t\nnodes:\n  a: { source: { stdin: true }, sink: { stdout: true } }\ndescription: "${'${NOPE}'.repeat(50_000)}"\n`);
    expect(r.problems).toHaveLength(50_000);
    expect(r.problems.map((p) => p.column).slice(0, 3)).toEqual([15, 22, 29]);
    expect(r.problems[49_999]).toMatchObject({ code: ErrorCodes.TOPOLOGY_ENV_UNSET, line: 4, column: 15 + 49_999 * 7 });
  });

  it('a value containing `${...}` after expansion is not expanded again', async () => {
    const r = await ws.validate(withKafka('${BROKERS}'), { env: { BROKERS: '${SECRET}', SECRET: 'leaked' } });
    expect(r.topology?.kafka?.brokers).toEqual(['${SECRET}']);
  });
});

describe('hostile files are refused', () => {
  it('files over the size limit, unread (a sparse 100 MB file)', async () => {
    const big = path.join(ws.dir, 'big.yaml');
    await writeFile(big, '');
    await truncate(big, 100 * 1024 * 1024);
    const r = await ws.validate('', {}, 'small.yaml');
    expect(r.problems[0]?.message).toBe('the file is empty');
    const { validateTopologyFile } = await import('../../../src/topology/index.ts');
    const rb = await validateTopologyFile(big, { env: {} });
    expect(summary(rb.problems)).toEqual([`${ErrorCodes.FILE_REFUSED} 1:1 the topology file ${big} is 104857600 bytes, over the 1048576-byte limit; refused unread`]);
  });

  it('prototype keys, merges, alias bombs and deep nesting, with positions', async () => {
    const r = await ws.validate(`name: t\n__proto__: { x: 1 }\nnodes:\n  a:\n    <<: { source: { stdin: true } }\n    sink: { stdout: true }\n`);
    expect(summary(r.problems)).toEqual([
      `${ErrorCodes.TOPOLOGY_UNSAFE} 2:1 the key \`__proto__\` is refused`,
      `${ErrorCodes.TOPOLOGY_UNSAFE} 5:5 merge keys (\`<<\`) are not supported (write the merged keys out; a topology should read the same without YAML merge rules)`,
    ]);
    const deep = await ws.validate(`name: t\nnodes: ${'['.repeat(5_000)}${']'.repeat(5_000)}\n`);
    expect(deep.problems.map((p) => p.code)).toEqual([ErrorCodes.TOPOLOGY_UNSAFE]);
  });
});
