"""confluent-kafka consuming a partition from the beginning in a new group (auto.offset.reset
earliest, so librdkafka asks ListOffsets EARLIEST): prints the offsets and values it reads as JSON.
Usage: confluent_from_beginning.py BOOTSTRAP TOPIC COUNT"""
import json
import sys
import time

from confluent_kafka import Consumer

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": "from-beginning",
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
})
consumer.subscribe([topic])
got = []
deadline = time.time() + 30
while len(got) < count and time.time() < deadline:
    msg = consumer.poll(0.5)
    if msg is not None and not msg.error():
        got.append([msg.offset(), msg.value().decode()])
consumer.close()
print(json.dumps(got))
