//! `kafkalab kafka-console-consumer`: print records as `kafka-console-consumer.sh` does —
//! the value per line, with `--property print.key=true` the key first, separated by
//! `key.separator` (a tab); `null` for a missing key or value.
//!
//! Without `--partition` it reads every partition of the topic, from the beginning with
//! `--from-beginning`, else only new records. (Kafka's tool joins a consumer group for this;
//! groups come in lab 07, and reading without one shows the same records.)

use std::io::Write;
use std::time::{Duration, Instant};

use std::collections::BTreeMap;

use lab06_topics::client::consumer::{
    Consumer, ConsumerConfig, ConsumerRecord, OffsetReset, StartAt,
};
use lab07_consumer_groups::client::{GroupConsumer, GroupConsumerConfig};

use crate::commands::kafka_tools::message_formatter::{transaction_log_line, Formatter};
use crate::commands::kafka_tools::{block_on, flag, number, properties, properties_file};
use crate::error::Error;
use crate::kafka_cli::ConsoleConsumerArgs;

struct Format {
    formatter: Formatter,
    key: bool,
    partition: bool,
    offset: bool,
    timestamp: bool,
    headers: bool,
    key_separator: String,
    line_separator: String,
}

fn text(bytes: Option<&[u8]>) -> String {
    bytes.map_or_else(
        || "null".to_string(),
        |b| String::from_utf8_lossy(b).into_owned(),
    )
}

impl Format {
    /// Kafka's `DefaultMessageFormatter` order: timestamp, partition, offset, headers, key, value.
    /// The text for one record; `Err` for a record the formatter cannot read (reported on
    /// stderr, and the next record printed, as Kafka's formatters log and go on).
    fn line(&self, r: &ConsumerRecord) -> Result<String, String> {
        if self.formatter == Formatter::TransactionLog {
            return transaction_log_line(r.key.as_deref(), r.value.as_deref())
                .map(|l| format!("{l}\n"))
                .map_err(|e| format!("offset {} of partition {}: {e}", r.offset, r.partition));
        }
        let mut fields = Vec::new();
        if self.timestamp {
            fields.push(format!("CreateTime:{}", r.timestamp_ms));
        }
        if self.partition {
            fields.push(format!("Partition:{}", r.partition));
        }
        if self.offset {
            fields.push(format!("Offset:{}", r.offset));
        }
        if self.headers {
            let h: Vec<String> = r
                .headers
                .iter()
                .map(|(k, v)| format!("{k}:{}", text(v.as_deref())))
                .collect();
            fields.push(if h.is_empty() {
                "NO_HEADERS".into()
            } else {
                h.join(",")
            });
        }
        if self.key {
            fields.push(text(r.key.as_deref()));
        }
        fields.push(text(r.value.as_deref()));
        Ok(format!(
            "{}{}",
            fields.join(&self.key_separator),
            self.line_separator
        ))
    }
}

