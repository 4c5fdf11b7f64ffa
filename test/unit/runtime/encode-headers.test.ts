/**
 * The encode step gives every output the chain's codec headers. A record that
 * carries only its input's codec headers gets the encoder's one shared
 * object (no merge per record); any other header is kept, and the record's
 * original headers object (its origin's raw headers) is never changed.
 */
import { describe, expect, it } from 'vitest';
import { CODEC_HEADERS } from '../../../src/codecs/index.ts';
import { TopologyResources } from '../../../src/runtime/resources.ts';
import { topicEncodeStep } from '../../../src/runtime/stage-steps.ts';
import type { Envelope } from '../../../src/runtime/envelope.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { writeTopology } from '../../integration/runtime/examples.ts';

async function encodeStep() {
  const file = writeTopology({
    'topology.yaml': `
name: headers
topics:
  a: { codec: json }
  b: { codec: json|base64 }
nodes:
  relay: { from: a, to: b }
`,
  });
  const topology = await loadTopology(file);
  const resources = await TopologyResources.load(topology);
  return topicEncodeStep(topology.nodes.find((n) => n.id === 'relay')!, resources).fn;
}

function envelope(headers: Record<string, Buffer | string>): Envelope {
  return { record: { key: null, value: { n: 1 }, headers, timestamp: 0, topic: 'a' }, token: undefined, origin: { rawKey: null, rawValue: null, rawHeaders: headers, timestamp: 0 } };
}

describe('the encode step', () => {
  it('replaces the input codec headers with the output chain, keeping other headers and the original object', async () => {
    const encode = await encodeStep();
    const input = { [CODEC_HEADERS.chain]: Buffer.from('json') };
    const [a, b] = [envelope({ ...input }), envelope({ ...input })];
    encode(a);
    encode(b);
    expect(a.record.headers[CODEC_HEADERS.chain]!.toString()).toBe('json|base64');
    expect(b.record.headers).toBe(a.record.headers);
    expect(a.origin.rawHeaders[CODEC_HEADERS.chain]!.toString()).toBe('json');

    const traced = envelope({ ...input, trace: 'abc' });
    encode(traced);
    expect(traced.record.headers.trace).toBe('abc');
    expect(traced.record.headers[CODEC_HEADERS.chain]!.toString()).toBe('json|base64');
    expect(traced.origin.rawHeaders).toEqual({ ...input, trace: 'abc' });
    expect(a.record.headers.trace).toBeUndefined();
  });
});
