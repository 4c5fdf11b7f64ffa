/**
 * A seed list whose first broker is not Kafka (a stale address left in the
 * list): the @platformatic/kafka client tries seeds in order, and once the
 * first has answered with what no broker sends, it goes on to the next
 * instead of failing or retrying the first.
 */
import { createServer, type AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { createPlatformaticClusterAdmin } from '../../../src/transport/platformatic/admin.ts';
import { brokers, uniqueName, withAdmin } from '../harness/kafka.ts';

it('a platformatic client reaches the cluster past a seed that does not speak Kafka', async () => {
  const server = createServer((socket) => {
    socket.on('data', () => socket.write(Buffer.alloc(64, 0xff)));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const garbage = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const topic = uniqueName('garbage-seeds');
  await withAdmin((admin) => admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true }));
  const admin = createPlatformaticClusterAdmin({ brokers: [garbage, ...brokers()], clientId: 'garbage-seeds', logger: silentLogger });
  try {
    const offsets = await admin.topicOffsets([topic]);
    expect(offsets.get(topic)?.map((r) => r.partition)).toEqual([0, 1]);
  } finally {
    await admin.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