pub fn run(args: &ConsoleConsumerArgs) -> Result<bool, Error> {
    let props = properties(
        &args.properties,
        &[
            "print.key",
            "print.partition",
            "print.offset",
            "print.timestamp",
            "print.headers",
            "print.value",
            "key.separator",
            "line.separator",
        ],
        "--property",
    );
    let format = Format {
        formatter: match &args.formatter {
            Some(class) => Formatter::by_name(class)?,
            None => Formatter::Default,
        },
        key: flag(&props, "print.key")?,
        partition: flag(&props, "print.partition")?,
        offset: flag(&props, "print.offset")?,
        timestamp: flag(&props, "print.timestamp")?,
        headers: flag(&props, "print.headers")?,
        key_separator: props
            .get("key.separator")
            .cloned()
            .unwrap_or_else(|| "\t".into()),
        line_separator: props
            .get("line.separator")
            .cloned()
            .unwrap_or_else(|| "\n".into()),
    };
    let file_props = match &args.consumer_config {
        Some(path) => properties_file::read(path)?,
        None => Vec::new(),
    };
    properties_file::warn_unknown(&file_props, CONSUMER_KEYS);
    let mut cprops: BTreeMap<String, String> = file_props.into_iter().collect();
    cprops.extend(properties(
        &args.consumer_properties,
        CONSUMER_KEYS,
        "--consumer-property",
    ));
    // `exclude.internal.topics` only hides internal topics from pattern subscriptions, which
    // this tool does not make: `--topic __transaction_state` is read either way.
    flag(&cprops, "exclude.internal.topics")?;
    match cprops.get("isolation.level").map(|l| l.trim()) {
        None | Some("read_uncommitted") => {}
        Some("read_committed") => eprintln!(
            "WARN isolation.level=read_committed: this console consumer (lab 06's client) reads \
             read_uncommitted, so records of open and aborted transactions are printed too"
        ),
        Some(other) => {
            return Err(Error::Tool(format!(
                "isolation.level={other}: use read_uncommitted or read_committed"
            )))
        }
    }
    let group = args
        .group
        .clone()
        .or_else(|| cprops.get("group.id").cloned());
    let config = ConsumerConfig {
        bootstrap_servers: args.bootstrap_server.clone(),
        client_id: cprops
            .get("client.id")
            .cloned()
            .unwrap_or_else(|| "console-consumer".into()),
        fetch_min_bytes: number(&cprops, "fetch.min.bytes", 1)?,
        fetch_max_wait_ms: number(&cprops, "fetch.max.wait.ms", 500)?,
        max_partition_fetch_bytes: number(&cprops, "max.partition.fetch.bytes", 1_048_576)?,
        ..ConsumerConfig::default()
    };
    let start = match (&args.offset, args.partition) {
        (Some(_), None) => {
            return Err(Error::Tool(
                "--offset needs --partition: an offset belongs to one partition".into(),
            ))
        }
        (Some(o), Some(_)) => match o.as_str() {
            "earliest" => StartAt::Earliest,
            "latest" => StartAt::Latest,
            n => StartAt::Offset(n.parse().ok().filter(|n: &i64| *n >= 0).ok_or_else(|| {
                Error::Tool(format!(
                    "--offset {n}: use earliest, latest or an offset ≥ 0"
                ))
            })?),
        },
        (None, _) if args.from_beginning => StartAt::Earliest,
        (None, _) => StartAt::Latest,
    };
    block_on(async {
        let mut source = match &group {
            Some(group) => {
                let mut member = GroupConsumer::connect(GroupConsumerConfig {
                    consumer: ConsumerConfig {
                        auto_offset_reset: if args.from_beginning {
                            OffsetReset::Earliest
                        } else {
                            OffsetReset::Latest
                        },
                        ..config
                    },
                    group_id: group.clone(),
                    // Commits go out when the tool stops, for exactly the records it printed.
                    enable_auto_commit: false,
                    ..GroupConsumerConfig::default()
                })
                .await?;
                member.subscribe(&[args.topic.as_str()]);
                Source::Group(Box::new(member), BTreeMap::new())
            }
            None => {
                let mut consumer = Consumer::connect(config).await?;
                let partitions = match args.partition {
                    Some(p) => vec![p],
                    None => consumer.partitions(&args.topic).await?,
                };
                if partitions.is_empty() {
                    return Err(Error::Tool(format!("topic {} does not exist", args.topic)));
                }
                for p in partitions {
                    consumer.assign(&args.topic, p, start).await?;
                }
                Source::Plain(Box::new(consumer))
            }
        };
        let mut out = std::io::stdout().lock();
        let mut printed = 0u64;
        let mut last_record = Instant::now();
        let timeout = args.timeout_ms.map(Duration::from_millis);
        'reading: loop {
            if args.max_messages.is_some_and(|max| printed >= max) {
                break;
            }
            let records = source.poll().await?;
            if records.is_empty() {
                if timeout.is_some_and(|t| last_record.elapsed() >= t) {
                    eprintln!(
                        "[kafkalab] no record for {} ms; stopping (--timeout-ms)",
                        args.timeout_ms.unwrap_or(0)
                    );
                    break;
                }
                continue;
            }
            last_record = Instant::now();
            for r in &records {
                let line = match format.line(r) {
                    Ok(l) => l,
                    Err(e) => {
                        eprintln!("ERROR: {e}");
                        continue;
                    }
                };
                if out.write_all(line.as_bytes()).is_err() {
                    break 'reading; // stdout closed (`| head`): stop quietly, as Kafka's tool does
                }
                printed += 1;
                source.printed(r);
                if args.max_messages.is_some_and(|max| printed >= max) {
                    break 'reading;
                }
            }
            let _ = out.flush();
        }
        let _ = out.flush();
        source.close().await?;
        eprintln!("Processed a total of {printed} messages");
        Ok(true)
    })
}

/// Where the records come from: partitions read directly, or a consumer group's share.
enum Source {
    Plain(Box<Consumer>),
    /// The member and, per partition, the offset after the last record printed.
    Group(Box<GroupConsumer>, BTreeMap<(String, i32), i64>),
}

impl Source {
    async fn poll(&mut self) -> Result<Vec<ConsumerRecord>, Error> {
        Ok(match self {
            Source::Plain(c) => c.poll().await?,
            Source::Group(g, _) => g.poll().await?,
        })
    }

    fn printed(&mut self, r: &ConsumerRecord) {
        if let Source::Group(_, done) = self {
            done.insert((r.topic.to_string(), r.partition), r.offset + 1);
        }
    }

    /// A group member commits what it printed, then leaves so the others take over at once.
    async fn close(self) -> Result<(), Error> {
        if let Source::Group(g, done) = self {
            let mut g = *g;
            let offsets: Vec<(String, i32, i64)> =
                done.into_iter().map(|((t, p), o)| (t, p, o)).collect();
            g.commit_offsets(&offsets).await?;
            g.leave().await?;
        }
        Ok(())
    }
}

/// The settings this tool reads, from `--consumer.config` or `--consumer-property`.
const CONSUMER_KEYS: &[&str] = &[
    "fetch.min.bytes",
    "fetch.max.wait.ms",
    "max.partition.fetch.bytes",
    "client.id",
    "group.id",
    "isolation.level",
    "exclude.internal.topics",
];
