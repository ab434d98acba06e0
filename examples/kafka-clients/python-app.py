"""A Python producer and consumer group (confluent-kafka, i.e. librdkafka) against KAFKA_BROKERS
(e.g. a `tributary serve`). With TOPIC and EXPECT it only consumes: it reads EXPECT messages of
TOPIC that someone else wrote (the embedded Node service of this folder)."""
import os
import time

from confluent_kafka import Consumer, Producer

brokers = os.environ.get("KAFKA_BROKERS", "127.0.0.1:9092")
topic = os.environ.get("TOPIC", "python-events")
expect = int(os.environ.get("EXPECT", "0"))

if expect == 0:
    producer = Producer({"bootstrap.servers": brokers, "enable.idempotence": True, "compression.type": "zstd"})
    for i in range(5):
        producer.produce(topic, key="sensor-%d" % (i % 2), value="reading %d" % i)
    producer.flush(10)
    expect = 5
    print("produced 5 readings")

consumer = Consumer({"bootstrap.servers": brokers, "group.id": "python-readers", "auto.offset.reset": "earliest"})
consumer.subscribe([topic])
received = 0
deadline = time.time() + 30
while received < expect and time.time() < deadline:
    msg = consumer.poll(0.5)
    if msg is None or msg.error():
        continue
    received += 1
    print("received key=%s value=%s" % (msg.key().decode() if msg.key() else None, msg.value().decode()))
consumer.close()
print("consumed %d" % received)
