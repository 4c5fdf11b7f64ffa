/**
 * @platformatic/kafka against a listener that is not a Kafka broker. It trusts
 * each response's size as kafkajs does: a size no broker sends (0xffffffff:
 * -1) or a response to a request it never sent makes it close the
 * connection, and a huge size leaves it waiting for bytes that never come;
 * either way it calls the failure a lost connection, which it retries with
 * every call's retries, nested (a metadata call retries a version lookup that
 * retries its own): sluice hung for minutes. Here each connection of a client
 * to a seed broker has its socket checked as kafkajs' are (../kafka/socket.ts),
 * and once an address is known not to be Kafka, the client's next connection
 * to it fails at once with that reason, so the client moves on to the next
 * seed; when every seed is known, that failure says not to retry, and every
 * call fails with SLUICE_ERR_BROKER_PROTOCOL (errors.ts) within one retry delay.
 */
import { NetworkError, parseBroker, type Base, type Connection } from '@platformatic/kafka';
import { BrokerGuard, NotKafkaError } from '../kafka/socket.ts';

type ConnectCallback = (error: Error | null) => void;

/** The client closes a connection with this code when a response answers no request of it. */
const UNEXPECTED_CORRELATION_ID = 'PLT_KFK_UNEXPECTED_CORRELATION_ID';

/** What the pool's connection to `address` does: refuse at once if `address` is known, else connect and check the socket. */
function guardConnection(connection: Connection, address: string, guard: BrokerGuard): void {
  const connect = connection.connect.bind(connection) as (host: string, port: number, callback: ConnectCallback) => void;
  const guarded = (host: string, port: number, callback: ConnectCallback): void => {
    const refused = guard.refusal(address);
    if (refused !== undefined) {
      callback(new NetworkError(`Connection to ${address} failed.`, { cause: refused, canRetry: guard.everySeedRefused === undefined }));
      return;
    }
    connect(host, port, callback);
    const socket = guard.guard(connection.socket, address);
    socket.on('error', (err: { code?: unknown }) => {
      if (err.code === UNEXPECTED_CORRELATION_ID) guard.refuse(address, new NotKafkaError(address, 'a response to a request it was never sent'));
    });
  };
  connection.connect = guarded as Connection['connect'];
}

/** Guards `client`'s connections to its seed brokers; call it before the client's first request. */
export function guardSeedBrokers(client: Base, brokers: readonly string[]): void {
  const seeds = brokers.map((b) => parseBroker(b.trim())).map(({ host, port }) => `${host}:${port}`);
  const guard = new BrokerGuard(seeds);
  const known = new Set(seeds);
  // The pool announces each new connection before it connects it: the one moment its connect can be wrapped.
  client.connections.on('connecting', ({ broker, connection }) => {
    const address = `${broker.host}:${broker.port}`;
    if (known.has(address)) guardConnection(connection, address, guard);
  });
}
