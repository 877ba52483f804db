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
        self.quorum.close_all();
        self.prep = None;
        match key.state {
            ServerState::Leading => {
                let me = self.line(self.config.myid);
                match listen(&me.quorum_bind()) {
                    Ok(listener) => {
                        let voters = self.servers.iter().map(|s| s.sid).collect();
                        self.quorum.lead(listener, voters);
                    }
                    Err(e) => {
                        tracing::error!(
                            "cannot listen on the quorum port {}: {e}",
                            me.quorum_address()
                        );
                    }
                }
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

    pub(super) fn start_clients(&mut self) {
        let address = format!(
            "{}:{}",
            self.config.client_port_address, self.config.client_port
        );
        let listener = match listen(&address) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("cannot listen for clients on {address}: {e}");
                return;
            }
        };
        tracing::info!(%address, mode = self.peer.state().mode(), "serving clients");
        self.shared.reopen();
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let closed = shared.clone();
            serve_clients(listener, shared, async move { closed.closed().await }).await;
        });
    }
}
