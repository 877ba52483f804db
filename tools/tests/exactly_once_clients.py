"""Real clients against our broker for lab 14 (driven by exactly_once_real_clients.rs).

usage: exactly_once_clients.py MODE PROXY_PORT BROKER TOPIC [ARGS...]

The broker advertises PROXY_PORT, so every client connection goes through the proxy below.
The proxy forwards frames both ways and, for the first DROPS Produce requests, closes the
connection instead of passing the broker's answer on: the broker has stored the batch, the
client never hears so, and it sends the same batch again (same producer id, epoch and
sequence) on a new connection. That is the retry that idempotence must not store twice.

MODE
  produce CLIENT IDEMPOTENT DROPS N   produce N records "v0".."v{N-1}" to partition 0 with
                                      CLIENT (confluent or kafka-python); print JSON with the
                                      values read back from the broker and the drops done.
  transactions                        (no proxy drops) a consume-transform-produce loop with
                                      confluent-kafka: TOPIC-in → TOPIC-out, one transaction
                                      committed, one aborted; then a zombie fenced by a new
                                      instance of its transactional.id; print JSON with what
                                      read_committed and read_uncommitted consumers see and
                                      the group's committed offset.
  reinit                              after a broker restart: "eos-zombie" (from transactions)
                                      starts again and commits "after-restart"; print JSON with
                                      what read_committed and read_uncommitted consumers see.
  bench N                             (no proxy drops) produce N records of 100 bytes with
                                      confluent-kafka four ways: idempotence off, on, and in
                                      transactions of 100 and of 10,000 records; print JSON
                                      with each run's seconds (for tools/benches/exactly_once.rs).
All output is one JSON line.
"""

import json
import socket
import struct
import sys
import threading


class DroppingProxy:
    """A loopback TCP proxy that drops the answers of the first `drops` Produce requests."""

    def __init__(self, port, broker, drops):
        host, bport = broker.rsplit(":", 1)
        self.broker = (host, int(bport))
        self.drops_left = drops
        self.dropped = 0
        self.lock = threading.Lock()
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", port))
        self.server.listen(16)
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.broker)
            produce_ids = set()
            threading.Thread(target=self.requests, args=(client, upstream, produce_ids), daemon=True).start()
            threading.Thread(target=self.responses, args=(upstream, client, produce_ids), daemon=True).start()

    @staticmethod
    def read_frame(sock):
        size = DroppingProxy.read_exact(sock, 4)
        if size is None:
            return None
        body = DroppingProxy.read_exact(sock, struct.unpack(">i", size)[0])
        return None if body is None else size + body

    @staticmethod
    def read_exact(sock, n):
        buf = b""
        while len(buf) < n:
            try:
                chunk = sock.recv(n - len(buf))
            except OSError:
                return None
            if not chunk:
                return None
            buf += chunk
        return buf

    def requests(self, client, upstream, produce_ids):
        while True:
            frame = self.read_frame(client)
            if frame is None:
                break
            api_key, _version, correlation = struct.unpack(">hhi", frame[4:12])
            if api_key == 0:
                produce_ids.add(correlation)
            try:
                upstream.sendall(frame)
            except OSError:
                break
        self.close(client, upstream)

    def responses(self, upstream, client, produce_ids):
        while True:
            frame = self.read_frame(upstream)
            if frame is None:
                break
            correlation = struct.unpack(">i", frame[4:8])[0]
            if correlation in produce_ids:
                with self.lock:
                    drop = self.drops_left > 0
                    if drop:
                        self.drops_left -= 1
                        self.dropped += 1
                if drop:
                    break
            try:
                client.sendall(frame)
            except OSError:
                break
        self.close(client, upstream)

    @staticmethod
    def close(*socks):
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def produce_confluent(broker, topic, idempotent, n):
    from confluent_kafka import Producer

    errors = []
    p = Producer({
        "bootstrap.servers": broker,
        "enable.idempotence": idempotent,
        "acks": "all",
        # One batch for the whole run, so the dropped answer is for all of it.
        "linger.ms": 200,
        "retries": 10,
        "retry.backoff.ms": 100,
        "socket.timeout.ms": 10000,
        "message.timeout.ms": 30000,
    })
    for i in range(n):
        p.produce(topic, value=f"v{i}".encode(), partition=0,
                  on_delivery=lambda err, _m: err and errors.append(str(err)))
    left = p.flush(60)
    return errors + ([f"{left} not delivered"] if left else [])


def produce_kafka_python(broker, topic, idempotent, n):
    from kafka import KafkaProducer

    p = KafkaProducer(
        bootstrap_servers=broker,
        enable_idempotence=idempotent,
        acks="all",
        linger_ms=200,
        retries=10,
        retry_backoff_ms=100,
        request_timeout_ms=10000,
    )
    futures = [p.send(topic, value=f"v{i}".encode(), partition=0) for i in range(n)]
    errors = []
    for f in futures:
        try:
            f.get(timeout=60)
        except Exception as e:  # noqa: BLE001 - report whatever the client raised
            errors.append(repr(e))
    p.close(timeout=10)
    return errors


def read_all(broker, topic, isolation):
    """Every value of partition 0 of `topic`, as a consumer with `isolation` sees it."""
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING, KafkaError

    c = Consumer({
        "bootstrap.servers": broker,
        "group.id": f"eos-read-{isolation}",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "isolation.level": isolation,
    })
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    values = []
    for _ in range(200):
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                break
            raise SystemExit(f"consume error: {m.error()}")
        values.append(m.value().decode())
    c.close()
    return values


