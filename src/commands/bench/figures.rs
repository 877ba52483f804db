//! What `kafkalab bench` measured: one row per figure, with our side and the reference
//! (librdkafka for the Kafka figures, Debian's ZooKeeper for zk-bench), printed as a table and
//! saved as JSON so the next run can show how each figure moved.
//!
//! Rows are matched by `key` across runs, never by position, so a row added later does not
//! shift the comparison of the others.

use comfy_table::{presets::UTF8_FULL_CONDENSED, CellAlignment, Table};
use serde::{Deserialize, Serialize};

/// The JSON layout's version; a file of another version is not compared with.
pub const FORMAT_VERSION: u32 = 1;

/// One measured figure. `None` is "not measured" (a tool missing, a step that failed), shown
/// as `n/a` and saved as `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Stable name across runs, e.g. `produce_100b_rec_s`.
    pub key: String,
    /// What a reader sees in the table.
    pub label: String,
    pub unit: String,
    /// With our client (or our coordinator).
    pub ours: Option<f64>,
    /// With the reference client or server, if the row has one.
    pub reference: Option<f64>,
    /// Whether a larger value is better (rates) or worse (latencies); for the delta's sign.
    pub higher_is_better: bool,
}

impl Row {
    pub fn new(key: &str, label: &str, unit: &str, higher_is_better: bool) -> Row {
        Row {
            key: key.into(),
            label: label.into(),
            unit: unit.into(),
            ours: None,
            reference: None,
            higher_is_better,
        }
    }

    pub fn ours(mut self, value: Option<f64>) -> Row {
        self.ours = value;
        self
    }

    pub fn reference(mut self, value: Option<f64>) -> Row {
        self.reference = value;
        self
    }
}

/// One run of `kafkalab bench`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    /// `--quick`: small counts, for a test of the command, not a measurement.
    pub quick: bool,
    /// Seconds since the Unix epoch when the run started.
    pub started_unix_s: u64,
    /// Logical CPUs of the machine: figures from machines of different sizes do not compare.
    pub cpus: usize,
    /// Records per Kafka measurement (100-byte records).
    pub records: u64,
    pub rows: Vec<Row>,
}

impl Report {
    pub fn row(&self, key: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.key == key)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }

    pub fn from_json(text: &str) -> Result<Report, String> {
        let report: Report = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if report.version != FORMAT_VERSION {
            return Err(format!(
                "format version {} (this kafkalab writes {FORMAT_VERSION})",
                report.version
            ));
        }
        Ok(report)
    }
}

/// A figure for the table: thousands separated for rates, three decimals for small numbers.
pub fn format_value(value: Option<f64>) -> String {
    match value {
        None => "n/a".into(),
        Some(v) if v.abs() >= 1000.0 => group_thousands(v.round() as i64),
        Some(v) if v.abs() >= 100.0 => format!("{v:.0}"),
        Some(v) if v.abs() >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.3}"),
    }
}

fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// The change of `now` against `before` in percent, marked `+` when it got better whichever
/// way "better" points for this row: "+12.0% (better)" / "-3.1% (worse)".
pub fn delta(now: Option<f64>, before: Option<f64>, higher_is_better: bool) -> String {
    match (now, before) {
        (Some(now), Some(before)) if before != 0.0 => {
            let change = (now - before) / before.abs() * 100.0;
            let better = (change > 0.0) == higher_is_better;
            let word = if change.abs() < 0.05 {
                "same"
            } else if better {
                "better"
            } else {
                "worse"
            };
            format!("{change:+.1}% ({word})")
        }
        _ => String::new(),
    }
}

/// The table. With `previous`, two more columns: each side's change since then.
pub fn table(report: &Report, previous: Option<&Report>) -> String {
    let mut table = Table::new();
    let mut header = vec!["figure", "unit", "ours", "librdkafka / ZooKeeper"];
    if previous.is_some() {
        header.extend(["ours vs previous", "reference vs previous"]);
    }
    table.load_preset(UTF8_FULL_CONDENSED).set_header(header);
    for row in &report.rows {
        let mut cells = vec![
            row.label.clone(),
            row.unit.clone(),
            format_value(row.ours),
            format_value(row.reference),
        ];
        if let Some(previous) = previous {
            let before = previous.row(&row.key);
            cells.push(delta(
                row.ours,
                before.and_then(|b| b.ours),
                row.higher_is_better,
            ));
            cells.push(delta(
                row.reference,
                before.and_then(|b| b.reference),
                row.higher_is_better,
            ));
        }
        table.add_row(cells);
    }
    for column in 2..table.column_count() {
        if let Some(c) = table.column_mut(column) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    table.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(ours: f64) -> Report {
        Report {
            version: FORMAT_VERSION,
            quick: true,
            started_unix_s: 0,
            cpus: 2,
            records: 10,
            rows: vec![
                Row::new("rate", "produce", "rec/s", true)
                    .ours(Some(ours))
                    .reference(Some(2_000_000.0)),
                Row::new("p99", "produce p99", "ms", false).ours(Some(ours / 1e5)),
            ],
        }
    }

    #[test]
    fn values_are_grouped_and_missing_ones_say_so() {
        assert_eq!(format_value(Some(1_234_567.4)), "1,234,567");
        assert_eq!(format_value(Some(512.0)), "512");
        assert_eq!(format_value(Some(14.25)), "14.2");
        assert_eq!(format_value(Some(0.5)), "0.500");
        assert_eq!(format_value(None), "n/a");
    }

    #[test]
    fn a_delta_says_better_in_the_rows_own_direction() {
        assert_eq!(delta(Some(110.0), Some(100.0), true), "+10.0% (better)");
        assert_eq!(delta(Some(110.0), Some(100.0), false), "+10.0% (worse)");
        assert_eq!(delta(Some(90.0), Some(100.0), false), "-10.0% (better)");
        assert_eq!(delta(None, Some(100.0), true), "");
    }

    #[test]
    fn json_round_trips_and_the_table_compares_by_key() {
        let before = report(500_000.0);
        let now = report(1_000_000.0);
        let again = Report::from_json(&now.to_json()).unwrap();
        assert_eq!(again, now);
        let text = table(&now, Some(&before));
        assert!(text.contains("+100.0% (better)"), "{text}");
        assert!(text.contains("+100.0% (worse)"), "{text}");
        assert!(text.contains("1,000,000"), "{text}");
        let mut other = now.clone();
        other.version = 99;
        assert!(Report::from_json(&other.to_json()).is_err());
    }
}
