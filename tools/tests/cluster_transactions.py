"""A transactional confluent-kafka client against a cluster of our brokers (driven by
cluster_transactions.rs).

usage: cluster_transactions.py ctp BOOTSTRAP TOPIC ROUNDS
       cluster_transactions.py loop BOOTSTRAP TOPIC TRANSACTIONAL_ID
       cluster_transactions.py prepare BOOTSTRAP TOPIC TRANSACTIONAL_ID
       cluster_transactions.py offsets BOOTSTRAP TOPIC TRANSACTIONAL_ID GROUP commit|abort

A consume-transform-produce loop: TOPIC-in (3 partitions, filled here with "i0".."i{n-1}")
→ TOPIC-out (3 partitions), ROUNDS transactions of 6 records each, with the group's offsets
sent to each transaction; even rounds commit, odd rounds abort (and the consumer rewinds to
its last committed offsets, as an application does). Then a zombie: instance A of a second
transactional.id has a transaction open when instance B starts; A's commit must fail fenced.
Prints one JSON line: the values committed and aborted, what read_committed and
read_uncommitted consumers see, the group's committed offsets, and the zombie's error.

`prepare` makes both coordinators exist (the first FindCoordinator of each creates its internal
topic). `offsets` sends offsets to a transaction (TxnOffsetCommit: partition 0 → 42, 1 → 7),
prints "offsets-sent", waits for a line on stdin (the test kills the group's coordinator
meanwhile), ends the transaction, and prints the group's committed offsets as JSON.
"""

import json
import sys

PARTITIONS = 3
TIMEOUT = 60


def read_all(bootstrap, topic, isolation):
    """Every value of every partition of `topic`, as a consumer with `isolation` sees it."""
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING, KafkaError

    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"ctp-read-{isolation}",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "isolation.level": isolation,
    })
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    values, eof = [], set()
    for _ in range(240):
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                eof.add(m.partition())
                if len(eof) == PARTITIONS:
                    break
                continue
            raise SystemExit(f"consume error: {m.error()}")
        values.append(m.value().decode())
    c.close()
    return sorted(values)


def ctp(bootstrap, topic, rounds):
    from confluent_kafka import Consumer, Producer, TopicPartition, KafkaException

    source, sink = f"{topic}-in", f"{topic}-out"
    per_round = 6
    plain = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for i in range(rounds * per_round):
        plain.produce(source, value=f"i{i}".encode(), partition=i % PARTITIONS)
    plain.flush(TIMEOUT)

    group = f"{topic}-ctp"
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
    })
    assignment = [TopicPartition(source, p) for p in range(PARTITIONS)]
    consumer.assign(assignment)
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"{topic}-ctp-1",
                         "transaction.timeout.ms": 60000})
    producer.init_transactions(TIMEOUT)
    committed_values, aborted_values = [], []
    last_committed = {p: 0 for p in range(PARTITIONS)}
    for r in range(rounds):
        commit = r % 2 == 0
        got = []
        for _ in range(120):
            if len(got) >= per_round:
                break
            for m in consumer.consume(per_round - len(got), timeout=0.5):
                if m.error():
                    # NOT_COORDINATOR while the group's coordinator settles (UpdateMetadata
                    # names it before its LeaderAndIsr arrived): librdkafka asks again.
                    settling = m.error().code() in (14, 15, 16) or m.error().retriable()
                    if m.error().fatal() or not settling:
                        raise SystemExit(f"consume error: {m.error()}")
                    print(f"retriable consume error: {m.error()}", file=sys.stderr)
                    continue
                got.append(m)
        producer.begin_transaction()
        out = []
        for m in got:
            v = m.value().decode().replace("i", f"o{r}-")
            out.append(v)
            producer.produce(sink, value=v.encode(), partition=m.partition())
        positions = {}
        for m in got:
            positions[m.partition()] = max(positions.get(m.partition(), 0), m.offset() + 1)
        producer.send_offsets_to_transaction(
            [TopicPartition(source, p, o) for p, o in positions.items()],
            consumer.consumer_group_metadata(), TIMEOUT)
        # Into the logs before the end: an aborted transaction's records are stored too.
        producer.flush(TIMEOUT)
        if commit:
            producer.commit_transaction(TIMEOUT)
            committed_values += out
            last_committed.update(positions)
        else:
            producer.abort_transaction(TIMEOUT)
            aborted_values += out
            # Back to the last committed input: the next round processes it again.
            for p in range(PARTITIONS):
                consumer.seek(TopicPartition(source, p, last_committed[p]))
    committed = consumer.committed(assignment, timeout=30)
    consumer.close()

    # A zombie: instance A has a transaction open when instance B of the same id starts.
    tid = f"{topic}-zombie"
    a = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid})
    a.init_transactions(TIMEOUT)
    a.begin_transaction()
    a.produce(sink, value=b"zombie-1", partition=0)
    a.flush(TIMEOUT)
    b = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid})
    b.init_transactions(TIMEOUT)
    fenced, fatal = None, None
    try:
        a.produce(sink, value=b"zombie-2", partition=0)
        a.commit_transaction(TIMEOUT)
    except KafkaException as e:
        fenced = e.args[0].name()
        fatal = e.args[0].fatal()
    b.begin_transaction()
    b.produce(sink, value=b"instance-b", partition=1)
    b.commit_transaction(TIMEOUT)
    committed_values.append("instance-b")
    aborted_values.append("zombie-1")

    return {
        "committed": sorted(committed_values),
        "aborted": sorted(aborted_values),
        "read_committed": read_all(bootstrap, sink, "read_committed"),
        "read_uncommitted": read_all(bootstrap, sink, "read_uncommitted"),
        "committed_offsets": {str(tp.partition): tp.offset for tp in committed},
        # A partition no committed transaction read from has no committed offset (-1001).
        "expected_offsets": {str(p): (o if o > 0 else -1001) for p, o in last_committed.items()},
        "zombie_error": fenced,
        "zombie_fatal": fatal,
    }


