//! Reading the figures out of what the benchmark tools print. Each tool keeps its own
//! established output (Kafka's perf tests, librdkafka's `rdkafka_performance`, our zk-bench),
//! so the bench reads those lines rather than asking the tools for a new format.

/// `kafka-producer-perf-test`'s last line:
/// `N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, P50 ms 50th, P95 ms 95th, P99 ms 99th, P999 ms 99.9th.`
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProducerLine {
    pub records_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// The number just before `marker` in `line` (`"512 ms 50th"`, marker `" ms 50th"` → 512).
fn number_before(line: &str, marker: &str) -> Option<f64> {
    let head = &line[..line.find(marker)?];
    let start = head
        .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or(0, |i| i + 1);
    head[start..].parse().ok()
}

pub fn producer_perf(output: &str) -> Option<ProducerLine> {
    let line = output
        .lines()
        .rev()
        .find(|l| l.contains("records sent") && l.contains("99.9th"))?;
    Some(ProducerLine {
        records_per_sec: number_before(line, " records/sec")?,
        p50_ms: number_before(line, " ms 50th")?,
        p99_ms: number_before(line, " ms 99th")?,
    })
}

/// `kafka-consumer-perf-test`'s totals line (after its header): `nMsg.sec` is the sixth field.
pub fn consumer_perf(output: &str) -> Option<f64> {
    let line = output
        .lines()
        .rev()
        .find(|l| l.split(", ").count() == 10 && !l.starts_with("start.time"))?;
    line.split(", ").nth(5)?.trim().parse().ok()
}

/// `rdkafka_performance`'s summary, producer or consumer:
/// `% 100 messages produced (10000 bytes), 100 delivered (offset 0, 0 failed) in 12ms: 8333 msgs/s and 0.83 MB/s, …`
/// `% 100 messages (10000 bytes) consumed in 3ms: 33333 msgs/s (3.33 MB/s)`
pub fn rdkafka_rate(output: &str) -> Option<f64> {
    let line = output
        .lines()
        .rev()
        .find(|l| l.starts_with("% ") && l.contains(" msgs/s"))?;
    number_before(line, " msgs/s")
}

/// `rdkafka_performance -A FILE`: one latency a line, in microseconds.
pub fn latencies_us(text: &str) -> Vec<u64> {
    let mut all: Vec<u64> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
    all.sort_unstable();
    all
}

/// Kafka's percentile rule: the value at index ⌊p × n⌋ of the sorted values.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    let last = sorted.len().checked_sub(1)?;
    Some(sorted[((p * sorted.len() as f64) as usize).min(last)])
}

/// zk-bench's row for `phase` (`create`, `getData`, …): its ops/sec, the third column.
pub fn zk_bench_ops(output: &str, phase: &str) -> Option<f64> {
    let line = output
        .lines()
        .find(|l| l.split_whitespace().next() == Some(phase))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_producer_perf_tests_last_line() {
        let out = "500 records sent, 100.0 records/sec (0.01 MB/sec), 1.0 ms avg latency, 2.0 ms max latency.\n\
            1000000 records sent, 512371.134021 records/sec (48.86 MB/sec), 10.37 ms avg latency, 152.00 ms max latency, 9 ms 50th, 21 ms 95th, 35 ms 99th, 140 ms 99.9th.\n";
        assert_eq!(
            producer_perf(out),
            Some(ProducerLine {
                records_per_sec: 512371.134021,
                p50_ms: 9.0,
                p99_ms: 35.0
            })
        );
        assert_eq!(producer_perf("nothing"), None);
    }

    #[test]
    fn the_consumer_perf_tests_totals() {
        let out = "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n\
            2026-11-25 01:02:03:456, 2026-11-25 01:02:05:789, 95.3674, 40.8741, 1000000, 428595.7993, 0, 2333, 40.8741, 428595.7993\n";
        assert_eq!(consumer_perf(out), Some(428595.7993));
        assert_eq!(consumer_perf(out.lines().next().unwrap()), None);
    }

    #[test]
    fn rdkafka_performance_summaries() {
        let produced = "% Sending 100 messages of size 100 bytes\n\
            % 100 messages produced (10000 bytes), 100 delivered (offset 0, 0 failed) in 12ms: 8333 msgs/s and 0.83 MB/s, 0 produce failures, 0 in queue, no compression\n";
        assert_eq!(rdkafka_rate(produced), Some(8333.0));
        let consumed = "% 100 messages (10000 bytes) consumed in 3ms: 33333 msgs/s (3.33 MB/s)\n";
        assert_eq!(rdkafka_rate(consumed), Some(33333.0));
    }

    #[test]
    fn latency_files_and_percentiles() {
        let sorted = latencies_us("300\n100\n\n200\n");
        assert_eq!(sorted, vec![100, 200, 300]);
        assert_eq!(percentile(&sorted, 0.5), Some(200));
        assert_eq!(percentile(&sorted, 0.99), Some(300));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn zk_bench_rows() {
        let out = "8 clients x 1000 ops, 100-byte znodes, against 127.0.0.1:2181\n\
            phase           ops      ops/sec    avg ms    p50 ms    p95 ms    p99 ms    max ms\n\
            create         8000       4210.5     1.900     1.800     2.500     3.000     9.000\n\
            getData        8000      30210.0     0.260     0.250     0.400     0.500     1.000\n";
        assert_eq!(zk_bench_ops(out, "create"), Some(4210.5));
        assert_eq!(zk_bench_ops(out, "getData"), Some(30210.0));
        assert_eq!(zk_bench_ops(out, "delete"), None);
    }
}
