"""Real clients for the testcontainers tests (tests/lab_containers): kafka-python from this
machine, through the brokers' ports published on 127.0.0.1. Each mode prints one JSON object on
stdout; every wait is bounded.

  produce BOOTSTRAP TOPIC RUN COUNT SECONDS
      sends values RUN-0 .. RUN-(COUNT-1), spread evenly over SECONDS, with acks=all (the
      brokers' min.insync.replicas=2 makes that two copies at least), then waits for every
      delivery report. Reports each record's outcome: acknowledged at (partition, offset), or
      the error it failed with. Retries may write a record twice; that is not a loss.
  consume BOOTSTRAP TOPIC
      reads every partition from its first offset up to the high watermark it had when the
      read began (so a record acknowledged before that is in it), at most 60 s.

KAFKALAB_HOSTS="NAME=127.0.0.1 ..." resolves the names the brokers advertise (their container
names, which only Docker's DNS knows) to 127.0.0.1 in this process, where each broker's port is
published under the same number: what an /etc/hosts line would do, for this client alone.
"""
import json
import os
import socket
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

# How long the producer keeps retrying a record before it reports it failed: longer than a
# fault lasts, so most records outlive it, and bounded, so the test ends.
DELIVERY_TIMEOUT_MS = 40000


def map_hosts() -> None:
    mapping = dict(p.split("=", 1) for p in os.environ.get("KAFKALAB_HOSTS", "").split() if "=" in p)
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        return real(mapping.get(host, host), *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def produce(bootstrap: str, topic: str, run: str, count: int, seconds: float) -> dict:
    acked = []
    failed = []

    def on_acked(i):
        return lambda md: acked.append([i, md.partition, md.offset])

    def on_failed(i):
        return lambda e: failed.append([i, repr(e)])

    p = KafkaProducer(
        bootstrap_servers=bootstrap.split(","),
        acks="all",
        # Lab 14's idempotent producer is not in the running brokers yet: plain retries.
        enable_idempotence=False,
        delivery_timeout_ms=DELIVERY_TIMEOUT_MS,
        request_timeout_ms=5000,
        retry_backoff_ms=200,
        metadata_max_age_ms=2000,
        linger_ms=5,
    )
    start = time.monotonic()
    for i in range(count):
        due = start + seconds * i / count
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
        future = p.send(topic, key=f"k{i}".encode(), value=f"{run}-{i}".encode())
        future.add_callback(on_acked(i))
        future.add_errback(on_failed(i))
    try:
        p.flush(timeout=DELIVERY_TIMEOUT_MS / 1000 + 10)
    except Exception as e:  # noqa: BLE001 — what is left is reported as unresolved
        print(f"flush: {e!r}", file=sys.stderr)
    p.close(timeout=5)
    return {
        "acked": sorted(acked),
        "failed": sorted(failed),
        "unresolved": count - len(acked) - len(failed),
        "seconds": round(time.monotonic() - start, 1),
    }


def consume(bootstrap: str, topic: str) -> dict:
    c = KafkaConsumer(
        bootstrap_servers=bootstrap.split(","),
        enable_auto_commit=False,
        request_timeout_ms=10000,
    )
    deadline = time.monotonic() + 60
    partitions = None
    while not partitions and time.monotonic() < deadline:
        partitions = c.partitions_for_topic(topic)
        if not partitions:
            time.sleep(0.5)
    tps = [TopicPartition(topic, part) for part in sorted(partitions or [])]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    ends = c.end_offsets(tps)
    records = []
    while time.monotonic() < deadline and any(c.position(tp) < ends[tp] for tp in tps):
        for tp, batch in c.poll(timeout_ms=500).items():
            records.extend([m.value.decode(), tp.partition, m.offset] for m in batch)
    complete = all(c.position(tp) >= ends[tp] for tp in tps)
    c.close()
    return {
        "records": records,
        "high_watermarks": {str(tp.partition): ends[tp] for tp in tps},
        "complete": complete,
    }


def main() -> None:
    map_hosts()
    mode, bootstrap, topic = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "produce":
        out = produce(bootstrap, topic, sys.argv[4], int(sys.argv[5]), float(sys.argv[6]))
    elif mode == "consume":
        out = consume(bootstrap, topic)
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
