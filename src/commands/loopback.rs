//! `kafkalab dev loopback-throughput`: how fast bytes move over TCP on 127.0.0.1 on this
//! machine, with nothing else in the way — the ceiling for the perf tests' MB/s. One thread
//! writes `chunk`-byte buffers, another reads them, as a producer and a broker would.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

use crate::error::Error;

pub fn run(mib: u64, chunk: usize) -> Result<(), Error> {
    let (got, secs) = measure(mib, chunk)?;
    let mb = got as f64 / (1024.0 * 1024.0);
    println!(
        "{got} bytes over 127.0.0.1 in {secs:.3} s: {:.2} MB/sec ({chunk}-byte writes; MB = 1024 × 1024 bytes); \
         as 100-byte records that would be {:.0} records/sec",
        mb / secs,
        got as f64 / 100.0 / secs
    );
    Ok(())
}

/// Sends `mib` MiB in `chunk`-byte writes; returns the bytes read and the seconds it took.
pub fn measure(mib: u64, chunk: usize) -> Result<(u64, f64), Error> {
    if mib == 0 || chunk == 0 {
        return Err(Error::Tool("--mib and --chunk must be at least 1".into()));
    }
    let io = |e: std::io::Error| Error::Tool(format!("loopback: {e}"));
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io)?;
    let addr = listener.local_addr().map_err(io)?;
    let total = mib * 1024 * 1024;
    let reader = std::thread::spawn(move || -> std::io::Result<u64> {
        let (mut s, _) = listener.accept()?;
        let mut buf = vec![0u8; 256 * 1024];
        let mut got = 0u64;
        loop {
            let n = s.read(&mut buf)?;
            if n == 0 {
                return Ok(got);
            }
            got += n as u64;
        }
    });
    let mut s = TcpStream::connect(addr).map_err(io)?;
    let _ = s.set_nodelay(true);
    let data = vec![b'k'; chunk];
    let start = Instant::now();
    let mut sent = 0u64;
    while sent < total {
        let n = (total - sent).min(chunk as u64) as usize;
        s.write_all(&data[..n]).map_err(io)?;
        sent += n as u64;
    }
    drop(s);
    let got = reader
        .join()
        .map_err(|_| Error::Tool("loopback: the reader thread panicked".into()))?
        .map_err(io)?;
    Ok((got, start.elapsed().as_secs_f64()))
}
