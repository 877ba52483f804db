//! `kafkalab kafka-delete-records`: delete the records of partitions below the offsets of a JSON
//! file, as `kafka-delete-records.sh` does, with its output lines. Unlike Kafka's script, which
//! exits 0 whatever the partitions answered, this one exits 1 when a partition failed, so a
//! script can tell.

use std::collections::BTreeSet;
use std::time::Duration;

use lab06_topics::client::admin::AdminClient;
use serde_json::Value;

use crate::commands::kafka_tools::block_on;
use crate::error::Error;
use crate::kafka_cli::DeleteRecordsArgs;

/// The partitions and offsets of Kafka's offset JSON file:
/// `{"partitions":[{"topic":"foo","partition":1,"offset":1}],"version":1}`.
pub fn parse_offset_json(text: &str) -> Result<Vec<(String, i32, i64)>, Error> {
    let bad = |why: &str| Error::Tool(format!("the offset JSON file: {why}"));
    let js: Value = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
    let version = match js.get("version") {
        None => 1,
        Some(v) => v
            .as_i64()
            .ok_or_else(|| bad("\"version\" is not a number"))?,
    };
    if version != 1 {
        return Err(Error::Tool(format!(
            "Not supported version field value {version}"
        )));
    }
    let partitions = js
        .get("partitions")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::Tool("Missing partitions field".into()))?;
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut duplicates = Vec::new();
    for p in partitions {
        let topic = p
            .get("topic")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("each partition needs \"topic\": a string"))?;
        let partition = p
            .get("partition")
            .and_then(Value::as_i64)
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| bad("each partition needs \"partition\": a number"))?;
        let offset = p
            .get("offset")
            .and_then(Value::as_i64)
            .ok_or_else(|| bad("each partition needs \"offset\": a number"))?;
        if !seen.insert((topic.to_string(), partition)) {
            duplicates.push(format!("{topic}-{partition}"));
        }
        out.push((topic.to_string(), partition, offset));
    }
    if !duplicates.is_empty() {
        return Err(Error::Tool(format!(
            "Offset json file contains duplicate topic partitions: {}",
            duplicates.join(",")
        )));
    }
    Ok(out)
}

pub fn run(args: &DeleteRecordsArgs) -> Result<bool, Error> {
    let text = std::fs::read_to_string(&args.offset_json_file).map_err(|source| Error::Io {
        path: args.offset_json_file.clone(),
        source,
    })?;
    let targets = parse_offset_json(&text)?;
    if args.command_config.is_some() {
        eprintln!("WARN: --command-config is not used by this tool");
    }
    block_on(async {
        let mut admin =
            AdminClient::connect(&args.bootstrap_server, Duration::from_secs(30)).await?;
        println!("Executing records delete operation");
        let results = admin.delete_records(&targets).await?;
        println!("Records delete operation completed:");
        let mut all_ok = true;
        for (topic, partition, result) in results {
            match result {
                Ok(low) => println!("partition: {topic}-{partition}\tlow_watermark: {low}"),
                Err(e) => {
                    all_ok = false;
                    println!("partition: {topic}-{partition}\terror: {e}");
                }
            }
        }
        Ok(all_ok)
    })
}