def transactions(broker, topic):
    from confluent_kafka import Consumer, Producer, TopicPartition, KafkaException

    source, sink = f"{topic}-in", f"{topic}-out"
    plain = Producer({"bootstrap.servers": broker})
    for i in range(10):
        plain.produce(source, value=f"i{i}".encode(), partition=0)
    plain.flush(30)

    consumer = Consumer({
        "bootstrap.servers": broker,
        "group.id": "eos-ctp",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
    })
    consumer.assign([TopicPartition(source, 0)])
    producer = Producer({"bootstrap.servers": broker, "transactional.id": "eos-ctp-1",
                         "transaction.timeout.ms": 60000})
    producer.init_transactions(30)
    for commit in (True, False):
        got = []
        while len(got) < 5:
            for m in consumer.consume(5 - len(got), timeout=1.0):
                if not m.error():
                    got.append(m)
        producer.begin_transaction()
        for m in got:
            producer.produce(sink, value=m.value().decode().replace("i", "o").encode(), partition=0)
        producer.send_offsets_to_transaction(
            [TopicPartition(source, 0, got[-1].offset() + 1)],
            consumer.consumer_group_metadata(), 30)
        # Into the log before the end: an aborted transaction's records are stored too.
        producer.flush(30)
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)
            # An application rewinds to its last committed input after an abort.
            consumer.seek(TopicPartition(source, 0, got[0].offset()))
    committed = consumer.committed([TopicPartition(source, 0)], timeout=10)[0].offset
    consumer.close()

    # A zombie: instance A of "eos-zombie" has a transaction open when instance B starts.
    a = Producer({"bootstrap.servers": broker, "transactional.id": "eos-zombie"})
    a.init_transactions(30)
    a.begin_transaction()
    a.produce(sink, value=b"zombie-1", partition=0)
    a.flush(30)
    b = Producer({"bootstrap.servers": broker, "transactional.id": "eos-zombie"})
    b.init_transactions(30)
    fenced = None
    try:
        a.produce(sink, value=b"zombie-2", partition=0)
        a.commit_transaction(30)
    except KafkaException as e:
        fenced = e.args[0].name()
    b.begin_transaction()
    b.produce(sink, value=b"instance-b", partition=0)
    b.commit_transaction(30)

    # A producer that hangs inside a transaction: after transaction.timeout.ms the coordinator
    # aborts it, and read_committed consumers get past it again (the LSO moves on).
    hung = Producer({"bootstrap.servers": broker, "transactional.id": "eos-hung",
                     "transaction.timeout.ms": 2000})
    hung.init_transactions(30)
    hung.begin_transaction()
    hung.produce(sink, value=b"hung", partition=0)
    hung.flush(30)
    b.begin_transaction()
    b.produce(sink, value=b"after-hung", partition=0)
    b.commit_transaction(30)
    after_timeout = []
    for _ in range(30):
        after_timeout = read_all(broker, sink, "read_committed")
        if "after-hung" in after_timeout:
            break
    return {
        "committed_offset": committed,
        "read_committed": read_all(broker, sink, "read_committed"),
        "read_uncommitted": read_all(broker, sink, "read_uncommitted"),
        "zombie_error": fenced,
        "read_committed_after_timeout": after_timeout,
    }


def reinit(broker, topic):
    from confluent_kafka import Producer

    sink = f"{topic}-out"
    p = Producer({"bootstrap.servers": broker, "transactional.id": "eos-zombie"})
    p.init_transactions(30)
    p.begin_transaction()
    p.produce(sink, value=b"after-restart", partition=0)
    p.commit_transaction(30)
    return {
        "read_committed": read_all(broker, sink, "read_committed"),
        "read_uncommitted": read_all(broker, sink, "read_uncommitted"),
    }


def bench(broker, topic, n):
    import time
    from confluent_kafka import Producer

    value = b"x" * 100
    runs = {}
    for name, conf, per_txn in (
        ("idempotence off", {"enable.idempotence": False, "acks": "all"}, None),
        ("idempotence on", {"enable.idempotence": True}, None),
        ("transactions of 100", {"transactional.id": f"{topic}-t100"}, 100),
        ("transactions of 10,000", {"transactional.id": f"{topic}-t10000"}, 10_000),
    ):
        p = Producer({"bootstrap.servers": broker, "linger.ms": 5, **conf})
        target = f"{topic}-{len(runs)}"
        # Warm up: metadata and the connection, outside the timing.
        if per_txn:
            p.init_transactions(30)
            p.begin_transaction()
        p.produce(target, value=value, partition=0)
        p.flush(30)
        if per_txn:
            p.commit_transaction(30)
        start = time.perf_counter()
        sent = 0
        while sent < n:
            if per_txn:
                p.begin_transaction()
            for _ in range(per_txn or n):
                while True:
                    try:
                        p.produce(target, value=value, partition=0)
                        break
                    except BufferError:
                        p.poll(0.01)
                sent += 1
                p.poll(0)
            if per_txn:
                p.commit_transaction(60)
        p.flush(60)
        runs[name] = time.perf_counter() - start
    return {"records": n, "seconds": runs}


def main():
    mode, proxy_port, broker, topic = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    if mode == "produce":
        client, idempotent, drops, n = sys.argv[5], sys.argv[6] == "true", int(sys.argv[7]), int(sys.argv[8])
        proxy = DroppingProxy(proxy_port, broker, drops)
        via = f"127.0.0.1:{proxy_port}"
        produce = produce_confluent if client == "confluent" else produce_kafka_python
        errors = produce(via, topic, idempotent, n)
        print(json.dumps({"errors": errors, "dropped": proxy.dropped, "values": read_all(via, topic, "read_uncommitted")}))
    elif mode == "reinit":
        print(json.dumps(reinit(broker, topic)))
    elif mode == "bench":
        print(json.dumps(bench(broker, topic, int(sys.argv[5]))))
    elif mode == "transactions":
        print(json.dumps(transactions(broker, topic)))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
