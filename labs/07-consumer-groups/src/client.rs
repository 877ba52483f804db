//! Our group consumer: a member of a consumer group. It finds the group's coordinator, joins
//! (JoinGroup, then SyncGroup — running the range assignor when it is the leader), reads the
//! committed offsets of its partitions, fetches with lab 06's consumer, heartbeats, commits,
//! and leaves. All on the caller's task: heartbeats go out from `poll`, which returns at least
//! every `fetch.max.wait.ms`, so keep calling it (Kafka's `max.poll.interval.ms` rule).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    FindCoordinatorRequest, GroupId, HeartbeatRequest, JoinGroupRequest, JoinGroupResponse,
    LeaveGroupRequest, OffsetCommitRequest, OffsetFetchRequest, SyncGroupRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use lab06_topics::client::connection::{check, error_name, BrokerConnection};
use lab06_topics::client::consumer::{
    Consumer, ConsumerConfig, ConsumerRecord, OffsetReset, StartAt,
};

use crate::assignor::range_assign;
use crate::consumer_protocol::{Assignment, Subscription};
use crate::error::{Error, Result};

/// The settings of a group member, with Kafka's names and defaults.
#[derive(Debug, Clone)]
pub struct GroupConsumerConfig {
    pub consumer: ConsumerConfig,
    /// `group.id`.
    pub group_id: String,
    /// `session.timeout.ms` (45 s since Kafka 3.0).
    pub session_timeout_ms: i32,
    /// `max.poll.interval.ms`: sent as the rebalance timeout.
    pub rebalance_timeout_ms: i32,
    /// `heartbeat.interval.ms`.
    pub heartbeat_interval_ms: u64,
    /// `enable.auto.commit`.
    pub enable_auto_commit: bool,
    /// `auto.commit.interval.ms`.
    pub auto_commit_interval_ms: u64,
}

impl Default for GroupConsumerConfig {
    fn default() -> Self {
        GroupConsumerConfig {
            consumer: ConsumerConfig::default(),
            group_id: String::new(),
            session_timeout_ms: 45_000,
            rebalance_timeout_ms: 300_000,
            heartbeat_interval_ms: 3_000,
            enable_auto_commit: true,
            auto_commit_interval_ms: 5_000,
        }
    }
}

pub struct GroupConsumer {
    config: GroupConsumerConfig,
    fetcher: Consumer,
    coordinator: Option<BrokerConnection>,
    topics: Vec<String>,
    member_id: String,
    generation_id: i32,
    joined: bool,
    assignment: Vec<(String, i32)>,
    last_heartbeat: Instant,
    last_commit: Instant,
}

fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_string())
}

impl GroupConsumer {
    pub async fn connect(config: GroupConsumerConfig) -> Result<GroupConsumer> {
        if config.group_id.is_empty() {
            return Err(Error::Client(
                "group.id is empty: a group consumer needs a group".into(),
            ));
        }
        let fetcher = Consumer::connect(config.consumer.clone()).await?;
        Ok(GroupConsumer {
            config,
            fetcher,
            coordinator: None,
            topics: vec![],
            member_id: String::new(),
            generation_id: -1,
            joined: false,
            assignment: vec![],
            last_heartbeat: Instant::now(),
            last_commit: Instant::now(),
        })
    }

    /// The topics to read; the group shares their partitions among its members.
    pub fn subscribe(&mut self, topics: &[&str]) {
        self.topics = topics.iter().map(|t| t.to_string()).collect();
        self.joined = false;
    }

    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    pub fn generation_id(&self) -> i32 {
        self.generation_id
    }

    /// The partitions this member reads now.
    pub fn assignment(&self) -> &[(String, i32)] {
        &self.assignment
    }

