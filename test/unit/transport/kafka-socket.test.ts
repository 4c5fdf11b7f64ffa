import { describe, expect, it } from 'vitest';
import { MAX_RESPONSE_BYTES, ResponseFraming } from '../../../src/transport/kafka/socket.ts';

function frame(size: number, body = Buffer.alloc(size)): Buffer {
  const header = Buffer.alloc(4);
  header.writeInt32BE(size);
  return Buffer.concat([header, body]);
}

describe('Kafka response framing check', () => {
  it('accepts well-framed responses however the chunks cut them, sizes split across chunks included', () => {
    const stream = Buffer.concat([frame(10), frame(0), frame(70_000), frame(3)]);
    for (const cut of [1, 2, 3, 5, 4096]) {
      const framing = new ResponseFraming();
      let refused: number | undefined;
      for (let i = 0; i < stream.length; i += cut) refused ??= framing.check(stream.subarray(i, i + cut));
      expect(refused, `cut every ${cut} bytes`).toBeUndefined();
    }
  });

  it('reports the first size no broker sends: negative, or beyond any response a client asks for', () => {
    expect(new ResponseFraming().check(Buffer.alloc(8, 0xff))).toBe(-1);
    const afterGood = new ResponseFraming();
    expect(afterGood.check(Buffer.concat([frame(2), Buffer.from([0x15, 0x03, 0x03, 0x00])]))).toBe(0x15030300);
    expect(new ResponseFraming().check(frame(MAX_RESPONSE_BYTES, Buffer.alloc(0)))).toBeUndefined();
    expect(new ResponseFraming().check(frame(MAX_RESPONSE_BYTES + 1, Buffer.alloc(0)))).toBe(MAX_RESPONSE_BYTES + 1);
  });
});