def loop(bootstrap, topic, tid):
    import threading
    from confluent_kafka import Producer, KafkaException

    killed = threading.Event()

    def wait_for_kill():
        sys.stdin.readline()
        killed.set()

    threading.Thread(target=wait_for_kill, daemon=True).start()
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid,
                  "transaction.timeout.ms": 60000})
    p.init_transactions(TIMEOUT)
    outcomes, after_kill = {}, 0
    for k in range(300):
        if killed.is_set():
            after_kill += 1
            if after_kill > 5:
                break
        commit = k % 2 == 0
        try:
            p.begin_transaction()
            for part in range(PARTITIONS):
                p.produce(topic, value=f"t{k}-{part}".encode(), partition=part)
            if commit:
                p.commit_transaction(TIMEOUT)
                outcomes[k] = "committed"
            else:
                p.flush(TIMEOUT)
                p.abort_transaction(TIMEOUT)
                outcomes[k] = "aborted"
        except KafkaException as e:
            err = e.args[0]
            if err.fatal():
                outcomes[k] = f"fatal {err.name()}"
                break
            if err.txn_requires_abort():
                p.abort_transaction(TIMEOUT)
                outcomes[k] = "aborted"
            else:
                # A retriable error: the outcome is the coordinator's; ask again.
                try:
                    if commit:
                        p.commit_transaction(TIMEOUT)
                        outcomes[k] = "committed"
                    else:
                        p.abort_transaction(TIMEOUT)
                        outcomes[k] = "aborted"
                except KafkaException as e2:
                    outcomes[k] = f"unknown {e2.args[0].name()}"
                    break
        if k == 0:
            print("ready", flush=True)
    return {
        "outcomes": {str(k): v for k, v in outcomes.items()},
        "after_kill": after_kill,
        "read_committed": read_all(bootstrap, topic, "read_committed"),
        "read_uncommitted": read_all(bootstrap, topic, "read_uncommitted"),
    }


def prepare(bootstrap, topic, tid):
    from confluent_kafka import Consumer, Producer, TopicPartition

    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid})
    p.init_transactions(TIMEOUT)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{tid}-warm-up",
                  "enable.auto.commit": False})
    c.committed([TopicPartition(topic, 0)], timeout=TIMEOUT)
    c.close()
    return {}


def offsets(bootstrap, topic, tid, group, outcome):
    from confluent_kafka import Consumer, Producer, TopicPartition

    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid,
                  "transaction.timeout.ms": 60000})
    p.init_transactions(TIMEOUT)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                  "enable.auto.commit": False})
    p.begin_transaction()
    p.produce(topic, value=f"{outcome}-1".encode(), partition=0)
    p.send_offsets_to_transaction([TopicPartition(topic, 0, 42), TopicPartition(topic, 1, 7)],
                                  c.consumer_group_metadata(), TIMEOUT)
    print("offsets-sent", flush=True)
    sys.stdin.readline()
    if outcome == "commit":
        p.commit_transaction(TIMEOUT)
    else:
        p.abort_transaction(TIMEOUT)
    # EndTxn is answered once the outcome is decided, before every marker is written. The
    # next transaction of the same id starts only once they all are (CONCURRENT_TRANSACTIONS
    # until then, which the client retries): after it, the group's marker is in.
    p.begin_transaction()
    p.produce(topic, value=f"{outcome}-2".encode(), partition=1)
    p.commit_transaction(TIMEOUT)
    committed = c.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)], timeout=TIMEOUT)
    c.close()
    return {"committed_offsets": {str(tp.partition): tp.offset for tp in committed}}


def main():
    mode = sys.argv[1]
    if mode == "ctp":
        print(json.dumps(ctp(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
    elif mode == "loop":
        print(json.dumps(loop(sys.argv[2], sys.argv[3], sys.argv[4])))
    elif mode == "prepare":
        print(json.dumps(prepare(sys.argv[2], sys.argv[3], sys.argv[4])))
    elif mode == "offsets":
        print(json.dumps(offsets(*sys.argv[2:7])))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