    async fn coordinator(&mut self) -> Result<&mut BrokerConnection> {
        if self.coordinator.is_none() {
            let request = FindCoordinatorRequest::default()
                .with_key(s(&self.config.group_id))
                .with_key_type(0);
            let cluster = self.fetcher.cluster();
            let response = cluster.any_connection().await?.call(&request).await?;
            check(
                format!("find the coordinator of group {}", self.config.group_id),
                response.error_code,
                response.error_message.as_ref(),
            )?;
            let addr = format!("{}:{}", response.host, response.port);
            let connection = BrokerConnection::connect(
                &addr,
                &self.config.consumer.client_id,
                self.config.consumer.request_timeout,
            )
            .await?;
            self.coordinator = Some(connection);
        }
        Ok(self.coordinator.as_mut().expect("set above"))
    }

    /// Joins (or rejoins) the group and takes up the partitions the leader assigns.
    /// One rebalance from this member's side: JoinGroup, the leader's assignment, SyncGroup,
    /// then each assigned partition's starting offset.
    async fn join(&mut self) -> Result<()> {
        let response = self.join_group().await?;
        self.member_id = response.member_id.to_string();
        self.generation_id = response.generation_id;
        // The leader assigns every member's partitions.
        let assignments = if response.leader == response.member_id {
            self.leader_assignments(&response).await?
        } else {
            Vec::new()
        };
        let request = SyncGroupRequest::default()
            .with_group_id(GroupId(s(&self.config.group_id)))
            .with_generation_id(self.generation_id)
            .with_member_id(s(&self.member_id))
            .with_protocol_type(Some(s("consumer")))
            .with_protocol_name(Some(s("range")))
            .with_assignments(assignments);
        let response = self.coordinator().await?.call(&request).await?;
        if response.error_code != 0 {
            // REBALANCE_IN_PROGRESS and friends: try again from the join.
            tracing::info!(group = %self.config.group_id, "sync: {}", error_name(response.error_code));
            return Ok(());
        }
        let assignment = Assignment::decode(&response.assignment)
            .map_err(|e| Error::Client(format!("the assignment: {e}")))?;
        self.assignment = assignment
            .partitions
            .iter()
            .flat_map(|(t, ps)| ps.iter().map(move |p| (t.clone(), *p)))
            .collect();
        self.start_assigned_partitions().await?;
        self.joined = true;
        self.last_heartbeat = Instant::now();
        tracing::info!(group = %self.config.group_id, member = %self.member_id, generation = self.generation_id, partitions = ?self.assignment, "joined");
        Ok(())
    }

