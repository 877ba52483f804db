//! The simulation's checks.
//!
//! At every tick: the high watermark never decreases and never exceeds the log end of any ISR
//! member (as the leader caches it, or as ZooKeeper has it); each follower's log is a prefix of
//! the leader's, and its HW ≤ its LEO and ≤ the leader's HW; ISR ⊆ replicas with the leader in
//! it; every record acknowledged to an `acks=all` producer is in the log of every ISR member; a
//! follower that has not fetched for longer than `replica.lag.time.max.ms` while behind is out
//! of the ISR once the timers and ZooKeeper had their time.
//!
//! At each `acks=all` acknowledgement: the records are below the HW, on at least
//! `min.insync.replicas` replicas, with that many in the ISR. At each consumer read: nothing at
//! or above the HW.
//!
//! After the quiet end: every follower is back in the ISR, in ZooKeeper too, with the leader's
//! whole log, HW and leader epoch; every produce is answered; every ISR change announced.

use super::{Sim, FOLLOWERS, LEADER};

impl Sim {
    /// An `acks=all` produce of `n` records at `base` was answered NONE.
    pub(super) fn acknowledged(&mut self, base: i64, n: usize) {
        let p = self.partition();
        let end = base + n as i64;
        assert!(
            p.isr().len() >= self.f.min_insync_replicas,
            "acked with ISR {:?}",
            p.isr()
        );
        assert!(p.high_watermark() >= end, "acked above the HW");
        let on_followers = FOLLOWERS
            .iter()
            .filter(|id| self.followers[id].log.len() as i64 >= end)
            .count();
        assert!(
            1 + on_followers >= self.f.min_insync_replicas,
            "acked records on too few replicas"
        );
        self.acked_end = self.acked_end.max(end);
        self.count("records acknowledged (acks=all)", n as u64);
    }

    pub(super) fn check(&mut self) {
        let p = self.partition();
        let (hw, leo, lag) = (p.high_watermark(), p.log_end_offset(), self.f.lag_ms);
        assert!(
            hw >= self.last_hw,
            "HW went back from {} to {hw}",
            self.last_hw
        );
        assert_eq!(leo, self.leader_log.len() as i64);
        assert!(p.leader_epoch() <= self.zk_state.leader_epoch);
        let cached = p.isr().to_vec();
        for isr in [&cached, &self.zk_state.isr] {
            assert!(isr.contains(&LEADER), "leader not in ISR {isr:?}");
            assert!(
                isr.iter().all(|b| (1..=3).contains(b)),
                "ISR {isr:?} is not within the replicas"
            );
            for id in isr.iter().filter(|id| **id != LEADER) {
                let len = self.followers[id].log.len() as i64;
                assert!(
                    hw <= len,
                    "HW {hw} above ISR {isr:?} member {id}'s LEO {len} (cached ISR {cached:?}, pending {:?})",
                    p.pending_isr()
                );
                assert!(
                    self.acked_end <= len,
                    "ISR member {id} lacks acknowledged records"
                );
            }
        }
        let period = p.config().isr_expiration_period_ms();
        let zk_round_trip = 2 * (self.f.max_delay as i64 + 1) * self.f.tick_ms;
        // The leader's view of each follower's LEO; `differs_since` starts when it falls behind.
        let views: Vec<(i32, i64)> = FOLLOWERS
            .iter()
            .map(|id| (*id, p.replica(*id).unwrap().log_end_offset()))
            .collect();
        let (now, reset) = (self.now, self.last_leader_and_isr_at);
        for (id, view) in views {
            let f = self.followers.get_mut(&id).unwrap();
            let f_hw = f.core.high_watermark();
            assert!(
                f_hw <= f.log.len() as i64 && f_hw <= hw,
                "follower {id}'s HW {f_hw}"
            );
            assert_eq!(
                f.log[..],
                self.leader_log[..f.log.len()],
                "follower {id} diverged"
            );
            if view == leo {
                f.differs_since = None;
                continue;
            }
            let since = *f.differs_since.get_or_insert(now);
            // Out of sync once behind and not caught up for longer than the lag (a LeaderAndIsr
            // restarts that clock); then the next isr-expiration run (a second one if another
            // ISR write was in flight) and ZooKeeper's answer.
            let caught_up_at_most = f.last_fetch_at_leader.max(reset);
            let must_be_out_at = (caught_up_at_most + lag + 1).max(since)
                + 2 * period
                + zk_round_trip
                + 2 * self.f.tick_ms;
            assert!(
                now <= must_be_out_at || !cached.contains(&id),
                "follower {id}, behind since {since} with no fetch since {}, is still in the ISR at {now}",
                f.last_fetch_at_leader
            );
        }
        self.last_hw = hw;
    }

    /// Whether the quiet end has reached what `check_quiet_end` wants.
    pub(super) fn settled(&self) -> bool {
        let p = self.partition();
        p.isr().len() == 3
            && p.pending_isr().is_none()
            && self.zk_state.isr.len() == 3
            && p.high_watermark() == p.log_end_offset()
            && self.leader.isr_change_set().is_empty()
            && self.waiting.is_empty()
            && self.queue.is_empty()
            && self.followers.values().all(|f| {
                f.log.len() == self.leader_log.len()
                    && f.core.high_watermark() == p.high_watermark()
            })
    }

    pub(super) fn check_quiet_end(&mut self) {
        let p = self.partition();
        assert_eq!(
            p.isr().len(),
            3,
            "followers did not rejoin: ISR {:?}",
            p.isr()
        );
        assert_eq!(
            self.zk_state.isr.len(),
            3,
            "ZooKeeper has ISR {:?}",
            self.zk_state.isr
        );
        assert_eq!(p.zk_version(), self.zk_version);
        assert_eq!(p.leader_epoch(), self.zk_state.leader_epoch);
        assert_eq!(p.high_watermark(), p.log_end_offset());
        for f in self.followers.values() {
            assert_eq!(f.log, self.leader_log);
            assert_eq!(f.core.high_watermark(), p.high_watermark());
            assert_eq!(f.core.leader_epoch(), p.leader_epoch());
        }
        assert!(self.waiting.is_empty(), "unanswered produces");
        assert!(
            self.leader.isr_change_set().is_empty(),
            "an ISR change was never announced"
        );
        let isr_changes = self.stats.get("ISR changes").copied().unwrap_or(0);
        assert!(self.notifications <= isr_changes);
        assert_eq!(
            isr_changes == 0,
            self.notifications == 0,
            "ISR changes without a notification"
        );
        self.count("ISR change notifications", self.notifications);
    }
}
