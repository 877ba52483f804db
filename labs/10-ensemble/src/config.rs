//! The ensemble settings the core needs, in zoo.cfg's terms. The shell parses zoo.cfg and
//! `myid` into this.
//!
//! ```text
//! tickTime=2000                  one tick, in ms: every limit below counts ticks
//! initLimit=10                   a learner must finish synchronizing within this many ticks
//! syncLimit=5                    a follower silent this long is dropped; a leader without a
//!                                quorum this long steps down
//! server.1=kafka01:2888:3888     a voter: host, quorum port, election port
//! dataDir/myid                   this server's N
//! ```

use crate::error::{Error, Result};
use crate::messages::Sid;
use crate::quorum_verifier::QuorumMaj;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumConfig {
    /// `myid`.
    pub my_id: Sid,
    /// The `N` of every `server.N` line (this server's included).
    pub voters: Vec<Sid>,
    /// `tickTime` in ms: only to turn session timeouts into ticks.
    pub tick_time_ms: i64,
    /// `initLimit`, ticks.
    pub init_limit: u64,
    /// `syncLimit`, ticks.
    pub sync_limit: u64,
    /// The longest pause between re-sent election notifications, ticks (ZooKeeper doubles its
    /// wait from 200 ms up to `maxNotificationInterval`, 60 s).
    pub max_notification_interval: u64,
    /// The quorum configuration bytes sent in NEWLEADER and notifications, opaque.
    pub config_bytes: Vec<u8>,
}

impl QuorumConfig {
    /// zoo.cfg's defaults for the limits (`tickTime=2000`, `initLimit=10`, `syncLimit=5`).
    pub fn new(my_id: Sid, voters: Vec<Sid>) -> QuorumConfig {
        QuorumConfig {
            my_id,
            voters,
            tick_time_ms: 2000,
            init_limit: 10,
            sync_limit: 5,
            max_notification_interval: 8,
            config_bytes: Vec::new(),
        }
    }

    pub fn validate(&self) -> Result<()> {
        if !self.voters.contains(&self.my_id) {
            return Err(Error::Config(format!(
                "myid {} has no server.{} line: add one, or fix dataDir/myid",
                self.my_id, self.my_id
            )));
        }
        if self.tick_time_ms <= 0 || self.init_limit == 0 || self.sync_limit == 0 {
            return Err(Error::Config(
                "tickTime, initLimit and syncLimit must be positive".into(),
            ));
        }
        Ok(())
    }

    pub fn quorum(&self) -> QuorumMaj {
        QuorumMaj::new(self.voters.iter().copied())
    }
}
