/**
 * @platformatic/kafka clients against listeners that are not Kafka brokers:
 * each kind of answer the client cannot take for a Kafka response fails the
 * call with SLUICE_ERR_BROKER_PROTOCOL naming the address, within a second
 * or two, where the client used to retry for minutes.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, SluiceError, silentLogger } from '../../../src/core/index.ts';
import { createPlatformaticClusterAdmin } from '../../../src/transport/platformatic/admin.ts';

const servers: Server[] = [];

/** A listener that answers every chunk it receives with `answer`. */
async function listener(answer: Buffer): Promise<string> {
  const server = createServer((socket) => {
    socket.on('data', () => socket.write(answer));
    socket.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function failure(brokers: string[]): Promise<{ err: SluiceError; ms: number }> {
  const admin = createPlatformaticClusterAdmin({ brokers, clientId: 'garbage-guard', logger: silentLogger });
  const started = Date.now();
  try {
    const err = await admin.topicOffsets(['garbage-guard-topic']).then(
      () => new Error('the call succeeded'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SluiceError);
    return { err: err as SluiceError, ms: Date.now() - started };
  } finally {
    await admin.close();
  }
}

/** A frame of `size` bytes whose first four (the correlation id) are `correlationId`. */
function frame(size: number, correlationId: number): Buffer {
  const b = Buffer.alloc(4 + size);
  b.writeInt32BE(size, 0);
  b.writeInt32BE(correlationId, 4);
  return b;
}

describe('platformatic clients against a listener that is not Kafka', () => {
  it.each([
    ['0xff bytes (a -1-byte size)', Buffer.alloc(64, 0xff), 'a -1-byte response size'],
    ['an HTTP error page (a 1.2 GB size)', Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'), `a ${0x48545450}-byte response size`],
    ['a plausible frame answering no request', frame(8, 0x7fff_ffff), 'a response to a request it was never sent'],
  ])('fail the call at once with SLUICE_ERR_BROKER_PROTOCOL on %s', async (_name, answer, reason) => {
    const address = await listener(answer);
    const { err, ms } = await failure([address]);
    expect(err.code).toBe(ErrorCodes.BROKER_PROTOCOL);
    expect(err.retriable).toBe(false);
    expect(err.message).toBe(
      `${address} does not speak the Kafka protocol: it answered with ${reason}, which no broker sends (is it a Kafka listener, with TLS on or off as that listener expects?)`,
    );
    // One retry delay (250 ms) after the first answer; the client's own retries took minutes.
    expect(ms).toBeLessThan(2_000);
  });

  it('fail with the first seed named only once every seed has answered so', async () => {
    const first = await listener(Buffer.alloc(64, 0xff));
    const second = await listener(frame(8, 0x7fff_ffff));
    const { err } = await failure([first, second]);
    expect(err.code).toBe(ErrorCodes.BROKER_PROTOCOL);
    expect(err.message).toContain(`${first} does not speak the Kafka protocol`);
  });
});
