"""Raw idempotent Produce requests for cluster_idempotence.rs: the exact batches a client would
retry, sent to whichever broker the test names.

usage: cluster_idempotence.py init BROKER
       cluster_idempotence.py produce BROKER TOPIC PRODUCER_ID EPOCH BASE_SEQUENCE COUNT

init     InitProducerId v0 without a transactional.id; prints {"error", "producer_id", "epoch"}.
produce  one batch of COUNT records "s<seq>" for partition 0 (Produce v3, acks=all), with the
         given producer id, epoch and first sequence; prints {"error", "base_offset"}.

The batch is built by kafka-python's record builder (v2 batch, CRC-32C); the requests are
written by hand so nothing in a client library decides to retry or reorder them.
"""

import json
import socket
import struct
import sys

from kafka.record.default_records import DefaultRecordBatchBuilder


def string(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def call(broker, api_key, version, body):
    host, port = broker.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        header = struct.pack(">hhi", api_key, version, 7) + string("cluster-idempotence")
        frame = header + body
        sock.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", read_exactly(sock, 4))[0]
        answer = read_exactly(sock, size)
    correlation_id = struct.unpack(">i", answer[:4])[0]
    assert correlation_id == 7, correlation_id
    return answer[4:]


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("the broker closed the connection")
        data += chunk
    return data


def init(broker):
    # InitProducerId v0: transactional_id (null), transaction_timeout_ms.
    body = string(None) + struct.pack(">i", 60000)
    answer = call(broker, 22, 0, body)
    _throttle, error, producer_id, epoch = struct.unpack(">ihqh", answer[:16])
    return {"error": error, "producer_id": producer_id, "epoch": epoch}


def produce(broker, topic, producer_id, epoch, base_sequence, count):
    builder = DefaultRecordBatchBuilder(2, 0, False, producer_id, epoch, base_sequence, 1 << 20)
    for i in range(count):
        value = "s%d" % (base_sequence + i)
        builder.append(i, timestamp=0, key=None, value=value.encode(), headers=[])
    batch = bytes(builder.build())
    # Produce v3: transactional_id, acks, timeout, [topic, [partition, records]].
    body = string(None) + struct.pack(">hi", -1, 30000)
    body += struct.pack(">i", 1) + string(topic)
    body += struct.pack(">i", 1) + struct.pack(">i", 0) + struct.pack(">i", len(batch)) + batch
    answer = call(broker, 0, 3, body)
    # [topic [partition, error, base_offset, log_append_time]], throttle
    pos = 4
    (name_len,) = struct.unpack(">h", answer[pos : pos + 2])
    pos += 2 + name_len + 4
    _partition, error, base_offset = struct.unpack(">ihq", answer[pos : pos + 14])
    return {"error": error, "base_offset": base_offset}


def main():
    mode, broker = sys.argv[1], sys.argv[2]
    if mode == "init":
        print(json.dumps(init(broker)))
    elif mode == "produce":
        topic = sys.argv[3]
        producer_id, epoch, seq, count = (int(a) for a in sys.argv[4:8])
        print(json.dumps(produce(broker, topic, producer_id, epoch, seq, count)))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
