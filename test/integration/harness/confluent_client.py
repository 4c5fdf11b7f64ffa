"""
A Confluent-format Avro producer and consumer that is not sluice: confluent-kafka's
(librdkafka) Producer/Consumer with its schema_registry AvroSerializer/AvroDeserializer
and SchemaRegistryClient. scripts/pyinterop.sh installs it; test/integration/runtime/
schema-registry-interop.test.ts drives it.

  produce BROKERS REGISTRY TOPIC SCHEMA_FILE   values as JSON lines on stdin; prints the schema ids
  consume BROKERS REGISTRY TOPIC COUNT [READER_SCHEMA_FILE]
                                               prints {"id": writer id, "value": ...} per record
"""
import json
import sys
import uuid
from datetime import datetime, timedelta, timezone

import confluent_kafka
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext


def epoch_millis(o):
    """fastavro reads timestamp-millis as a datetime; the tests compare epoch milliseconds."""
    if isinstance(o, datetime):
        return (o - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)
    raise TypeError(f"{type(o).__name__} is not JSON")


def produce(brokers, registry, topic, schema_file):
    with open(schema_file) as f:
        schema = f.read()
    serializer = AvroSerializer(SchemaRegistryClient({"url": registry}), schema)
    producer = Producer({"bootstrap.servers": brokers, "enable.idempotence": True})
    failures = []
    ids = set()
    ctx = SerializationContext(topic, MessageField.VALUE)
    for line in sys.stdin:
        if line.strip():
            value = serializer(json.loads(line), ctx)
            ids.add(int.from_bytes(value[1:5], "big"))
            producer.produce(topic, value=value, on_delivery=lambda err, _msg: err and failures.append(str(err)))
    if producer.flush(30) != 0 or failures:
        sys.exit(f"produce failed: {failures or 'messages left unsent'}")
    print(json.dumps({"ids": sorted(ids), "client": f"confluent-kafka {confluent_kafka.version()[0]}, librdkafka {confluent_kafka.libversion()[0]}"}))


def consume(brokers, registry, topic, count, reader_file=None):
    reader = open(reader_file).read() if reader_file else None
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry}), reader)
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"pyinterop-{uuid.uuid4()}", "auto.offset.reset": "earliest", "enable.auto.commit": False})
    # Assigned, not subscribed: no group join to wait for.
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    ctx = SerializationContext(topic, MessageField.VALUE)
    seen = 0
    idle = 0
    try:
        while seen < count:
            msg = consumer.poll(1.0)
            if msg is None:
                idle += 1
                if idle > 30:
                    sys.exit(f"consume: {seen} of {count} records after 30 s idle")
                continue
            if msg.error():
                sys.exit(f"consume: {msg.error()}")
            idle = 0
            raw = msg.value()
            print(json.dumps({"id": int.from_bytes(raw[1:5], "big"), "value": deserializer(raw, ctx)}, default=epoch_millis), flush=True)
            seen += 1
    finally:
        consumer.close()


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "produce":
        produce(*args)
    elif cmd == "consume":
        consume(args[0], args[1], args[2], int(args[3]), *args[4:])
    else:
        sys.exit(f"unknown command {cmd}")
