//! What each role of the core needs around it: a leader listens on its quorum port, a follower
//! calls its leader (on every FOLLOWERINFO), and the client port is open only while the member
//! serves; `srvr` and `mntr` say which role it has.

use std::time::Duration;

use lab08_znodes::cnxn_factory::{run as serve_clients, QuorumStatus};

use crate::messages::{ServerState, Sid};
use crate::shell::quorum_peer_main::QuorumPeerMain;
use crate::shell::servers::{listen, ServerLine};

impl QuorumPeerMain {
    /// Sets up the quorum connections of the core's current role.
    pub(super) fn update_role(&mut self) {
        let key = self.role_key();
        if self.role == Some(key) {
            return;
        }
        self.role = Some(key);
        self.unbound.quorum = false;
        self.quorum.close_all();
        self.prep = None;
        match key.state {
            ServerState::Leading => {
                self.listen_quorum();
                tracing::info!(round = key.round, "LEADING");
            }
            // The call to the leader is made when the core sends FOLLOWERINFO (`call_leader`).
            ServerState::Following => {
                tracing::info!(leader = key.leader, round = key.round, "FOLLOWING")
            }
            _ => tracing::info!(round = key.round, "LOOKING"),
        }
    }

    /// FOLLOWERINFO opens a learner's connection: a first one, or — re-sent by the core while
    /// the leader has not answered — a fresh one in place of the old (a real leader reads
    /// FOLLOWERINFO only as a connection's first packet).
    pub(super) fn call_leader(&mut self, leader: Sid) {
        self.quorum.close_all();
        let address = self.line(leader).quorum_address();
        let limit = Duration::from_millis(
            (self.config.tick_time.max(1) as u64) * self.config.init_limit.max(1) as u64,
        );
        self.quorum.follow(leader, address, limit);
    }

    pub(super) fn line(&self, sid: Sid) -> ServerLine {
        self.servers
            .iter()
            .find(|s| s.sid == sid)
            .cloned()
            .expect("every sid the core names has a server line")
    }

    /// Opens the client port while the core serves, closes it when it stops.
    pub(super) fn update_serving(&mut self) {
        let serving = self.peer.is_serving();
        if serving != self.serving {
            self.serving = serving;
            if serving {
                self.start_clients();
            } else {
                tracing::info!("not serving clients until the ensemble has a leader again");
                self.unbound.clients = false;
                self.shared.close();
                self.prep = None;
                self.pending.clear();
                self.waiting_reads.clear();
                self.results.clear();
            }
        }
        let mut status = QuorumStatus {
            mode: self.peer.state().mode().to_string(),
            mntr: Vec::new(),
        };
        if let Some((learners, synced)) = self.peer.followers() {
            status.mntr = vec![
                ("zk_learners".into(), learners.to_string()),
                ("zk_synced_followers".into(), synced.to_string()),
                ("zk_synced_non_voting_followers".into(), "0".into()),
                ("zk_synced_observers".into(), "0".into()),
            ];
        }
        self.shared.set_status(status);
    }

    /// A leader's quorum port: its learners call it. When another socket holds the port the
    /// leader stays leader and tries again on every tick; its learners retry their calls until
    /// `initLimit`, so a port freed in time still makes a quorum.
    fn listen_quorum(&mut self) {
        let me = self.line(self.config.myid);
        match listen(&me.quorum_bind()) {
            Ok(listener) => {
                if self.unbound.quorum {
                    tracing::info!("listening on the quorum port {} now", me.quorum_address());
                }
                self.unbound.quorum = false;
                let voters = self.servers.iter().map(|s| s.sid).collect();
                self.quorum.lead(listener, voters);
            }
            Err(e) => {
                if !self.unbound.quorum {
                    tracing::error!(
                        "cannot listen on the quorum port {}: {e} (trying again every tick)",
                        me.quorum_address()
                    );
                }
                self.unbound.quorum = true;
            }
        }
    }

    /// Called on every tick: binds the listeners the current role still lacks. A port can be
    /// held for a while by another socket — on loopback, even by some other program's
    /// outgoing connection, when the port lies in the kernel's ephemeral range — and a member
    /// that gave up on it would never serve again.
    pub(super) fn retry_listeners(&mut self) {
        if self.unbound.quorum && self.role_key().state == ServerState::Leading {
            self.listen_quorum();
        }
        if self.unbound.clients && self.serving {
            self.start_clients();
        }
    }

    pub(super) fn start_clients(&mut self) {
        let address = format!(
            "{}:{}",
            self.config.client_port_address, self.config.client_port
        );
        let listener = match listen(&address) {
            Ok(l) => l,
            Err(e) => {
                if !self.unbound.clients {
                    tracing::error!(
                        "cannot listen for clients on {address}: {e} (trying again every tick)"
                    );
                }
                self.unbound.clients = true;
                return;
            }
        };
        if self.unbound.clients {
            tracing::info!("listening for clients on {address} now");
        }
        self.unbound.clients = false;
        tracing::info!(%address, mode = self.peer.state().mode(), "serving clients");
        self.shared.reopen();
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let closed = shared.clone();
            serve_clients(listener, shared, async move { closed.closed().await }).await;
        });
    }
}
