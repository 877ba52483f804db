//! Ports for the servers a test starts as processes.
//!
//! A test picks a port, writes it into a config and starts a server that binds it a moment
//! later. The port must not be taken in between, nor while the server is down for a restart.
//! Ports the kernel hands out with `bind(0)` come from its ephemeral range
//! (`/proc/sys/net/ipv4/ip_local_port_range`, 32768–60999 by default), and that range is also
//! where every outgoing connection on the machine gets its source port: a client reconnecting,
//! or two ensemble members calling each other, can hold "our" port for as long as the
//! connection lives, and the server that should bind it cannot. So the ports here come from
//! below the ephemeral range, where the kernel never picks one by itself.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

/// The lowest port handed out: above the well-known and the usual fixed service ports
/// (Kafka's 9092, ZooKeeper's 2181, 2888, 3888, 8080 …).
const LOWEST: u32 = 10_000;

/// A port on 127.0.0.1 that nothing listens on or is connected from now, outside the kernel's
/// ephemeral range. Each test process starts at its own place in the range (from its process
/// id) and walks on from there, so two test processes rarely even try the same port.
pub fn free_port() -> u16 {
    let Some(highest) = ephemeral_low()
        .map(|low| low - 1)
        .filter(|h| *h > LOWEST + 1000)
    else {
        // No room below the ephemeral range: let the kernel pick, as before.
        return kernel_port();
    };
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let span = highest - LOWEST + 1;
    // The first call places this process in the range; later calls walk on from there.
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id().wrapping_mul(2_654_435_761) % span,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    for _ in 0..span {
        let port = (LOWEST + NEXT.fetch_add(1, Ordering::Relaxed) % span) as u16;
        // Binding without SO_REUSEADDR fails while any socket holds the port, even one
        // in TIME_WAIT: a port that binds here is really free.
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port on 127.0.0.1 between {LOWEST} and {highest}")
}

/// The first port of the kernel's ephemeral range, if it can be read.
fn ephemeral_low() -> Option<u32> {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn kernel_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_outside_the_ephemeral_range_and_differ() {
        let low = ephemeral_low().expect("Linux says its ephemeral range");
        let ports: Vec<u16> = (0..50).map(|_| free_port()).collect();
        for p in &ports {
            assert!(
                u32::from(*p) >= LOWEST && u32::from(*p) < low,
                "{p} is in 10000..{low}"
            );
        }
        let mut unique = ports.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            ports.len(),
            "a port was handed out twice: {ports:?}"
        );
    }

    #[test]
    fn a_port_in_use_is_skipped() {
        let port = free_port();
        let _held = TcpListener::bind(("127.0.0.1", port)).unwrap();
        // Walk the whole range once: the held port never comes back.
        let low = ephemeral_low().unwrap();
        for _ in 0..(low - LOWEST) {
            assert_ne!(free_port(), port);
        }
    }
}
