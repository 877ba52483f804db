//! `kafka-dump-log`: Kafka 2.6's `DumpLogSegments`, over the files our brokers write. Each file
//! is read whole, then turned into text by a pure function per kind of file (`.log`,
//! `.snapshot`, `.index`, `.timeindex`, `.txnindex`), so the formats can be tested on bytes and
//! the shell here only reads files and prints.
//!
//! A learner points this tool at files a broker is still writing, or at a file cut short by a
//! crash: a damaged file is reported (where, and why) and the next file is dumped, as Kafka's
//! tool does — it never stops at the first bad byte.

mod indexes;
mod log_segment;
mod producer_state;

use std::path::Path;

use crate::error::Error;
use crate::kafka_cli::DumpLogArgs;

pub use log_segment::dump_log_segment;

/// What dumping one file printed: `out` for standard output, `err` for standard error.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Dump {
    pub out: String,
    pub err: String,
}

/// How deep to go into a `.log`: headers only, each record, or each record with its key and
/// payload (`--print-data-log`, which implies `--deep-iteration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogOptions {
    pub deep_iteration: bool,
    pub print_data_log: bool,
}

/// Dumps one file, chosen by its suffix as Kafka chooses. `log_bytes` is the segment's `.log`
/// when the file is an index: Kafka checks each index entry against the batch it points at.
pub fn dump_file(path: &str, bytes: &[u8], log_bytes: Option<&[u8]>, opts: LogOptions) -> Dump {
    let name = Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string());
    let mut dump = Dump {
        out: format!("Dumping {path}\n"),
        err: String::new(),
    };
    let Some(base_offset) = base_offset(&name) else {
        dump.err = format!("Ignoring unknown file {path}\n");
        return dump;
    };
    let body = match name.rsplit_once('.').map(|(_, s)| s) {
        Some("log") => log_segment::dump_log_segment(&name, base_offset, bytes, opts),
        Some("snapshot") => producer_state::dump_producer_snapshot(bytes),
        Some("txnindex") => producer_state::dump_txn_index(bytes),
        Some("index") => indexes::dump_offset_index(path, base_offset, bytes, log_bytes),
        Some("timeindex") => indexes::dump_time_index(base_offset, bytes),
        _ => Dump {
            out: String::new(),
            err: format!("Ignoring unknown file {path}\n"),
        },
    };
    dump.out.push_str(&body.out);
    dump.err.push_str(&body.err);
    dump
}

/// The base offset in a segment file's name: `00000000000000000042.log` → 42.
fn base_offset(name: &str) -> Option<i64> {
    name.split('.').next()?.parse().ok()
}

/// The tool: every file of `--files`, in order; an unreadable file is reported and skipped.
/// Returns false when any file could not be read at all.
pub fn run(args: &DumpLogArgs) -> Result<bool, Error> {
    let opts = LogOptions {
        deep_iteration: args.deep_iteration || args.print_data_log,
        print_data_log: args.print_data_log,
    };
    let mut all_read = true;
    for path in &args.files {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                println!("Dumping {path}");
                eprintln!("cannot read {path}: {e}");
                all_read = false;
                continue;
            }
        };
        let log_bytes = path
            .strip_suffix(".index")
            .and_then(|stem| std::fs::read(format!("{stem}.log")).ok());
        let dump = dump_file(path, &bytes, log_bytes.as_deref(), opts);
        print!("{}", dump.out);
        eprint!("{}", dump.err);
    }
    Ok(all_read)
}

#[cfg(test)]
mod tests;
