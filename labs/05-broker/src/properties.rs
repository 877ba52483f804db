//! `server.properties` as text: `key=value` lines, read once into a map that every lab reads
//! its own keys from. Lab 05 reads the broker's keys ([`crate::BrokerConfig`]), lab 07 the
//! `group.*` keys, a later lab its own — none of them edits another's parser. Keys that no lab
//! read are reported at start, naming the key, as Kafka logs "The configuration 'x' was
//! supplied but isn't a known config" — and saying more than Kafka can: which later lab makes
//! the key work, or which key a typo meant (`kafka_keys`).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};

/// The parsed lines of a `server.properties` file.
#[derive(Debug, Default)]
pub struct ServerProperties {
    /// key → (line number, value). A key given twice keeps its last value, as
    /// `java.util.Properties` does.
    entries: BTreeMap<String, (usize, String)>,
    /// The keys some lab asked for. A `RefCell`: reading a key is not a change anyone else
    /// sees, and the properties are read on one thread at start.
    read: RefCell<BTreeSet<String>>,
}

impl ServerProperties {
    /// Reads `key=value` (or `key: value`) lines; `#` and `!` start comments.
    pub fn parse(text: &str) -> ServerProperties {
        let mut entries = BTreeMap::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .or_else(|| line.split_once(':'))
                .map(|(k, v)| (k.trim(), v.trim()))
                .unwrap_or((line, ""));
            entries.insert(key.to_string(), (index + 1, value.to_string()));
        }
        ServerProperties {
            entries,
            read: RefCell::new(BTreeSet::new()),
        }
    }

    /// The value of `key`, if the file sets it; marks the key as used.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.read.borrow_mut().insert(key.to_string());
        self.entries.get(key).map(|(_, v)| v.as_str())
    }

    /// An error about `key`'s value, naming its line.
    pub fn invalid(&self, key: &str, reason: impl Into<String>) -> Error {
        Error::Config {
            line: self.entries.get(key).map_or(0, |(line, _)| *line),
            key: key.to_string(),
            reason: reason.into(),
        }
    }

    /// `key` as a whole number (`what` names it in the error), if set.
    pub fn number(&self, key: &str, what: &str) -> Result<Option<i64>> {
        self.get(key)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| self.invalid(key, format!("`{v}` is not {what}")))
            })
            .transpose()
    }

    /// `key` as `true` or `false`, if set.
    pub fn flag(&self, key: &str) -> Result<Option<bool>> {
        self.get(key)
            .map(|v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(self.invalid(key, format!("`{v}` is not true or false"))),
            })
            .transpose()
    }

    /// One warning per key that no lab read, in line order: what the key is (a later lab's, a
    /// Kafka feature the course does not build, or no Kafka key at all, with the closest one).
    pub fn unused(&self) -> Vec<String> {
        let read = self.read.borrow();
        let mut unused: Vec<(usize, &String)> = self
            .entries
            .iter()
            .filter(|(k, _)| !read.contains(*k))
            .map(|(k, (line, _))| (*line, k))
            .collect();
        unused.sort();
        unused
            .into_iter()
            .map(|(line, key)| {
                let why = crate::kafka_keys::explain(key, read.iter().map(String::as_str));
                format!("server.properties line {line}: `{key}` {why}")
            })
            .collect()
    }
}
