//! `kafkalab kafka-configs`: describe and change the settings of a topic or a broker, as
//! `kafka-configs.sh --bootstrap-server` does in Kafka 2.6: a topic's changes go out as
//! IncrementalAlterConfigs (SET and DELETE of single keys), a broker's as AlterConfigs (its
//! whole set of dynamic settings).

use std::time::Duration;

use lab06_topics::client::admin::{source_name, AdminClient, ConfigChange, ConfigEntry};
use lab06_topics::describe_configs::{RESOURCE_BROKER, RESOURCE_TOPIC};

use crate::commands::kafka_tools::block_on;
use crate::error::Error;
use crate::kafka_cli::ConfigsArgs;

/// `config_source` of the settings `--describe` shows without `--all`: the dynamic ones.
const DYNAMIC_TOPIC_CONFIG: i8 = 1;
const DYNAMIC_BROKER_CONFIG: i8 = 2;
const DYNAMIC_DEFAULT_BROKER_CONFIG: i8 = 3;

/// `--add-config k1=v1,k2=[a,b]`: pairs split at commas outside square brackets, the brackets
/// of a value removed — Kafka's `parseConfigsToBeAdded`.
pub fn parse_add_config(text: &str) -> Result<Vec<(String, String)>, Error> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').ok_or_else(|| {
                Error::Tool(format!(
                    "Invalid entity config: all configs to be added must be in the format \"key=val\": `{p}`"
                ))
            })?;
            let v = v.trim();
            let v = v
                .strip_prefix('[')
                .and_then(|v| v.strip_suffix(']'))
                .unwrap_or(v);
            Ok((k.trim().to_string(), v.to_string()))
        })
        .collect()
}

/// One line of `--describe`, as Kafka prints it.
fn entry_line(e: &ConfigEntry) -> String {
    let value = |v: &Option<String>| v.clone().unwrap_or_else(|| "null".into());
    let synonyms: Vec<String> = e
        .synonyms
        .iter()
        .map(|(source, name, v)| format!("{}:{name}={}", source_name(*source), value(v)))
        .collect();
    format!(
        "  {}={} sensitive={} synonyms={{{}}}",
        e.name,
        value(&e.value),
        e.is_sensitive,
        synonyms.join(", ")
    )
}

pub fn run(args: &ConfigsArgs) -> Result<bool, Error> {
    let (resource_type, singular) = match args.entity_type.as_str() {
        "topics" | "topic" => (RESOURCE_TOPIC, "topic"),
        "brokers" | "broker" => (RESOURCE_BROKER, "broker"),
        "users" | "clients" | "broker-loggers" => {
            return Err(Error::Tool(format!(
                "--entity-type {} is not supported by this broker: use topics or brokers",
                args.entity_type
            )))
        }
        other => {
            return Err(Error::Tool(format!(
                "Invalid entity type {other}, the entity type must be one of topics, brokers"
            )))
        }
    };
    if args.entity_default && resource_type != RESOURCE_BROKER {
        return Err(Error::Tool(
            "--entity-default is only for --entity-type brokers".into(),
        ));
    }
    if resource_type == RESOURCE_BROKER {
        if let Some(name) = &args.entity_name {
            if name.parse::<i32>().is_err() {
                return Err(Error::Tool(format!(
                    "The entity name for brokers must be a valid integer broker id, found: {name}"
                )));
            }
        }
    }
    block_on(async {
        let mut admin =
            AdminClient::connect(&args.bootstrap_server, Duration::from_secs(30)).await?;
        if args.describe {
            let names: Vec<String> = match (&args.entity_name, resource_type) {
                (Some(name), _) => vec![name.clone()],
                (None, _) if args.entity_default => vec![String::new()],
                (None, RESOURCE_TOPIC) => admin.list_topics().await?,
                // Every broker, then the cluster-wide defaults (Kafka's order).
                (None, _) => {
                    let mut names: Vec<String> = admin
                        .broker_ids()
                        .await?
                        .iter()
                        .map(i32::to_string)
                        .collect();
                    names.push(String::new());
                    names
                }
            };
            for name in names {
                let wanted = match (resource_type, name.is_empty()) {
                    (RESOURCE_TOPIC, _) => DYNAMIC_TOPIC_CONFIG,
                    (_, true) => DYNAMIC_DEFAULT_BROKER_CONFIG,
                    (_, false) => DYNAMIC_BROKER_CONFIG,
                };
                if name.is_empty() {
                    println!(
                        "Default configs for {} in the cluster are:",
                        args.entity_type
                    );
                } else {
                    let kind = if args.all { "All" } else { "Dynamic" };
                    println!("{kind} configs for {singular} {name} are:");
                }
                for entry in admin.describe_configs(resource_type, &name).await? {
                    if args.all || entry.source == wanted {
                        println!("{}", entry_line(&entry));
                    }
                }
            }
        } else if args.alter {
            let name = match (&args.entity_name, args.entity_default) {
                (Some(name), _) => name.clone(),
                (None, true) => String::new(),
                (None, false) => {
                    return Err(Error::Tool(
                        "an entity name must be specified with --alter of topics or brokers: \
                         --entity-name NAME"
                            .into(),
                    ))
                }
            };
            let added = match &args.add_config {
                Some(text) => parse_add_config(text)?,
                None => vec![],
            };
            if added.is_empty() && args.delete_config.is_empty() {
                return Err(Error::Tool(
                    "--alter needs --add-config or --delete-config".into(),
                ));
            }
            let wanted = if resource_type == RESOURCE_TOPIC {
                DYNAMIC_TOPIC_CONFIG
            } else if name.is_empty() {
                DYNAMIC_DEFAULT_BROKER_CONFIG
            } else {
                DYNAMIC_BROKER_CONFIG
            };
            // Like Kafka: deleting a key that has no dynamic value is a mistake to report.
            let current: Vec<ConfigEntry> = admin
                .describe_configs(resource_type, &name)
                .await?
                .into_iter()
                .filter(|e| e.source == wanted)
                .collect();
            let missing: Vec<&str> = args
                .delete_config
                .iter()
                .map(|k| k.trim())
                .filter(|k| !current.iter().any(|e| e.name == *k))
                .collect();
            if !missing.is_empty() {
                return Err(Error::Tool(format!(
                    "Invalid config(s): {}",
                    missing.join(",")
                )));
            }
            if resource_type == RESOURCE_TOPIC {
                let mut changes: Vec<ConfigChange> = added
                    .iter()
                    .map(|(k, v)| ConfigChange::Set(k.clone(), v.clone()))
                    .collect();
                changes.extend(
                    args.delete_config
                        .iter()
                        .map(|k| ConfigChange::Delete(k.trim().to_string())),
                );
                admin
                    .incremental_alter_configs(resource_type, &name, &changes)
                    .await?;
            } else {
                let mut all: Vec<(String, String)> = current
                    .iter()
                    .filter(|e| !args.delete_config.iter().any(|k| k.trim() == e.name))
                    .filter(|e| !added.iter().any(|(k, _)| *k == e.name))
                    .map(|e| (e.name.clone(), e.value.clone().unwrap_or_default()))
                    .collect();
                all.extend(added.iter().cloned());
                admin.alter_configs(resource_type, &name, &all).await?;
            }
            if name.is_empty() {
                println!(
                    "Completed updating default config for {} in the cluster.",
                    args.entity_type
                );
            } else {
                println!("Completed updating config for {singular} {name}.");
            }
        } else {
            return Err(Error::Tool("say what to do: --describe or --alter".into()));
        }
        Ok(true)
    })
}
