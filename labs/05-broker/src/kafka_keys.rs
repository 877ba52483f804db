//! Kafka's broker keys that no lab of this broker reads (yet), and what to tell a learner who
//! sets one. A key set and silently ignored is a surprise that costs an afternoon: a learner
//! who writes `min.insync.replicas=2` believes the broker now refuses under-replicated writes.
//! So [`crate::ServerProperties::unused`] says, for each key no lab read, which of these it is:
//!
//! - a key a later lab reads: which lab makes it work (when that lab is built, it reads the key
//!   and the warning goes away by itself);
//! - a Kafka key for something the course does not build (TLS, quotas, thread pools …);
//! - a Kafka key another key of this broker stands for (`log.retention.ms` → the hours);
//! - no Kafka broker key at all: likely a typo, so the closest known key is suggested.
//!
//! The keys are Kafka 2.6's (`KafkaConfig`), the common ones; a Kafka key missing here is
//! reported as unknown, with the closest key as a suggestion.

/// Keys that a later lab of the course reads: (lab, its title, keys).
const LATER_LABS: &[(u32, &str, &[&str])] = &[
    (
        11,
        "Membership and the controller",
        &[
            "zookeeper.connect",
            "zookeeper.connection.timeout.ms",
            "zookeeper.session.timeout.ms",
            "zookeeper.max.in.flight.requests",
            "zookeeper.set.acl",
            "controller.socket.timeout.ms",
            "broker.id.generation.enable",
            "reserved.broker.max.id",
        ],
    ),
    (
        12,
        "Replication",
        &[
            "default.replication.factor",
            "min.insync.replicas",
            "replica.lag.time.max.ms",
            "num.replica.fetchers",
            "replica.fetch.max.bytes",
            "replica.fetch.min.bytes",
            "replica.fetch.wait.max.ms",
            "replica.fetch.backoff.ms",
            "replica.fetch.response.max.bytes",
            "replica.socket.timeout.ms",
            "replica.socket.receive.buffer.bytes",
            "replica.high.watermark.checkpoint.interval.ms",
            "offsets.topic.replication.factor",
        ],
    ),
    (
        13,
        "Failover",
        &[
            "unclean.leader.election.enable",
            "auto.leader.rebalance.enable",
            "leader.imbalance.check.interval.seconds",
            "leader.imbalance.per.broker.percentage",
            "controlled.shutdown.enable",
            "controlled.shutdown.max.retries",
            "controlled.shutdown.retry.backoff.ms",
        ],
    ),
];

/// Kafka keys for what the course does not build: (what it is, keys).
const NOT_BUILT: &[(&str, &[&str])] = &[
    (
        "transactions (no lab of this course builds them)",
        &[
            "transaction.state.log.replication.factor",
            "transaction.state.log.min.isr",
            "transaction.state.log.num.partitions",
            "transaction.state.log.segment.bytes",
            "transaction.state.log.load.buffer.size",
            "transaction.max.timeout.ms",
            "transactional.id.expiration.ms",
            "transaction.abort.timed.out.transaction.cleanup.interval.ms",
            "transaction.remove.expired.transaction.cleanup.interval.ms",
        ],
    ),
    (
        "thread pools (tokio sizes its own runtime)",
        &[
            "num.network.threads",
            "num.io.threads",
            "background.threads",
            "queued.max.requests",
            "num.recovery.threads.per.data.dir",
            "num.replica.alter.log.dirs.threads",
            "log.cleaner.threads",
        ],
    ),
    (
        "socket and connection tuning",
        &[
            "socket.send.buffer.bytes",
            "socket.receive.buffer.bytes",
            "connections.max.idle.ms",
            "max.connections",
            "max.connections.per.ip",
            "request.timeout.ms",
        ],
    ),
    (
        "TLS, SASL and ACLs (this broker speaks PLAINTEXT only)",
        &[
            "security.inter.broker.protocol",
            "ssl.keystore.location",
            "ssl.keystore.password",
            "ssl.key.password",
            "ssl.truststore.location",
            "ssl.truststore.password",
            "ssl.client.auth",
            "sasl.enabled.mechanisms",
            "sasl.mechanism.inter.broker.protocol",
            "authorizer.class.name",
            "super.users",
            "allow.everyone.if.no.acl.found",
        ],
    ),
    (
        "quotas, metrics and plug-in policies",
        &[
            "quota.consumer.default",
            "quota.producer.default",
            "metric.reporters",
            "metrics.num.samples",
            "metrics.sample.window.ms",
            "create.topic.policy.class.name",
            "alter.config.policy.class.name",
            "replica.selector.class",
            "broker.rack",
        ],
    ),
    (
        "log tuning this broker does not offer",
        &[
            "log.roll.hours",
            "log.roll.ms",
            "log.index.size.max.bytes",
            "log.index.interval.bytes",
            "log.preallocate",
            "log.segment.delete.delay.ms",
            "log.flush.scheduler.interval.ms",
            "log.flush.offset.checkpoint.interval.ms",
            "log.message.format.version",
            "log.message.downconversion.enable",
            "log.cleaner.enable",
            "log.cleanup.policy",
            "log.cleaner.delete.retention.ms",
            "log.cleaner.min.cleanable.ratio",
            "log.message.timestamp.type",
            "compression.type",
            "delete.topic.enable",
            "inter.broker.protocol.version",
        ],
    ),
    (
        "consumer-group tuning this coordinator does not offer",
        &[
            "offsets.retention.minutes",
            "offsets.retention.check.interval.ms",
            "offsets.topic.num.partitions",
            "offsets.topic.segment.bytes",
            "offsets.commit.timeout.ms",
            "offsets.load.buffer.size",
            "group.max.size",
        ],
    ),
];

/// Kafka keys that a key this broker reads stands for: (Kafka's key, ours).
const READ_AS: &[(&str, &str)] = &[
    ("log.retention.ms", "log.retention.hours"),
    ("log.retention.minutes", "log.retention.hours"),
    ("log.flush.interval.messages", "log.flush.interval.ms"),
    ("port", "listeners"),
    ("host.name", "listeners"),
    ("advertised.host.name", "advertised.listeners"),
    ("advertised.port", "advertised.listeners"),
];

/// What to say about `key`, set in server.properties and read by no lab; `known` are the keys
/// the labs read (suggested for a typo, with Kafka's keys above).
pub fn explain<'a>(key: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    if let Some((lab, title, _)) = LATER_LABS.iter().find(|(_, _, keys)| keys.contains(&key)) {
        return format!("is not used until lab {lab} ({title}) makes it work");
    }
    if let Some((what, _)) = NOT_BUILT.iter().find(|(_, keys)| keys.contains(&key)) {
        return format!("is not used: it is Kafka's setting for {what}");
    }
    if let Some((_, ours)) = READ_AS.iter().find(|(theirs, _)| *theirs == key) {
        return format!("is not used: this broker reads `{ours}` instead");
    }
    let kafka_keys = LATER_LABS
        .iter()
        .flat_map(|(_, _, keys)| keys.iter())
        .chain(NOT_BUILT.iter().flat_map(|(_, keys)| keys.iter()))
        .chain(READ_AS.iter().map(|(theirs, _)| theirs))
        .copied();
    match lab_common::typo::closest(key, known.into_iter().chain(kafka_keys)) {
        Some(guess) => format!(
            "is not used: Kafka has no broker setting of that name; did you mean `{guess}`?"
        ),
        None => "is not used: Kafka has no broker setting of that name".to_string(),
    }
}
