//! `kafkalab kafka-console-producer`: one record per line of standard input, as
//! `kafka-console-producer.sh`. With `--property parse.key=true` each line is
//! `key<key.separator>value` (the separator defaults to a tab).

use std::io::IsTerminal;

use lab06_topics::client::producer::{
    compression_by_name, Compression, Producer, ProducerConfig, ProducerRecord,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::commands::kafka_tools::{acks, block_on, flag, number, properties};
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
    let producer_props = properties(
        &args.producer_properties,
        &[
            "acks",
            "batch.size",
            "linger.ms",
            "compression.type",
            "client.id",
        ],
        "--producer-property",
    );
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
        ..ProducerConfig::default()
    };
    let topic = args.topic.clone();
    block_on(async move {
        let mut producer = Producer::connect(config).await?;
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
            producer
                .send(ProducerRecord {
                    topic: topic.clone(),
                    key,
                    value: Some(value.into_bytes()),
                    ..ProducerRecord::default()
                })
                .await?;
            if interactive {
                producer.flush().await?;
            }
        }
        let deliveries = producer.close().await?;
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
