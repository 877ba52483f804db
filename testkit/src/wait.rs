//! Bounded waits for async tests. A test that awaits a reply that never comes hangs until the
//! harness is killed, and nobody learns which wait it was. `within` turns that into a failure
//! that names the wait: "timed out after 5s waiting for the JoinGroup response".

use std::future::Future;
use std::time::Duration;

/// Awaits `fut` for at most `secs` seconds; panics with
/// `timed out after {secs}s waiting for {what}` when it takes longer.
///
/// The limit is in tokio's time. Under `#[tokio::test(start_paused = true)]` that time jumps
/// ahead whenever every task is idle, also when they wait for a real socket: there, `within`
/// bounds simulated waits (timers, channels), and tests with real sockets run unpaused.
///
/// When the lab runner runs the test (`kafkalab check`), `within` also notes what it waits for
/// in the file named by `KAFKALAB_WAITING_FILE`, so that a test the runner must stop at its own
/// time limit (a wait longer than that, or one outside any `within`) is reported with the last
/// thing it waited for.
pub async fn within<T>(what: &str, secs: u64, fut: impl Future<Output = T>) -> T {
    note_waiting(what);
    match tokio::time::timeout(Duration::from_secs(secs), fut).await {
        Ok(value) => value,
        Err(_) => panic!("timed out after {secs}s waiting for {what}"),
    }
}

/// The blocking twin of [`within`] for tests that drive processes: calls `check` every 100 ms
/// until it returns `Ok`, for at most `secs` seconds; then panics naming the wait and the last
/// thing `check` saw.
pub fn until<T>(what: &str, secs: u64, mut check: impl FnMut() -> Result<T, String>) -> T {
    note_waiting(what);
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match check() {
            Ok(v) => return v,
            Err(last) if std::time::Instant::now() > deadline => {
                panic!("after {secs}s, still not {what}; last seen: {last}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// Appends `THREAD<TAB>WHAT` to `$KAFKALAB_WAITING_FILE`, if set. libtest names each test's
/// thread after the test, which is how the runner finds the line of the test it stopped.
fn note_waiting(what: &str) {
    use std::io::Write;
    let Some(path) = std::env::var_os("KAFKALAB_WAITING_FILE") else {
        return;
    };
    let thread = std::thread::current()
        .name()
        .unwrap_or_default()
        .to_string();
    let line = format!("{thread}\t{}\n", what.replace(['\n', '\t'], " "));
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = file.write_all(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::within;

    #[tokio::test(start_paused = true)]
    async fn a_ready_future_passes_its_value_through() {
        assert_eq!(within("a ready value", 1, async { 7 }).await, 7);
    }

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "timed out after 2s waiting for a reply that never comes")]
    async fn a_hanging_future_fails_with_what_it_waited_for() {
        within("a reply that never comes", 2, std::future::pending::<()>()).await;
    }
}
