//! Our ensemble members bind a port that another socket holds as soon as it is freed.
//!
//! A member listens on its quorum port only while it leads, and on its client port only while
//! it serves. In between, the port is free, and on a machine where it lies in the kernel's
//! ephemeral range any outgoing connection may take it as its source port, for as long as that
//! connection lives. A member that tried once and gave up would never serve again; ours try
//! again on every tick. Here outgoing connections hold the ports on purpose.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use kafkalab_testkit::ensemble::{Ensemble, Kind};

/// An outgoing connection whose source port is `port`: what a client that happened to get
/// that port from the kernel looks like.
fn hold(runtime: &tokio::runtime::Runtime, port: u16, to: SocketAddr) -> tokio::net::TcpStream {
    runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .unwrap_or_else(|e| panic!("holding port {port}: {e}"));
        let stream = socket.connect(to).await.unwrap();
        // Closed with a reset, so that the port is free at once: a normal close would leave
        // it in TIME_WAIT, held for another minute. (Deprecated because a linger time makes
        // the drop block; a zero one does not wait.)
        #[allow(deprecated)]
        stream.set_linger(Some(Duration::ZERO)).unwrap();
        stream
    })
}

fn refused(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_err()
}

#[test]
fn ours_take_their_ports_once_other_sockets_free_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut ensemble = Ensemble::configure(dir.path(), &[Kind::Ours; 3], 100);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let to = target.local_addr().unwrap();
    // Every quorum port, so that whoever is elected first cannot listen for its followers,
    // and server.1's client port.
    let quorum_holders: Vec<_> = ensemble
        .members
        .iter()
        .map(|m| hold(&runtime, m.quorum_port, to))
        .collect();
    let client_holder = hold(&runtime, ensemble.members[0].client_port, to);
    for m in &mut ensemble.members {
        m.spawn();
    }

    // Without a quorum port nobody gets followers, so nobody serves.
    std::thread::sleep(Duration::from_secs(4));
    for m in &ensemble.members {
        assert!(
            refused(m.client_port),
            "server.{} serves without followers: {}",
            m.myid,
            m.log_tail(40)
        );
    }
    drop(quorum_holders);

    // Once the quorum ports are free: a leader and two synced followers, server.1 among them
    // (it serves, but its client port is still held).
    let leader = ensemble.wait_leader(Duration::from_secs(60));
    assert_ne!(
        leader, 0,
        "server.1 cannot answer `srvr`, so it cannot be the one found"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ensemble.members[leader]
        .four_letter("mntr")
        .contains("zk_synced_followers\t2")
    {
        assert!(
            Instant::now() < deadline,
            "the leader has not two synced followers: {}\n{}",
            ensemble.describe(),
            ensemble.members[0].log_tail(40)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(refused(ensemble.members[0].client_port));
    assert!(
        ensemble.members[0]
            .log_tail(200)
            .contains("cannot listen for clients"),
        "server.1 should have said that its client port is taken:\n{}",
        ensemble.members[0].log_tail(40)
    );

    // Freed: server.1 takes its client port on a following tick.
    drop(client_holder);
    ensemble.members[0].wait_serving(Duration::from_secs(30));
    assert_eq!(ensemble.members[0].mode().as_deref(), Some("follower"));
    drop(target);
}
