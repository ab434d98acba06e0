"""kafka-python 2.0 against a Tributary Kafka listener. kafka-python does not negotiate versions:
it sends ApiVersions v0 and Metadata v0 pipelined and infers a broker release from the answer.
Produces COUNT keyed messages, reads them back in a consumer group, commits. Prints one JSON object.
Usage: kafka_python_roundtrip.py BOOTSTRAP TOPIC COUNT"""
import json
import sys

from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import TopicPartition

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
futures = [producer.send(topic, key=("k%d" % i).encode(), value=("v%d" % i).encode()) for i in range(count)]
producer.flush(30)
offsets = [f.get(timeout=30).offset for f in futures]
inferred = producer.config["api_version"]
producer.close()

consumer = KafkaConsumer(
    topic,
    bootstrap_servers=bootstrap,
    group_id="kafka-python",
    auto_offset_reset="earliest",
    enable_auto_commit=False,
    consumer_timeout_ms=15000,
)
got = []
for msg in consumer:
    got.append([msg.partition, msg.offset, msg.key.decode(), msg.value.decode()])
    if len(got) >= count:
        break
consumer.commit()
committed = consumer.committed(TopicPartition(topic, 0))
consumer.close()
print(json.dumps({"inferred": list(inferred), "offsets": offsets, "got": got, "committed": committed}))
