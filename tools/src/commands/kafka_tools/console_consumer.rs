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

use crate::commands::kafka_tools::{block_on, flag, number, properties};
use crate::error::Error;
use crate::kafka_cli::ConsoleConsumerArgs;

struct Format {
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
    fn line(&self, r: &ConsumerRecord) -> String {
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
        format!(
            "{}{}",
            fields.join(&self.key_separator),
            self.line_separator
        )
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
    let cprops = properties(
        &args.consumer_properties,
        &[
            "fetch.min.bytes",
            "fetch.max.wait.ms",
            "max.partition.fetch.bytes",
            "client.id",
        ],
        "--consumer-property",
    );
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
        let mut source = match &args.group {
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
                if out.write_all(format.line(r).as_bytes()).is_err() {
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
