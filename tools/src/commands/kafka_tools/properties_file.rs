//! `--producer.config FILE` and `--consumer.config FILE`: client settings in Java's
//! properties format, as the book keeps them in `producer.config` and `consumer.config`.
//!
//! The subset read here is what such files hold: `key=value` (or `key: value`) per line,
//! blank lines, and comments starting with `#` or `!`. Java would also take a line without a
//! separator as a key with an empty value; a learner's typo (`acks all`) then silently does
//! nothing, so here it is an error naming the file and the line.

use std::path::Path;

use crate::error::Error;

/// The `(key, value)` pairs of a properties file's text, in order. `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Vec<(String, String)>, Error> {
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let at = line.find(['=', ':']);
        let Some((key, value)) = at.map(|i| (line[..i].trim(), line[i + 1..].trim())) else {
            return Err(Error::Tool(format!(
                "{file} line {}: `{line}` is not key=value",
                n + 1
            )));
        };
        if key.is_empty() {
            return Err(Error::Tool(format!(
                "{file} line {}: `{line}` has no key before its `=`",
                n + 1
            )));
        }
        pairs.push((key.to_string(), value.to_string()));
    }
    Ok(pairs)
}

/// Reads and parses `path`.
pub fn read(path: &Path) -> Result<Vec<(String, String)>, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&path.display().to_string(), &text)
}

/// Kafka's warning for a setting no part of the client reads (`AbstractConfig.logUnused`).
pub fn warn_unknown(pairs: &[(String, String)], known: &[&str]) {
    for (k, _) in pairs {
        if !known.contains(&k.as_str()) {
            eprintln!("WARN The configuration '{k}' was supplied but isn't a known config.");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn the_books_producer_config_reads_as_its_three_settings() {
        let text = "enable.idempotence=true\nmax.in.flight.requests.per.connection=5\nretries=5";
        let pairs = parse("producer.config", text).expect("valid");
        assert_eq!(
            pairs,
            vec![
                ("enable.idempotence".into(), "true".into()),
                ("max.in.flight.requests.per.connection".into(), "5".into()),
                ("retries".into(), "5".into()),
            ]
        );
    }

    #[test]
    fn comments_blanks_colons_and_spaces_are_java_properties() {
        let text = "# a comment\n! another\n\n  acks : all \nexclude.internal.topics=false\n";
        let pairs = parse("f", text).expect("valid");
        assert_eq!(
            pairs,
            vec![
                ("acks".into(), "all".into()),
                ("exclude.internal.topics".into(), "false".into()),
            ]
        );
    }

    #[test]
    fn a_line_without_a_separator_is_an_error_naming_file_and_line() {
        let err = parse(
            "consumer.config",
            "isolation.level=read_committed\nacks all\n",
        )
        .expect_err("malformed");
        assert_eq!(
            err.to_string(),
            "consumer.config line 2: `acks all` is not key=value"
        );
        let err = parse("c", "=5").expect_err("no key");
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
