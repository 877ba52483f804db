//! The exactly-once benchmark of issue 18: one of our brokers (`kafka-server-start`, a broker
//! alone) on loopback and confluent-kafka (librdkafka 2.16) producing 100-byte records to one
//! partition, four ways in the same run: idempotence off (acks=all), idempotence on, and
//! transactions of 100 and of 10,000 records (`exactly_once_clients.py bench`).
//!
//! It prints a table and asserts nothing. The broker runs in a temporary directory and is
//! stopped at the end.
//!
//! ```text
//! cargo bench -p kafkalab-tools --bench exactly_once -- --records 200000
//! ```

use std::process::{Command, Stdio};

use clap::Parser;
use kafkalab_testkit::broker::{free_port, Broker};

#[derive(Debug, Parser)]
#[command(about = "produce rec/s: idempotence off/on, transactions of 100 and 10,000 records")]
struct Args {
    /// Records per run (a multiple of 10,000 keeps the transactions whole).
    #[arg(long, default_value_t = 100_000)]
    records: u64,
    /// Accepted for `cargo bench`, which passes it.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() {
    let args = Args::parse();
    if !kafkalab_testkit::python_module("confluent_kafka", "pip install confluent-kafka") {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let broker = Broker::start_with(
        dir.path(),
        free_port(),
        "num.partitions=1\ntransaction.state.log.num.partitions=4\n",
    );
    let driver =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/exactly_once_clients.py");
    let out = Command::new("timeout")
        .args(["1200", "python3"])
        .arg(driver)
        .args(["bench", "0", &broker.address(), "eos-bench"])
        .arg(args.records.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let answer: serde_json::Value = match serde_json::from_str(text.trim()) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr));
            std::process::exit(1);
        }
    };
    println!(
        "{} records of 100 B to one partition, confluent-kafka (librdkafka 2.16), one broker on loopback",
        args.records
    );
    println!("{:<26} {:>10} {:>12}", "run", "seconds", "records/s");
    let runs = [
        "idempotence off",
        "idempotence on",
        "transactions of 100",
        "transactions of 10,000",
    ];
    for name in runs {
        let s = answer["seconds"][name].as_f64().unwrap_or(f64::NAN);
        let rate = args.records as f64 / s;
        println!("{name:<26} {s:>10.2} {rate:>12.0}");
    }
    broker.stop();
}
