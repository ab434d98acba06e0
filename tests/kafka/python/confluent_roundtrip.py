"""confluent-kafka (librdkafka) against a Tributary Kafka listener: an idempotent, compressed
producer, then a consumer in a group that reads everything back and commits. Prints one JSON
object on stdout. Usage: confluent_roundtrip.py BOOTSTRAP TOPIC COMPRESSION COUNT"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, topic, compression, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
errors = []
delivered = []


def on_delivery(err, msg):
    if err is not None:
        errors.append("delivery: %s" % err)
    else:
        delivered.append([msg.partition(), msg.offset()])


producer = Producer({
    "bootstrap.servers": bootstrap,
    "enable.idempotence": True,
    "acks": "all",
    "compression.type": compression,
    "linger.ms": 20,
})
for i in range(count):
    producer.produce(topic, key="key-%d" % i, value="%s-%d" % (compression, i), on_delivery=on_delivery)
    producer.poll(0)
left = producer.flush(30)
if left:
    errors.append("%d messages not delivered" % left)

consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": "py-" + compression,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
})
consumer.subscribe([topic])
got = []
deadline = time.time() + 45
while len(got) < count and time.time() < deadline:
    msg = consumer.poll(0.5)
    if msg is None:
        continue
    if msg.error():
        errors.append("consume: %s" % msg.error())
        continue
    got.append([msg.partition(), msg.offset(), msg.key().decode(), msg.value().decode()])
consumer.commit(asynchronous=False)
assignment = consumer.assignment()
committed = consumer.committed([TopicPartition(topic, tp.partition) for tp in assignment], timeout=10)
consumer.close()
print(json.dumps({
    "errors": errors,
    "delivered": len(delivered),
    "got": got,
    "committed": sorted([[tp.partition, tp.offset] for tp in committed]),
}))
