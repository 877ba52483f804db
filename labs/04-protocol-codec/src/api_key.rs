//! Which requests the broker understands, at which versions, and which versions are
//! "flexible" (compact types and tagged fields, KIP-482) — from each message's JSON spec in
//! Kafka's `clients/src/main/resources/common/message/`.
//!
//! Every request names its API and version. Old and new clients coexist because a client first
//! asks `ApiVersions` and then uses, per API, the highest version both sides support.
//!
//! The ranges are chosen for the clients the labs must serve. librdkafka (kcat 2.0.2,
//! confluent-kafka 2.16) and the Java clients take the highest common version. kafka-python
//! guesses the broker's release from the ranges it sees and sends record batch v2 (magic 2)
//! once it sees Produce ≥ 3 and Fetch ≥ 4. Kafka 4.0 clients need Produce ≥ 3, Fetch ≥ 4,
//! ListOffsets ≥ 1 (KIP-896). Metadata stops at 9 and Fetch at 11: later versions identify
//! topics by id, which this course does not have. Produce stops at 8 and ListOffsets at 5, the
//! last versions before they became flexible: every client here accepts them, and the data
//! path stays in the classic encoding (ApiVersions v3 and Metadata v9 teach the flexible one).

/// The APIs of the broker labs. Later labs add their keys here; their bodies are decoded by
/// the lab that answers them (lab 06: CreateTopics, DeleteTopics, DescribeConfigs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiKey {
    Produce,
    Fetch,
    ListOffsets,
    Metadata,
    ApiVersions,
    InitProducerId,
    CreateTopics,
    DeleteTopics,
    DescribeConfigs,
    OffsetCommit,
    OffsetFetch,
    FindCoordinator,
    JoinGroup,
    Heartbeat,
    LeaveGroup,
    SyncGroup,
    DescribeGroups,
    ListGroups,
    DeleteGroups,
}

/// A version range the broker supports for one API, as ApiVersions reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionRange {
    pub api_key: i16,
    pub min: i16,
    pub max: i16,
}

/// (API, numeric key, lowest and highest supported version, first flexible version).
///
/// The lab 06 rows start where Kafka 4.0 does (KIP-896 removed CreateTopics v0–1 and
/// DeleteTopics/DescribeConfigs v0) and stop before topic ids (CreateTopics v7, DeleteTopics v6).
///
/// The lab 07 rows (consumer groups) stop at the last version before each became flexible;
/// every client here negotiates down to them.
const TABLE: [(ApiKey, i16, i16, i16, i16); 19] = [
    (ApiKey::Produce, 0, 3, 8, 9),
    (ApiKey::Fetch, 1, 4, 11, 12),
    (ApiKey::ListOffsets, 2, 1, 5, 6),
    (ApiKey::Metadata, 3, 0, 9, 9),
    (ApiKey::ApiVersions, 18, 0, 3, 3),
    (ApiKey::InitProducerId, 22, 0, 1, 2),
    (ApiKey::CreateTopics, 19, 2, 5, 5),
    (ApiKey::DeleteTopics, 20, 1, 5, 4),
    (ApiKey::DescribeConfigs, 32, 1, 4, 4),
    (ApiKey::OffsetCommit, 8, 2, 7, 8),
    (ApiKey::OffsetFetch, 9, 1, 5, 6),
    (ApiKey::FindCoordinator, 10, 0, 2, 3),
    (ApiKey::JoinGroup, 11, 0, 5, 6),
    (ApiKey::Heartbeat, 12, 0, 3, 4),
    (ApiKey::LeaveGroup, 13, 0, 3, 4),
    (ApiKey::SyncGroup, 14, 0, 3, 4),
    (ApiKey::DescribeGroups, 15, 0, 4, 5),
    (ApiKey::ListGroups, 16, 0, 2, 3),
    (ApiKey::DeleteGroups, 42, 0, 1, 2),
];

impl ApiKey {
    /// The APIs whose bodies this crate decodes, and lab 05's broker answers.
    pub const CORE: [ApiKey; 6] = [
        ApiKey::Produce,
        ApiKey::Fetch,
        ApiKey::ListOffsets,
        ApiKey::Metadata,
        ApiKey::ApiVersions,
        ApiKey::InitProducerId,
    ];

    pub fn from_code(code: i16) -> Option<ApiKey> {
        TABLE.iter().find(|row| row.1 == code).map(|row| row.0)
    }

    fn row(self) -> (ApiKey, i16, i16, i16, i16) {
        *TABLE
            .iter()
            .find(|row| row.0 == self)
            .expect("every ApiKey has a row")
    }

    pub fn code(self) -> i16 {
        self.row().1
    }

    pub fn supports(self, version: i16) -> bool {
        let (_, _, min, max, _) = self.row();
        (min..=max).contains(&version)
    }

    /// Whether `version` of this API uses compact types and tagged fields.
    pub fn is_flexible(self, version: i16) -> bool {
        version >= self.row().4
    }
}

impl ApiKey {
    pub fn range(self) -> VersionRange {
        let (_, api_key, min, max, _) = self.row();
        VersionRange { api_key, min, max }
    }
}

/// What a broker answering `apis` reports in ApiVersions.
pub fn version_ranges(apis: &[ApiKey]) -> Vec<VersionRange> {
    apis.iter().map(|api| api.range()).collect()
}

/// What lab 05's broker reports in ApiVersions: the [`ApiKey::CORE`] APIs.
pub fn supported_versions() -> Vec<VersionRange> {
    version_ranges(&ApiKey::CORE)
}