    /// JoinGroup until the coordinator accepts it: with the member id it hands out
    /// (MEMBER_ID_REQUIRED), as a new member if ours expired, at the new coordinator if it
    /// moved.
    async fn join_group(&mut self) -> Result<JoinGroupResponse> {
        let subscription = Subscription {
            topics: self.topics.clone(),
            user_data: None,
        }
        .encode();
        loop {
            let request = JoinGroupRequest::default()
                .with_group_id(GroupId(s(&self.config.group_id)))
                .with_session_timeout_ms(self.config.session_timeout_ms)
                .with_rebalance_timeout_ms(self.config.rebalance_timeout_ms)
                .with_member_id(s(&self.member_id))
                .with_protocol_type(s("consumer"))
                .with_protocols(vec![JoinGroupRequestProtocol::default()
                    .with_name(s("range"))
                    .with_metadata(Bytes::from(subscription.clone()))]);
            let c = self.coordinator().await?;
            let (id, _) = c.send(&request).await?;
            let response = c.receive::<JoinGroupResponse>(id).await?;
            match response.error_code {
                // MEMBER_ID_REQUIRED: join again with the id the coordinator gave us.
                79 => self.member_id = response.member_id.to_string(),
                // UNKNOWN_MEMBER_ID: our membership expired; join as a new member.
                25 => self.member_id.clear(),
                27 => {}
                15 | 16 => {
                    self.coordinator = None;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                0 => return Ok(response),
                code => {
                    return Ok(
                        check(format!("join group {}", self.config.group_id), code, None)
                            .map(|()| response)?,
                    )
                }
            }
        }
    }

    /// The group leader's job: every member's partitions, by the range assignor over the
    /// members' subscriptions and the topics' partition counts.
    async fn leader_assignments(
        &mut self,
        response: &JoinGroupResponse,
    ) -> Result<Vec<SyncGroupRequestAssignment>> {
        let mut subscriptions: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for m in &response.members {
            let sub = Subscription::decode(&m.metadata)
                .map_err(|e| Error::Client(format!("a member's subscription: {e}")))?;
            subscriptions.insert(m.member_id.to_string(), sub.topics);
        }
        let mut topics: Vec<String> = subscriptions.values().flatten().cloned().collect();
        topics.sort();
        topics.dedup();
        self.fetcher.cluster().refresh(Some(&topics), false).await?;
        let cluster = self.fetcher.cluster();
        let counts: BTreeMap<String, i32> = topics
            .iter()
            .filter_map(|t| cluster.topics.get(t).map(|p| (t.clone(), p.len() as i32)))
            .collect();
        let assignments = range_assign(&subscriptions, &counts)
            .into_iter()
            .map(|(member, topics)| {
                let a = Assignment {
                    partitions: topics.into_iter().collect(),
                    user_data: None,
                };
                SyncGroupRequestAssignment::default()
                    .with_member_id(s(&member))
                    .with_assignment(Bytes::from(a.encode()))
            })
            .collect();
        Ok(assignments)
    }

    /// Starts each assigned partition at the group's committed offset, else by
    /// `auto.offset.reset`.
    async fn start_assigned_partitions(&mut self) -> Result<()> {
        let committed = self.committed().await?;
        self.fetcher.clear_assignment();
        for (topic, partition) in self.assignment.clone() {
            let start = match committed.get(&(topic.clone(), partition)) {
                Some(&offset) if offset >= 0 => StartAt::Offset(offset),
                _ => match self.config.consumer.auto_offset_reset {
                    OffsetReset::Earliest => StartAt::Earliest,
                    _ => StartAt::Latest,
                },
            };
            self.fetcher.assign(&topic, partition, start).await?;
        }
        Ok(())
    }

    /// The group's committed offsets of this member's partitions.
    pub async fn committed(&mut self) -> Result<BTreeMap<(String, i32), i64>> {
        let mut by_topic: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        for (t, p) in &self.assignment {
            by_topic.entry(t.clone()).or_default().push(*p);
        }
        let request = OffsetFetchRequest::default()
            .with_group_id(GroupId(s(&self.config.group_id)))
            .with_topics(Some(
                by_topic
                    .into_iter()
                    .map(|(t, ps)| {
                        OffsetFetchRequestTopic::default()
                            .with_name(TopicName(s(&t)))
                            .with_partition_indexes(ps)
                    })
                    .collect(),
            ));
        let response = self.coordinator().await?.call(&request).await?;
        check("fetch committed offsets", response.error_code, None)?;
        let mut out = BTreeMap::new();
        for t in &response.topics {
            for p in &t.partitions {
                check(
                    format!("committed offset of {}-{}", t.name.0, p.partition_index),
                    p.error_code,
                    None,
                )?;
                out.insert(
                    (t.name.0.to_string(), p.partition_index),
                    p.committed_offset,
                );
            }
        }
        Ok(out)
    }

    /// Commits the position of every assigned partition: "everything before it is processed".
    pub async fn commit(&mut self) -> Result<()> {
        let positions = self.fetcher.positions();
        self.commit_offsets(&positions).await
    }

    /// Commits the given (topic, partition, next offset) — for a caller that processed fewer
    /// records than `poll` handed it.
    pub async fn commit_offsets(&mut self, offsets: &[(String, i32, i64)]) -> Result<()> {
        if !self.joined {
            return Ok(());
        }
        let mut by_topic: BTreeMap<String, Vec<OffsetCommitRequestPartition>> = BTreeMap::new();
        for (topic, partition, offset) in offsets.iter().cloned() {
            by_topic.entry(topic).or_default().push(
                OffsetCommitRequestPartition::default()
                    .with_partition_index(partition)
                    .with_committed_offset(offset)
                    .with_committed_leader_epoch(-1)
                    .with_committed_metadata(Some(s(""))),
            );
        }
        let request = OffsetCommitRequest::default()
            .with_group_id(GroupId(s(&self.config.group_id)))
            .with_generation_id_or_member_epoch(self.generation_id)
            .with_member_id(s(&self.member_id))
            .with_retention_time_ms(-1)
            .with_topics(
                by_topic
                    .into_iter()
                    .map(|(t, ps)| {
                        OffsetCommitRequestTopic::default()
                            .with_name(TopicName(s(&t)))
                            .with_partitions(ps)
                    })
                    .collect(),
            );
        let response = self.coordinator().await?.call(&request).await?;
        for t in &response.topics {
            for p in &t.partitions {
                if matches!(p.error_code, 22 | 25 | 27) {
                    // The group moved on: rejoin; this commit is lost, the records will be
                    // read again by whoever owns the partition (at-least-once).
                    self.joined = false;
                }
                check(
                    format!("commit {}-{}", t.name.0, p.partition_index),
                    p.error_code,
                    None,
                )?;
            }
        }
        self.last_commit = Instant::now();
        Ok(())
    }

    async fn heartbeat(&mut self) -> Result<()> {
        let request = HeartbeatRequest::default()
            .with_group_id(GroupId(s(&self.config.group_id)))
            .with_generation_id(self.generation_id)
            .with_member_id(s(&self.member_id));
        let response = self.coordinator().await?.call(&request).await?;
        self.last_heartbeat = Instant::now();
        match response.error_code {
            0 => Ok(()),
            // Rebalance (or we were dropped): commit what we have if we may, then rejoin.
            27 | 22 | 25 => {
                if self.config.enable_auto_commit && response.error_code == 27 {
                    let _ = self.commit().await;
                }
                if response.error_code == 25 {
                    self.member_id.clear();
                }
                self.joined = false;
                Ok(())
            }
            code => Ok(check("heartbeat", code, None)?),
        }
    }

    /// Joins if needed, heartbeats and auto-commits when due, and fetches the next records of
    /// this member's partitions.
    pub async fn poll(&mut self) -> Result<Vec<ConsumerRecord>> {
        for _ in 0..20 {
            if self.joined {
                break;
            }
            self.join().await?;
        }
        if !self.joined {
            return Err(Error::Client(format!(
                "could not join group {} after 20 tries",
                self.config.group_id
            )));
        }
        if self.last_heartbeat.elapsed() >= Duration::from_millis(self.config.heartbeat_interval_ms)
        {
            self.heartbeat().await?;
            if !self.joined {
                return Ok(vec![]);
            }
        }
        if self.config.enable_auto_commit
            && self.last_commit.elapsed()
                >= Duration::from_millis(self.config.auto_commit_interval_ms)
        {
            self.commit().await?;
        }
        if self.assignment.is_empty() {
            tokio::time::sleep(Duration::from_millis(
                self.config.consumer.fetch_max_wait_ms.max(0) as u64,
            ))
            .await;
            return Ok(vec![]);
        }
        Ok(self.fetcher.poll().await?)
    }

    /// Commits (with auto-commit on) and leaves the group, so the others take over at once.
    pub async fn close(mut self) -> Result<()> {
        if self.joined && self.config.enable_auto_commit {
            self.commit().await?;
        }
        self.leave().await
    }

    /// Leaves the group without committing.
    pub async fn leave(mut self) -> Result<()> {
        if !self.member_id.is_empty() {
            let member_id = s(&self.member_id);
            let group_id = GroupId(s(&self.config.group_id));
            let c = self.coordinator().await?;
            // v3 names the leaving members in a list (KIP-345); older versions name one.
            let request = if c.version::<LeaveGroupRequest>()? >= 3 {
                LeaveGroupRequest::default()
                    .with_group_id(group_id)
                    .with_members(vec![MemberIdentity::default().with_member_id(member_id)])
            } else {
                LeaveGroupRequest::default()
                    .with_group_id(group_id)
                    .with_member_id(member_id)
            };
            let response = c.call(&request).await?;
            check("leave the group", response.error_code, None)?;
        }
        Ok(())
    }
}
