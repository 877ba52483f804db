"""The stand-in for the book's `java -jar ExactlyOnceProducer.jar` (chapter 5, P176):
confluent-kafka with the settings of the book's 예제 5-3, driven by book_chapter5.rs.

usage: book_chapter5.py BOOTSTRAP

One transaction on peter-test05 holding one record, "Apache Kafka is a distributed streaming
platform - 0", then commit; prints what the Java program prints.
"""

import sys

from confluent_kafka import Producer


def main():
    bootstrap = sys.argv[1]
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "max.in.flight.requests.per.connection": 5,
        "retries": 5,
        "transactional.id": "peter-transaction-01",
    })
    producer.init_transactions(60)
    producer.begin_transaction()
    for i in range(1):
        producer.produce("peter-test05", value=f"Apache Kafka is a distributed streaming platform - {i}")
        producer.flush(60)
        print("Message sent successfully", flush=True)
    producer.commit_transaction(60)


if __name__ == "__main__":
    main()
