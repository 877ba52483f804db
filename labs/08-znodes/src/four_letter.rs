//! ZooKeeper's four-letter words (`ruok`, `srvr`, `stat`, `mntr`, `conf`, …): four ASCII bytes
//! sent on the client port in place of a length prefix, answered with text, then the server
//! closes the connection. Only the words in `4lw.commands.whitelist` answer.

use std::sync::atomic::Ordering;

use crate::cnxn_factory::Shared;

const WORDS: [&str; 10] = [
    "ruok", "srvr", "stat", "mntr", "conf", "envi", "cons", "dump", "wchs", "isro",
];

/// The answer to a four-letter word, or `None` if `word` is not one.
pub fn four_letter_word(word: &str, shared: &Shared) -> Option<String> {
    if !WORDS.contains(&word) {
        return None;
    }
    if !shared
        .config
        .four_letter_words
        .iter()
        .any(|w| w == word || w == "*")
    {
        return Some(format!(
            "{word} is not executed because it is not in the whitelist.\n"
        ));
    }
    let connections = shared.connection_count();
    let received = shared.received.load(Ordering::Relaxed);
    let sent = shared.sent.load(Ordering::Relaxed);
    let status = shared.status();
    let server = shared.server();
    let version = concat!(
        "kafkalab-",
        env!("CARGO_PKG_VERSION"),
        " (a teaching ZooKeeper)"
    );
    Some(match word {
        "ruok" => "imok".into(),
        "isro" => "rw".into(),
        "srvr" | "stat" => format!(
            "Zookeeper version: {version}\n{}Latency min/avg/max: 0/0.0/0\nReceived: {received}\nSent: {sent}\nConnections: {connections}\nOutstanding: 0\nZxid: 0x{:x}\nMode: {}\nNode count: {}\n",
            if word == "stat" { "Clients:\n\n" } else { "" },
            server.zxid,
            status.mode,
            // ZooKeeper's count includes the root twice (stored as "" and "/").
            server.tree.node_count() + 1
        ),
        "mntr" => format!(
            "zk_version\t{version}\nzk_server_state\t{}\nzk_znode_count\t{}\nzk_ephemerals_count\t{}\nzk_num_alive_connections\t{connections}\nzk_packets_received\t{received}\nzk_packets_sent\t{sent}\nzk_outstanding_requests\t0\n{}",
            status.mode,
            server.tree.node_count() + 1,
            server.sessions.keys().map(|s| server.tree.ephemerals(*s).len()).sum::<usize>(),
            status.mntr.iter().map(|(k, v)| format!("{k}\t{v}\n")).collect::<String>()
        ),
        "conf" => {
            let c = &shared.config;
            format!(
                "clientPort={}\ndataDir={}\ndataLogDir={}\ntickTime={}\nmaxClientCnxns={}\nminSessionTimeout={}\nmaxSessionTimeout={}\nserverId={}\n",
                c.client_port,
                c.data_dir.display(),
                c.data_log_dir.as_ref().unwrap_or(&c.data_dir).display(),
                c.tick_time,
                c.max_client_cnxns,
                c.min_session_timeout_ms(),
                c.max_session_timeout_ms(),
                c.myid
            )
        }
        _ => String::new(),
    })
}
