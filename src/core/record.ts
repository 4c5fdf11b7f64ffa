/**
 * A record as it moves between stages. It mirrors a Kafka message so key, value,
 * headers, partition and offset stay meaningful to every other Kafka tool.
 * `value` is bytes on the wire and a decoded object inside a stage.
 */
export type HeaderValue = Buffer | string;
export type Headers = Record<string, HeaderValue>;

export interface SluiceRecord<V = unknown> {
  key: Buffer | string | null;
  value: V;
  headers: Headers;
  /** Milliseconds since the epoch: the record's event time unless a stage says otherwise. */
  timestamp: number;
  /** Set on records read from a topic. */
  topic?: string;
  partition?: number;
  /** Kafka offsets are 64-bit; kept as a decimal string as kafkajs does. */
  offset?: string;
}

export function createRecord<V>(value: V, init: Partial<Omit<SluiceRecord<V>, 'value'>> = {}): SluiceRecord<V> {
  return {
    key: init.key ?? null,
    value,
    headers: init.headers ?? {},
    timestamp: init.timestamp ?? Date.now(),
    ...(init.topic !== undefined ? { topic: init.topic } : {}),
    ...(init.partition !== undefined ? { partition: init.partition } : {}),
    ...(init.offset !== undefined ? { offset: init.offset } : {}),
  };
}

export function headerString(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}
