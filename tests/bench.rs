//! `kafkalab bench --quick`: the command starts its own broker and coordinators, prints one
//! table with every figure's row, saves the figures as JSON, and a second run compares with the
//! first. Only the shape is checked, never a speed: the counts of `--quick` are far too small
//! to measure anything, and this machine is shared.

use std::path::Path;

use assert_cmd::Command;

/// Every row's key, in the table's order (the JSON keeps them for comparisons across runs).
const KEYS: [&str; 11] = [
    "loopback_mb_s",
    "produce_100b_rec_s",
    "produce_100b_p50_ms",
    "produce_100b_p99_ms",
    "consume_100b_rec_s",
    "produce_1kib_pct_loopback",
    "e2e_rate_rec_s",
    "e2e_p50_ms",
    "e2e_p99_ms",
    "zk_create_ops_s",
    "zk_get_ops_s",
];

fn bench(tools: &Path, json: &Path, compare: Option<&Path>) -> String {
    let mut cmd = Command::cargo_bin("kafkalab").unwrap();
    cmd.env("KAFKALAB_TOOLS", tools)
        .args(["bench", "--quick", "--json"])
        .arg(json)
        .timeout(std::time::Duration::from_secs(300));
    if let Some(previous) = compare {
        cmd.arg("--compare").arg(previous);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "bench failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn quick_bench_prints_every_row_saves_json_and_compares_with_a_previous_run() {
    let tools = kafkalab_testkit::built_tools_bin();
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.json");
    let out = bench(&tools, &first, None);
    for label in [
        "loopback TCP",
        "produce 100 B",
        "latency p50",
        "latency p99",
        "consume 100 B",
        "produce 1 KiB, share of loopback",
        "end-to-end p50",
        "end-to-end p99",
        "zk-bench create",
        "zk-bench getData",
    ] {
        assert!(out.contains(label), "no row {label:?} in:\n{out}");
    }
    assert!(out.contains("librdkafka / ZooKeeper"), "{out}");
    assert!(!out.contains("vs previous"), "{out}");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&first).unwrap()).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["quick"], true);
    let rows = json["rows"].as_array().unwrap();
    let keys: Vec<&str> = rows.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(keys, KEYS);
    for row in rows {
        for field in ["label", "unit", "ours", "reference", "higher_is_better"] {
            assert!(row.get(field).is_some(), "{field} missing in {row}");
        }
    }
    // Our own side is always measured: our tools are what this repository builds.
    for key in [
        "loopback_mb_s",
        "produce_100b_rec_s",
        "consume_100b_rec_s",
        "zk_create_ops_s",
    ] {
        let row = rows.iter().find(|r| r["key"] == key).unwrap();
        assert!(row["ours"].as_f64().is_some_and(|v| v > 0.0), "{row}");
    }

    let second = dir.path().join("second.json");
    let out = bench(&tools, &second, Some(&first));
    assert!(out.contains("ours vs previous"), "{out}");
    assert!(out.contains('%'), "{out}");
    assert!(second.is_file());
}

#[test]
fn a_compare_file_that_is_not_a_bench_json_is_refused_before_measuring() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"hello\": 1}").unwrap();
    let out = Command::cargo_bin("kafkalab")
        .unwrap()
        .env("KAFKALAB_TOOLS", "/bin/false")
        .args(["bench", "--quick", "--json"])
        .arg(dir.path().join("out.json"))
        .arg("--compare")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not a bench JSON"), "{stderr}");
}
