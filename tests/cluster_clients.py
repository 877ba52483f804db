"""Real clients against `kafkalab cluster`: the driver of tests/cluster_clients.rs.

Each mode prints one JSON object on stdout. Every wait is bounded.

  produce BOOTSTRAP TOPIC N        confluent-kafka (murmur2 partitioner) sends keys k0..k(N-1),
                                   kafka-python sends keys p0..p(N-1); both report the partition
                                   each record landed in and the one murmur2 says.
  consume BOOTSTRAP TOPIC TOTAL    a confluent-kafka group consumer and a kafka-python consumer
                                   (all partitions assigned) read until TOTAL records or 60 s.
  outage BOOTSTRAP TOPIC DEAD      with the brokers' partitions listed in DEAD (comma separated)
                                   leaderless: send one record per partition with a 6 s delivery
                                   timeout; report per partition the error or the offset.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from kafka import KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KTopicPartition
from kafka.partitioner.default import murmur2


def expected_partition(key: bytes, partitions: int) -> int:
    # Kafka's DefaultPartitioner: toPositive(murmur2(key)) % numPartitions.
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def produce(bootstrap: str, topic: str, n: int) -> dict:
    landed = []
    errors = []

    def report(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            landed.append((msg.key().decode(), msg.partition(), msg.offset()))

    # acks=1: the topic has one replica, and the install's min.insync.replicas=2 makes Kafka
    # (and lab 12) refuse acks=all there with NOT_ENOUGH_REPLICAS.
    p = Producer({
        "bootstrap.servers": bootstrap,
        "partitioner": "murmur2_random",
        "acks": "1",
        "message.timeout.ms": 30000,
    })
    for i in range(n):
        p.produce(topic, key=f"k{i}".encode(), value=f"v{i}".encode(), on_delivery=report)
        p.poll(0)
    left = p.flush(40)
    partitions = len(p.list_topics(topic, timeout=10).topics[topic].partitions)

    kp = KafkaProducer(bootstrap_servers=bootstrap, acks=1, request_timeout_ms=30000)
    futures = [(f"p{i}", kp.send(topic, key=f"p{i}".encode(), value=f"w{i}".encode())) for i in range(n)]
    for key, f in futures:
        try:
            md = f.get(timeout=40)
            landed.append((key, md.partition, md.offset))
        except Exception as e:  # noqa: BLE001 — reported, the test decides
            errors.append(f"{key}: {e!r}")
    kp.close(10)

    wrong = [
        {"key": k, "partition": part, "murmur2": expected_partition(k.encode(), partitions)}
        for (k, part, _) in landed
        if part != expected_partition(k.encode(), partitions)
    ]
    return {
        "acknowledged": len(landed),
        "unflushed": left,
        "errors": errors[:10],
        "partitions": partitions,
        "per_partition": {str(q): sum(1 for (_, part, _) in landed if part == q) for q in range(partitions)},
        "not_where_murmur2_says": wrong[:10],
    }


def consume(bootstrap: str, topic: str, total: int) -> dict:
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "cluster-clients",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": True,
    })
    c.subscribe([topic])
    seen = set()
    deadline = time.time() + 60
    while len(seen) < total and time.time() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        seen.add((m.partition(), m.offset()))
    c.close()

    kc = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                       consumer_timeout_ms=5000)
    parts = kc.partitions_for_topic(topic) or set()
    kc.assign([KTopicPartition(topic, q) for q in parts])
    kc.seek_to_beginning()
    k_seen = set()
    deadline = time.time() + 60
    while len(k_seen) < total and time.time() < deadline:
        batch = kc.poll(timeout_ms=500)
        for records in batch.values():
            for r in records:
                k_seen.add((r.partition, r.offset))
    kc.close()
    return {"group_consumer": len(seen), "kafka_python": len(k_seen)}


def outage(bootstrap: str, topic: str) -> dict:
    p = Producer({
        "bootstrap.servers": bootstrap,
        "partitioner": "murmur2_random",
        "acks": "1",  # one replica: see produce()
        "message.timeout.ms": 6000,
    })
    partitions = len(p.list_topics(topic, timeout=10).topics[topic].partitions)
    result = {}

    def report(err, msg):
        q = str(msg.partition())
        if err is not None:
            result[q] = {"error": err.name(), "retriable": err.retriable() or err.code() in (
                KafkaError._MSG_TIMED_OUT, KafkaError.LEADER_NOT_AVAILABLE,
                KafkaError.NOT_LEADER_FOR_PARTITION)}
        else:
            result[q] = {"offset": msg.offset()}

    started = time.time()
    for q in range(partitions):
        p.produce(topic, value=f"outage-{q}".encode(), partition=q, on_delivery=report)
    left = p.flush(20)
    return {"per_partition": result, "unflushed": left, "seconds": round(time.time() - started, 1)}


def main() -> None:
    mode, bootstrap, topic = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "produce":
        out = produce(bootstrap, topic, int(sys.argv[4]))
    elif mode == "consume":
        out = consume(bootstrap, topic, int(sys.argv[4]))
    elif mode == "outage":
        out = outage(bootstrap, topic)
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
