"""A librdkafka producer and consumer for tools/tests/cluster_kill_leader.rs and
tools/benches/replication.rs (confluent-kafka, so librdkafka's own retry and idempotence logic).

  create BOOTSTRAP TOPIC PARTITIONS REPLICAS
      creates TOPIC with PARTITIONS partitions, each on the brokers REPLICAS ("1,2,3") in that
      order, so that every partition has the same preferred leader; tried again for a while
      (right after the brokers start, one may not know the others yet).
  produce BOOTSTRAP TOPIC IDEMPOTENT MAX_RECORDS MAX_SECONDS RATE STOP_FILE ACKS_FILE [PARTITION]
      acks=all; sends the numbers 0, 1, 2 … as values to PARTITION (0), at most RATE a second,
      until MAX_RECORDS are sent, MAX_SECONDS have passed or STOP_FILE exists; then waits
      (bounded) for every delivery report. Each acknowledged record is one line of ACKS_FILE:
      "NUMBER OFFSET UNIX_TIME", written when its delivery report arrives, so that the caller
      can read the progress while the producer runs. Prints a JSON summary on stdout.
  consume BOOTSTRAP TOPIC OUT_FILE [PARTITION]
      reads PARTITION (0) from the beginning to its end (the high watermark) and writes one line
      "OFFSET NUMBER" per record to OUT_FILE; prints a JSON summary.

Every wait is bounded.
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def create(bootstrap, topic, partitions, replicas):
    assignment = [[int(b) for b in replicas.split(",")]] * partitions
    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.time() + 30
    tried = False
    while True:
        # librdkafka wants the count next to an assignment, and sends -1 in its place.
        new = NewTopic(topic, num_partitions=partitions, replica_assignment=assignment)
        future = admin.create_topics([new])[topic]
        try:
            future.result(timeout=10)
            return {"created": topic, "assignment": assignment}
        except Exception as e:  # noqa: BLE001 - refused or unanswered: tried again for a while
            code = e.args[0].code() if isinstance(e, KafkaException) else None
            # A try whose answer was lost may have created it.
            if tried and code == KafkaError.TOPIC_ALREADY_EXISTS:
                return {"created": topic, "assignment": assignment}
            tried = True
            if time.time() > deadline:
                raise SystemExit(f"topic {topic} not created: {e}")
            time.sleep(0.2)


def produce(bootstrap, topic, idempotent, max_records, max_seconds, rate, stop_file, acks_file,
            partition=0):
    out = open(acks_file, "w", buffering=1)
    failed = {}
    acked = [0]

    def report(err, msg):
        if err is not None:
            failed[err.name()] = failed.get(err.name(), 0) + 1
        else:
            acked[0] += 1
            out.write(f"{msg.value().decode()} {msg.offset()} {time.time():.6f}\n")

    p = Producer({
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "enable.idempotence": idempotent,
        # Long enough to outlast a failover (the dead leader's ZooKeeper session must expire
        # first), short enough that the run ends.
        "message.timeout.ms": 60000,
        "linger.ms": 5,
        # Metadata refreshed soon after a NOT_LEADER answer or a closed connection.
        "topic.metadata.refresh.interval.ms": 1000,
        "retry.backoff.ms": 100,
    })
    started = time.time()
    sent = 0
    while sent < max_records and time.time() - started < max_seconds and not os.path.exists(stop_file):
        # At most RATE a second: send what is due, then serve delivery reports.
        due = min(max_records, int((time.time() - started) * rate) + 1)
        while sent < due:
            try:
                p.produce(topic, value=str(sent).encode(), partition=partition, on_delivery=report)
                sent += 1
            except BufferError:
                break
        p.poll(0.005)
    left = p.flush(90)
    out.close()
    return {
        "sent": sent,
        "acknowledged": acked[0],
        "failed": failed,
        "unflushed": left,
        "seconds": round(time.time() - started, 1),
    }


def consume(bootstrap, topic, out_file, partition=0):
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "kill-leader-check",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "earliest",
    })
    tp = TopicPartition(topic, partition, 0)
    c.assign([tp])
    _, high = c.get_watermark_offsets(TopicPartition(topic, partition), timeout=20)
    rows = 0
    last = -1
    errors = {}
    with open(out_file, "w") as out:
        deadline = time.time() + 120
        while last + 1 < high and time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() != KafkaError._PARTITION_EOF:
                    errors[m.error().name()] = errors.get(m.error().name(), 0) + 1
                continue
            out.write(f"{m.offset()} {m.value().decode()}\n")
            rows += 1
            last = m.offset()
    c.close()
    return {"records": rows, "high_watermark": high, "last_offset": last, "errors": errors}


def main():
    mode = sys.argv[1]
    if mode == "create":
        bootstrap, topic, partitions, replicas = sys.argv[2:6]
        result = create(bootstrap, topic, int(partitions), replicas)
    elif mode == "produce":
        bootstrap, topic, idempotent, max_records, max_seconds, rate, stop, acks = sys.argv[2:10]
        partition = int(sys.argv[10]) if len(sys.argv) > 10 else 0
        result = produce(bootstrap, topic, idempotent == "true", int(max_records),
                         float(max_seconds), float(rate), stop, acks, partition)
    elif mode == "consume":
        bootstrap, topic, out = sys.argv[2:5]
        partition = int(sys.argv[5]) if len(sys.argv) > 5 else 0
        result = consume(bootstrap, topic, out, partition)
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
