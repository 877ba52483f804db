"""A librdkafka producer and consumer for tools/tests/cluster_kill_leader.rs and
tools/benches/replication.rs (confluent-kafka, so librdkafka's own retry and idempotence logic).

  produce BOOTSTRAP TOPIC IDEMPOTENT MAX_RECORDS MAX_SECONDS RATE STOP_FILE ACKS_FILE
      acks=all; sends the numbers 0, 1, 2 … as values to partition 0, at most RATE a second,
      until MAX_RECORDS are sent, MAX_SECONDS have passed or STOP_FILE exists; then waits
      (bounded) for every delivery report. Each acknowledged record is one line of ACKS_FILE:
      "NUMBER OFFSET UNIX_TIME", written when its delivery report arrives, so that the caller
      can read the progress while the producer runs. Prints a JSON summary on stdout.
  consume BOOTSTRAP TOPIC OUT_FILE
      reads partition 0 from the beginning to its end (the high watermark) and writes one line
      "OFFSET NUMBER" per record to OUT_FILE; prints a JSON summary.

Every wait is bounded.
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition


def produce(bootstrap, topic, idempotent, max_records, max_seconds, rate, stop_file, acks_file):
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
                p.produce(topic, value=str(sent).encode(), partition=0, on_delivery=report)
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


def consume(bootstrap, topic, out_file):
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "kill-leader-check",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "earliest",
    })
    tp = TopicPartition(topic, 0, 0)
    c.assign([tp])
    _, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=20)
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
    if mode == "produce":
        bootstrap, topic, idempotent, max_records, max_seconds, rate, stop, acks = sys.argv[2:10]
        result = produce(bootstrap, topic, idempotent == "true", int(max_records),
                         float(max_seconds), float(rate), stop, acks)
    elif mode == "consume":
        result = consume(*sys.argv[2:5])
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
