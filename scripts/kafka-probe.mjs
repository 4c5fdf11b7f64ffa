// Small network probes for scripts/kafka.sh, kept in Node so the script needs
// neither netcat nor a second JVM start per poll.
//   node scripts/kafka-probe.mjs free-port [preferred]   prints a free loopback port
//   node scripts/kafka-probe.mjs ready HOST:PORT SECONDS  exits 0 once the broker answers metadata
import net from 'node:net';

const [cmd, arg1, arg2] = process.argv.slice(2);

function listenable(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const bound = server.address().port;
      server.close(() => resolve(bound));
    });
  });
}

async function freePort(preferred) {
  if (preferred && (await listenable(preferred))) return preferred;
  return listenable(0);
}

async function ready(broker, seconds) {
  const { Kafka, logLevel } = await import('kafkajs');
  const deadline = Date.now() + seconds * 1000;
  let last = 'no attempt';
  while (Date.now() < deadline) {
    const admin = new Kafka({
      clientId: 'sluice-kafka-probe',
      brokers: [broker],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 2000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      await admin.disconnect();
      if (cluster.brokers.length > 0 && cluster.controller !== null) return true;
      last = 'metadata has no controller yet';
    } catch (err) {
      last = err.message;
      await admin.disconnect().catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  console.error(`broker ${broker} did not answer metadata within ${seconds}s: ${last}`);
  return false;
}

if (cmd === 'free-port') {
  const port = await freePort(arg1 ? Number(arg1) : undefined);
  if (!port) process.exit(1);
  console.log(port);
} else if (cmd === 'ready') {
  process.exit((await ready(arg1, Number(arg2 ?? 60))) ? 0 : 1);
} else {
  console.error('usage: kafka-probe.mjs free-port [preferred] | ready HOST:PORT SECONDS');
  process.exit(2);
}
