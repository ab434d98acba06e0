"""confluent-kafka static membership (group.instance.id, JoinGroup v5): a consumer joins with an
instance id, reads, closes, and a restarted one with the same id gets the same partitions.
Prints JSON. Usage: confluent_static.py BOOTSTRAP TOPIC"""
import json
import sys
import time

from confluent_kafka import Consumer

bootstrap, topic = sys.argv[1], sys.argv[2]


def run_once(quiet_after_assignment):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "static-group",
        "group.instance.id": "worker-1",
        "session.timeout.ms": 10000,
        "auto.offset.reset": "earliest",
    })
    consumer.subscribe([topic])
    got = []
    deadline = time.time() + 20
    while len(got) < 10 and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and not msg.error():
            got.append(msg.value().decode())
        if quiet_after_assignment and consumer.assignment():
            # Assigned: wait a little for anything (there should be nothing left to read).
            deadline = min(deadline, time.time() + 2)
    assignment = sorted(tp.partition for tp in consumer.assignment())
    consumer.close()
    return got, assignment


first, assigned_first = run_once(False)
second, assigned_second = run_once(True)
print(json.dumps({"first": first, "assigned": [assigned_first, assigned_second], "second": second}))
