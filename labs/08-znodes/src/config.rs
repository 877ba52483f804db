//! `zoo.cfg`, read with ZooKeeper's own keys, and `dataDir/myid`. Unknown keys are reported,
//! bad values stop the server at start with the line named.

use std::path::PathBuf;

use crate::session::SessionLimits;

/// The zoo.cfg keys this server reads (and `server.N`), for a "did you mean" on a typo.
pub const KEYS: &[&str] = &[
    "tickTime",
    "initLimit",
    "syncLimit",
    "dataDir",
    "dataLogDir",
    "clientPort",
    "clientPortAddress",
    "maxClientCnxns",
    "minSessionTimeout",
    "maxSessionTimeout",
    "4lw.commands.whitelist",
    "snapCount",
    "autopurge.snapRetainCount",
    "autopurge.purgeInterval",
    "DigestAuthenticationProvider.superDigest",
    "admin.enableServer",
    "admin.serverPort",
    "standaloneEnabled",
    "reconfigEnabled",
    "preAllocSize",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZooConfig {
    /// `tickTime` (ms): the unit of the session-timeout bounds.
    pub tick_time: i32,
    pub init_limit: i32,
    pub sync_limit: i32,
    pub data_dir: PathBuf,
    /// `dataLogDir`: where the transaction log goes (default: `dataDir`).
    pub data_log_dir: Option<PathBuf>,
    pub client_port: u16,
    pub client_port_address: String,
    /// `maxClientCnxns`: connections per client IP (0: no limit).
    pub max_client_cnxns: usize,
    pub min_session_timeout: Option<i32>,
    pub max_session_timeout: Option<i32>,
    /// `server.N=host:quorumPort:electionPort[;clientPort]` (the ensemble lab uses them).
    pub servers: Vec<(i64, String)>,
    /// `4lw.commands.whitelist`: which four-letter words answer (ZooKeeper's default: `srvr`).
    pub four_letter_words: Vec<String>,
    /// `myid`, from `dataDir/myid` (0 when standalone without one).
    pub myid: i64,
    /// `snapCount`: a snapshot after about this many transactions (lab 09; default 100,000).
    pub snap_count: u64,
    /// `autopurge.snapRetainCount`: snapshots kept by a purge (default 3; fewer than 3 is
    /// raised to 3, as ZooKeeper does).
    pub snap_retain_count: usize,
    /// `autopurge.purgeInterval`: hours between purges (default 0: never purge).
    pub purge_interval_hours: u64,
    /// `DigestAuthenticationProvider.superDigest` (`super:<base64>`): ZooKeeper turns a
    /// zoo.cfg key it does not know into the system property `zookeeper.<key>`, and reads this
    /// one as the digest that makes a connection `super` (passes every ACL check).
    pub super_digest: Option<String>,
}

impl Default for ZooConfig {
    fn default() -> Self {
        ZooConfig {
            tick_time: 2_000,
            init_limit: 10,
            sync_limit: 5,
            data_dir: PathBuf::from("/tmp/zookeeper"),
            data_log_dir: None,
            client_port: 2181,
            client_port_address: "0.0.0.0".into(),
            max_client_cnxns: 60,
            min_session_timeout: None,
            max_session_timeout: None,
            servers: vec![],
            four_letter_words: vec!["srvr".into()],
            myid: 0,
            snap_count: 100_000,
            snap_retain_count: 3,
            purge_interval_hours: 0,
            super_digest: None,
        }
    }
}

impl ZooConfig {
    pub fn min_session_timeout_ms(&self) -> i32 {
        self.min_session_timeout.unwrap_or(2 * self.tick_time)
    }

    pub fn max_session_timeout_ms(&self) -> i32 {
        self.max_session_timeout.unwrap_or(20 * self.tick_time)
    }

    /// The session-timeout bounds.
    pub fn session_limits(&self) -> SessionLimits {
        SessionLimits {
            min_ms: self.min_session_timeout_ms(),
            max_ms: self.max_session_timeout_ms(),
        }
    }

    /// Parses `zoo.cfg`; returns the config and a warning per unknown key. Errors name the line.
    pub fn parse(text: &str) -> Result<(ZooConfig, Vec<String>), String> {
        let mut c = ZooConfig::default();
        let mut warnings = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .ok_or_else(|| format!("zoo.cfg line {}: `{line}` is not key=value", index + 1))?;
            let bad = |reason: String| format!("zoo.cfg line {}: {key}: {reason}", index + 1);
            let int = || {
                value
                    .parse::<i32>()
                    .map_err(|_| bad(format!("`{value}` is not a number")))
            };
            match key {
                "tickTime" => c.tick_time = int()?.max(1),
                "DigestAuthenticationProvider.superDigest" => {
                    c.super_digest = Some(value.to_string())
                }
                "initLimit" => c.init_limit = int()?,
                "syncLimit" => c.sync_limit = int()?,
                "dataDir" => c.data_dir = PathBuf::from(value),
                "dataLogDir" => c.data_log_dir = Some(PathBuf::from(value)),
                "clientPort" => {
                    c.client_port = value
                        .parse()
                        .map_err(|_| bad(format!("`{value}` is not a port")))?
                }
                "clientPortAddress" => c.client_port_address = value.to_string(),
                "maxClientCnxns" => {
                    c.max_client_cnxns = value
                        .parse()
                        .map_err(|_| bad(format!("`{value}` is not a count")))?
                }
                "minSessionTimeout" => c.min_session_timeout = Some(int()?),
                "maxSessionTimeout" => c.max_session_timeout = Some(int()?),
                "4lw.commands.whitelist" => {
                    c.four_letter_words = value
                        .split(',')
                        .map(|w| w.trim().to_string())
                        .filter(|w| !w.is_empty())
                        .collect()
                }
                "snapCount" => {
                    let n: u64 = value
                        .parse()
                        .map_err(|_| bad(format!("`{value}` is not a count")))?;
                    if n < 2 {
                        warnings.push(format!(
                            "zoo.cfg line {}: snapCount {n} is raised to the minimum, 2",
                            index + 1
                        ));
                    }
                    c.snap_count = n.max(2);
                }
                "autopurge.snapRetainCount" => {
                    let n: usize = value
                        .parse()
                        .map_err(|_| bad(format!("`{value}` is not a count")))?;
                    if n < 3 {
                        warnings.push(format!(
                            "zoo.cfg line {}: autopurge.snapRetainCount {n} is raised to the minimum, 3",
                            index + 1
                        ));
                    }
                    c.snap_retain_count = n.max(3);
                }
                "autopurge.purgeInterval" => {
                    c.purge_interval_hours = value
                        .parse()
                        .map_err(|_| bad(format!("`{value}` is not a number of hours")))?
                }
                "admin.enableServer" | "admin.serverPort" | "standaloneEnabled"
                | "reconfigEnabled" | "preAllocSize" => {}
                k if k.starts_with("server.") => {
                    let id: i64 = k["server.".len()..]
                        .parse()
                        .map_err(|_| bad("the server number is not a number".into()))?;
                    if value.split(':').count() < 3 {
                        return Err(bad(format!(
                            "`{value}` is not host:quorumPort:electionPort"
                        )));
                    }
                    c.servers.push((id, value.to_string()));
                }
                _ => warnings.push(match lab_common::typo::closest(key, KEYS.iter().copied()) {
                    Some(guess) => format!(
                        "zoo.cfg line {}: `{key}` is not used by this server; did you mean `{guess}`?",
                        index + 1
                    ),
                    None => format!(
                        "zoo.cfg line {}: `{key}` is not used by this server",
                        index + 1
                    ),
                }),
            }
        }
        if c.min_session_timeout_ms() > c.max_session_timeout_ms() {
            return Err(format!(
                "zoo.cfg: minSessionTimeout ({}) is larger than maxSessionTimeout ({})",
                c.min_session_timeout_ms(),
                c.max_session_timeout_ms()
            ));
        }
        Ok((c, warnings))
    }
}
