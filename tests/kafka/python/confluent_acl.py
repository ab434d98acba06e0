"""confluent-kafka (librdkafka) as a SASL user the ACL allows only on some topics: produces one
message to each topic named, then consumes each from the start (without a group). Prints one JSON
object on stdout: {produced: {topic: "ok" | error name}, consumed: {topic: count | error name}}.
Usage: confluent_acl.py BOOTSTRAP USER PASSWORD TOPIC..."""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

bootstrap, user, password, topics = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
auth = {
    "bootstrap.servers": bootstrap,
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanisms": "SCRAM-SHA-256",
    "sasl.username": user,
    "sasl.password": password,
}
produced = {}


def on_delivery(topic):
    def report(err, msg):
        produced[topic] = "ok" if err is None else err.name()
    return report


producer = Producer(dict(auth, **{"message.timeout.ms": 10000, "retries": 0}))
for topic in topics:
    producer.produce(topic, value=b"from-" + user.encode(), on_delivery=on_delivery(topic))
producer.flush(20)

consumed = {}
for topic in topics:
    consumer = Consumer(dict(auth, **{"group.id": "app.py-" + user, "enable.auto.commit": False}))
    consumer.assign([TopicPartition(topic, 0, 0)])
    count = 0
    deadline = time.time() + 8
    while time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            if count > 0:
                break
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                break
            consumed[topic] = msg.error().name()
            break
        count += 1
    consumed.setdefault(topic, count)
    consumer.close()

print(json.dumps({"produced": produced, "consumed": consumed}))
