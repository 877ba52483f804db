//! `kafkalab kafka-console-producer`: one record per line of standard input, as
//! `kafka-console-producer.sh`. With `--property parse.key=true` each line is
//! `key<key.separator>value` (the separator defaults to a tab).
//!
//! `--producer.config FILE` reads producer settings as the book keeps them; with
//! `enable.idempotence=true` the records go through [`IdempotentProducer`] (lab 14's sequence
//! numbers), else through lab 06's producer.

use std::io::IsTerminal;

use lab06_topics::client::producer::{
    compression_by_name, Compression, Producer, ProducerConfig, ProducerRecord,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::commands::kafka_tools::idempotent_producer::IdempotentProducer;
use crate::commands::kafka_tools::{acks, block_on, flag, number, properties, properties_file};
use crate::error::Error;
use crate::kafka_cli::ConsoleProducerArgs;

pub fn run(args: &ConsoleProducerArgs) -> Result<bool, Error> {
    let props = properties(
        &args.properties,
        &["parse.key", "key.separator", "ignore.error"],
        "--property",
    );
    let parse_key = flag(&props, "parse.key")?;
    let ignore_error = flag(&props, "ignore.error")?;
    let separator = props
        .get("key.separator")
        .cloned()
        .unwrap_or_else(|| "\t".into());
    if separator.is_empty() {
        return Err(Error::Tool("key.separator must not be empty".into()));
    }
    let file_props = match &args.producer_config {
        Some(path) => properties_file::read(path)?,
        None => Vec::new(),
    };
    properties_file::warn_unknown(&file_props, PRODUCER_KEYS);
    let mut producer_props: std::collections::BTreeMap<String, String> =
        file_props.into_iter().collect();
    producer_props.extend(properties(
        &args.producer_properties,
        PRODUCER_KEYS,
        "--producer-property",
    ));
    let idempotent = flag(&producer_props, "enable.idempotence")?;
    let max_in_flight: usize = number(&producer_props, "max.in.flight.requests.per.connection", 5)?;
    let retries: u32 = number(&producer_props, "retries", 5)?;
    if idempotent {
        // Kafka 2.6's own checks (`ProducerConfig`): sequences need every write acknowledged
        // by the ISR, and the broker remembers only the last five batches per producer.
        if producer_props
            .get("acks")
            .is_some_and(|a| !matches!(a.trim(), "all" | "-1"))
        {
            return Err(Error::Tool(
                "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.".into(),
            ));
        }
        if max_in_flight > 5 {
            return Err(Error::Tool(
                "Must set max.in.flight.requests.per.connection to at most 5 to use the idempotent producer.".into(),
            ));
        }
    }
    let bootstrap = args
        .bootstrap_server
        .clone()
        .or_else(|| args.broker_list.clone())
        .expect("clap requires one");
    let compression = producer_props
        .get("compression.type")
        .or(args.compression_codec.as_ref())
        .map(|c| compression_by_name(c))
        .transpose()?
        .unwrap_or(Compression::None);
    let config = ProducerConfig {
        bootstrap_servers: bootstrap,
        client_id: producer_props
            .get("client.id")
            .cloned()
            .unwrap_or_else(|| "console-producer".into()),
        acks: acks(
            producer_props
                .get("acks")
                .unwrap_or(&args.request_required_acks),
        )?,
        batch_size: number(&producer_props, "batch.size", 16_384)?,
        // The console producer sends each line promptly (Kafka's uses linger.ms=1000 but
        // flushes on every line when typed by hand); a short linger batches piped input.
        linger_ms: number(&producer_props, "linger.ms", 5)?,
        compression,
        max_in_flight: max_in_flight.max(1),
        retries,
        ..ProducerConfig::default()
    };
    let topic = args.topic.clone();
    block_on(async move {
        let mut producer = if idempotent {
            Sink::Idempotent(Box::new(
                IdempotentProducer::connect(&config.bootstrap_servers, &config.client_id, retries)
                    .await?,
            ))
        } else {
            Sink::Plain(Box::new(Producer::connect(config).await?))
        };
        let interactive = std::io::stdin().is_terminal();
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        let mut stdout = tokio::io::stdout();
        let mut line_no = 0u64;
        let mut bad_lines = 0u64;
        loop {
            if interactive {
                let _ = stdout.write_all(b">").await;
                let _ = stdout.flush().await;
            }
            let Some(line) = lines
                .next_line()
                .await
                .map_err(|e| Error::Tool(format!("reading standard input: {e}")))?
            else {
                break;
            };
            line_no += 1;
            let (key, value) = if parse_key {
                match line.split_once(separator.as_str()) {
                    Some((k, v)) => (Some(k.as_bytes().to_vec()), v.to_string()),
                    None if ignore_error => (None, line.clone()),
                    None => {
                        eprintln!("ERROR: no key found on line {line_no}: {line} (key.separator is {separator:?})");
                        bad_lines += 1;
                        continue;
                    }
                }
            } else {
                (None, line.clone())
            };
            match &mut producer {
                Sink::Plain(p) => {
                    p.send(ProducerRecord {
                        topic: topic.clone(),
                        key,
                        value: Some(value.into_bytes()),
                        ..ProducerRecord::default()
                    })
                    .await?;
                    if interactive {
                        p.flush().await?;
                    }
                }
                Sink::Idempotent(p) => {
                    if let Err(e) = p.send(&topic, key, value.into_bytes()).await {
                        eprintln!("ERROR: line {line_no} was not written: {e}");
                        bad_lines += 1;
                    }
                }
            }
        }
        let deliveries = match producer {
            Sink::Plain(p) => p.close().await?,
            Sink::Idempotent(_) => Vec::new(),
        };
        let failed: Vec<_> = deliveries.iter().filter(|d| d.result.is_err()).collect();
        for d in &failed {
            eprintln!(
                "ERROR: {} records to {}-{} were not written: {}",
                d.seqs.len(),
                d.topic,
                d.partition,
                d.result
                    .as_ref()
                    .err()
                    .map(String::as_str)
                    .unwrap_or_default()
            );
        }
        Ok(failed.is_empty() && bad_lines == 0)
    })
}

/// The settings this tool reads, from `--producer.config` or `--producer-property`.
const PRODUCER_KEYS: &[&str] = &[
    "acks",
    "batch.size",
    "linger.ms",
    "compression.type",
    "client.id",
    "enable.idempotence",
    "retries",
    "max.in.flight.requests.per.connection",
];

/// Where the lines go: lab 06's batching producer, or one idempotent record at a time.
enum Sink {
    Plain(Box<Producer>),
    Idempotent(Box<IdempotentProducer>),
}
