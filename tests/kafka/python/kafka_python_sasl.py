"""kafka-python 2.0 with SASL over plaintext (it sends SaslHandshake v0 and then bare tokens).
Produces and reads back one message, prints JSON. Usage: kafka_python_sasl.py BOOTSTRAP MECHANISM USER PASSWORD"""
import json
import sys

from kafka import KafkaConsumer, KafkaProducer

bootstrap, mechanism, user, password = sys.argv[1:5]
common = dict(
    bootstrap_servers=bootstrap,
    security_protocol="SASL_PLAINTEXT",
    sasl_mechanism=mechanism,
    sasl_plain_username=user,
    sasl_plain_password=password,
)
producer = KafkaProducer(acks="all", **common)
offset = producer.send("secured", key=b"k", value=mechanism.encode()).get(timeout=20).offset
producer.close()
consumer = KafkaConsumer("secured", auto_offset_reset="earliest", consumer_timeout_ms=3000, **common)
values = [m.value.decode() for m in consumer]
consumer.close()
print(json.dumps({"offset": offset, "values": values}))
