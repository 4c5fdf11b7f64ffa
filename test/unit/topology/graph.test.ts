import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import {
  checkCycles,
  checkDuplicateIds,
  checkReachable,
  checkTopicCollisions,
  checkUnknownTopics,
  logicalGraph,
  type GraphNode,
  type GraphTopic,
} from '../../../src/topology/index.ts';

/** A node reading `from` (or a file source when empty) and writing `to` (or stdout when empty). */
function node(id: string, from: string[], to: string[], deadLetter?: string): GraphNode {
  return {
    id,
    input: from.length > 0 ? { kind: 'topics', topics: from } : { kind: 'file', path: '/in.ndjson', format: 'ndjson' },
    output: to.length === 1 ? { kind: 'topic', topic: to[0]! } : to.length > 1 ? { kind: 'branch', routes: to.map((t) => ({ to: t })) } : { kind: 'stdout', format: 'ndjson' },
    reads: from,
    writes: to,
    ...(deadLetter !== undefined ? { deadLetter } : {}),
  };
}

const declared = (...names: string[]): GraphTopic[] => names.map((name) => ({ name, declared: true }));

describe('checkUnknownTopics', () => {
  it('names the node, the topic, and the closest known topic', () => {
    const nodes = [node('ingest', [], ['users.raw']), node('clean', ['users.raw'], ['users.clean']), node('count-by-city', ['users.clen'], ['city.counts'])];
    expect(checkUnknownTopics(nodes, [])).toEqual([
      {
        code: ErrorCodes.TOPOLOGY_TOPIC_UNKNOWN,
        path: ['nodes', 'count-by-city', 'from'],
        message: 'node `count-by-city` reads topic `users.clen`, which no node writes and `topics` does not declare; did you mean `users.clean`?',
      },
    ]);
  });

  it('accepts topics that are declared (external input) or written as a dead-letter topic', () => {
    const nodes = [node('a', ['external'], ['x'], 'a.dlq'), node('replay', ['a.dlq'], ['x'])];
    expect(checkUnknownTopics(nodes, declared('external'))).toEqual([]);
    expect(checkUnknownTopics(nodes, [])).toHaveLength(1);
  });

  it('points at the right element of a `from` list', () => {
    expect(checkUnknownTopics([node('a', ['t1', 'missing'], ['x']), node('w', [], ['t1'])], [])[0]?.path).toEqual(['nodes', 'a', 'from', 1]);
  });
});

describe('checkCycles', () => {
  it('finds a node that reads its own output', () => {
    expect(checkCycles([node('loop', ['t'], ['t'])])).toEqual([
      expect.objectContaining({ code: ErrorCodes.TOPOLOGY_CYCLE, path: ['nodes', 'loop'], message: 'node `loop` reads a topic it writes itself, a cycle' }),
    ]);
  });

  it('names the nodes of a longer cycle in order, once per cycle', () => {
    const nodes = [node('src', [], ['a']), node('x', ['a', 'c'], ['b']), node('y', ['b'], ['c']), node('sink', ['c'], [])];
    expect(checkCycles(nodes).map((p) => p.message)).toEqual(['nodes `x` → `y` → `x` form a cycle']);
  });

  it('counts dead-letter topics: failing records fed back to the input would loop', () => {
    expect(checkCycles([node('a', ['in'], ['out'], 'in')])).toHaveLength(1);
  });

  it('accepts a DAG with fan-out and fan-in', () => {
    const nodes = [node('s', [], ['a']), node('l', ['a'], ['b']), node('r', ['a'], ['c']), node('j', ['b', 'c'], [])];
    expect(checkCycles(nodes)).toEqual([]);
  });

  it('handles a long chain without recursion limits', () => {
    const nodes = Array.from({ length: 20_000 }, (_, i) => node(`n${i}`, i === 0 ? [] : [`t${i - 1}`], [`t${i}`]));
    expect(checkCycles(nodes)).toEqual([]);
  });
});

describe('checkReachable', () => {
  it('flags a cycle with no way in, but not the nodes fed from a source', () => {
    const nodes = [node('s', [], ['a']), node('ok', ['a'], []), node('p', ['q'], ['r']), node('q', ['r'], ['q'])];
    expect(checkReachable(nodes, []).map((p) => [p.code, p.path])).toEqual([
      [ErrorCodes.TOPOLOGY_UNREACHABLE, ['nodes', 'p']],
      [ErrorCodes.TOPOLOGY_UNREACHABLE, ['nodes', 'q']],
    ]);
  });

  it('treats a declared topic that no node writes as an external source', () => {
    expect(checkReachable([node('consume', ['orders'], [])], declared('orders'))).toEqual([]);
  });

  it('leaves a node that reads an unknown topic to checkUnknownTopics', () => {
    expect(checkReachable([node('a', ['nowhere'], [])], [])).toEqual([]);
  });
});

describe('checkDuplicateIds and checkTopicCollisions', () => {
  it('reports the second of two nodes with one id', () => {
    expect(checkDuplicateIds([{ id: 'a' }, { id: 'b' }, { id: 'a' }])).toEqual([
      expect.objectContaining({ code: ErrorCodes.TOPOLOGY_DUPLICATE, message: 'duplicate node id `a`' }),
    ]);
  });

  it('warns about topics that collide in Kafka metric names', () => {
    expect(checkTopicCollisions(declared('a.b', 'a_b', 'c'))).toEqual([expect.objectContaining({ warning: true, path: ['topics', 'a_b'] })]);
  });
});

describe('logicalGraph', () => {
  it('gives stable ids to stages, topics, sources, sinks and edges, and marks dead-letter edges', () => {
    const nodes = [node('ingest', [], ['users.raw']), node('clean', ['users.raw'], ['users.clean'], 'users.dlq'), node('store', ['users.clean'], [])];
    const topics = [...declared('users.raw', 'users.clean'), { name: 'users.dlq', declared: false }];
    const { vertices, edges } = logicalGraph(nodes, topics);
    expect(vertices.map((v) => v.id)).toEqual([
      'source-ingest', 'node-ingest', 'node-clean', 'node-store', 'sink-store', 'topic-users.raw', 'topic-users.clean', 'topic-users.dlq',
    ]);
    expect(edges.map((e) => `${e.id} ${e.kind}`)).toEqual([
      'edge-source-ingest--node-ingest read',
      'edge-node-store--sink-store write',
      'edge-node-ingest--topic-users.raw write',
      'edge-topic-users.raw--node-clean read',
      'edge-node-clean--topic-users.clean write',
      'edge-node-clean--topic-users.dlq dead-letter',
      'edge-topic-users.clean--node-store read',
    ]);
  });
});
