//! `kafkalab zookeeper-shell HOST:PORT [COMMAND ...]`: Kafka's `zookeeper-shell.sh` and
//! ZooKeeper's `zkCli.sh` in one — one command and exit, or interactive without one. Works
//! with lab 08's coordinator and with a real ZooKeeper alike.
//!
//! ```text
//! ls [-R] PATH | get PATH | stat PATH | create [-e] [-s] PATH [DATA] [ACL]
//! set PATH DATA [VERSION] | delete [-v VERSION] PATH | deleteall PATH
//! addauth SCHEME AUTH | getAcl PATH | setAcl [-v VERSION] PATH ACL | quit
//! ```
//! An ACL is zkCli.sh's `scheme:id:perms[,scheme:id:perms…]` with perms among `cdrwa`, e.g.
//! `world:anyone:r,digest:alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=:cdrwa` or `auth::cdrwa`.

use std::io::Write;
use std::time::Duration;

use lab08_znodes::acl::{parse_acl_list, perms_to_letters};
use lab08_znodes::client::{ClientError, ZkClient};
use lab08_znodes::stat::{Acl, Stat};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::commands::kafka_tools::block_on;
use crate::error::Error;

/// A time as Java's `Date.toString()` prints it, which zkCli.sh shows.
fn java_date(ms: i64) -> String {
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    t.format("%a %b %d %H:%M:%S UTC %Y").to_string()
}

fn stat_lines(s: &Stat) -> String {
    format!(
        "cZxid = 0x{:x}\nctime = {}\nmZxid = 0x{:x}\nmtime = {}\npZxid = 0x{:x}\ncversion = {}\ndataVersion = {}\naclVersion = {}\nephemeralOwner = 0x{:x}\ndataLength = {}\nnumChildren = {}\n",
        s.czxid,
        java_date(s.ctime),
        s.mzxid,
        java_date(s.mtime),
        s.pzxid,
        s.cversion,
        s.version,
        s.aversion,
        s.ephemeral_owner,
        s.data_length,
        s.num_children
    )
}

fn join(parent: &str, child: &str) -> String {
    if parent == "/" {
        format!("/{child}")
    } else {
        format!("{parent}/{child}")
    }
}

/// Every path under `path` (itself first), depth first.
async fn tree(zk: &mut ZkClient, path: &str) -> Result<Vec<String>, ClientError> {
    let mut out = vec![path.to_string()];
    let mut i = 0;
    while i < out.len() {
        let p = out[i].clone();
        let kids = zk.children(&p).await?;
        for (k, kid) in kids.into_iter().enumerate() {
            out.insert(i + 1 + k, join(&p, &kid));
        }
        i += 1;
    }
    Ok(out)
}

/// zkCli.sh's `scheme:id:perms[,…]`, or a line that says what is wrong.
fn parse_acl(text: &str) -> Result<Vec<Acl>, String> {
    parse_acl_list(text).ok_or_else(|| {
        format!("`{text}` is not an ACL: scheme:id:perms[,scheme:id:perms…] with perms among cdrwa")
    })
}

/// Runs one command; returns what to print, or a zkCli-style error line.
async fn command(zk: &mut ZkClient, words: &[String]) -> Result<String, String> {
    let usage = |u: &str| Err(format!("usage: {u}"));
    let zk_err = |e: ClientError| e.to_string();
    let args: Vec<&str> = words.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["ls", "-R", path] => Ok(tree(zk, path).await.map_err(zk_err)?.join("\n") + "\n"),
        ["ls", path] => Ok(format!(
            "[{}]\n",
            zk.children(path).await.map_err(zk_err)?.join(", ")
        )),
        ["ls", ..] => usage("ls [-R] path"),
        ["get", path] => {
            let (data, _) = zk.get(path).await.map_err(zk_err)?;
            Ok(format!(
                "{}\n",
                if data.is_empty() {
                    "null".into()
                } else {
                    String::from_utf8_lossy(&data).into_owned()
                }
            ))
        }
        ["stat", path] => match zk.exists(path).await.map_err(zk_err)? {
            Some(s) => Ok(stat_lines(&s)),
            None => Err(format!("Node does not exist: {path}")),
        },
        ["create", rest @ ..] => {
            let ephemeral = rest.contains(&"-e");
            let sequential = rest.contains(&"-s");
            let plain: Vec<&str> = rest
                .iter()
                .copied()
                .filter(|a| *a != "-e" && *a != "-s")
                .collect();
            let (path, data, acl) = match plain.as_slice() {
                [path] => (*path, "", None),
                [path, data] => (*path, *data, None),
                [path, data, acl] => (*path, *data, Some(parse_acl(acl)?)),
                _ => return usage("create [-e] [-s] path [data] [acl]"),
            };
            let flags = i32::from(ephemeral) | (i32::from(sequential) << 1);
            let acl = acl.unwrap_or_else(|| vec![Acl::open()]);
            Ok(format!(
                "Created {}\n",
                zk.create_with_acl(path, data.as_bytes(), flags, &acl)
                    .await
                    .map_err(zk_err)?
            ))
        }
        ["addauth", scheme, auth] => zk
            .add_auth(scheme, auth.as_bytes())
            .await
            .map(|()| String::new())
            .map_err(zk_err),
        ["addauth", ..] => usage("addauth scheme auth"),
        ["getAcl", path] => {
            let (acl, _) = zk.get_acl(path).await.map_err(zk_err)?;
            // zkCli.sh prints each entry as `'scheme,'id` then `: perms`.
            Ok(acl
                .iter()
                .map(|a| format!("'{},'{}\n: {}\n", a.scheme, a.id, perms_to_letters(a.perms)))
                .collect())
        }
        ["setAcl", "-v", version, path, acl] => {
            let v: i32 = version
                .parse()
                .map_err(|_| format!("version `{version}` is not a number"))?;
            zk.set_acl(path, &parse_acl(acl)?, v)
                .await
                .map(|_| String::new())
                .map_err(zk_err)
        }
        ["setAcl", path, acl] => zk
            .set_acl(path, &parse_acl(acl)?, -1)
            .await
            .map(|_| String::new())
            .map_err(zk_err),
        ["setAcl", ..] => usage("setAcl [-v version] path acl"),
        ["set", path, data] => zk
            .set(path, data.as_bytes(), -1)
            .await
            .map(|_| String::new())
            .map_err(zk_err),
        ["set", path, data, version] => {
            let v: i32 = version
                .parse()
                .map_err(|_| format!("version `{version}` is not a number"))?;
            zk.set(path, data.as_bytes(), v)
                .await
                .map(|_| String::new())
                .map_err(zk_err)
        }
        ["delete", "-v", version, path] => {
            let v: i32 = version
                .parse()
                .map_err(|_| format!("version `{version}` is not a number"))?;
            zk.delete(path, v)
                .await
                .map(|()| String::new())
                .map_err(zk_err)
        }
        ["delete", path] => zk
            .delete(path, -1)
            .await
            .map(|()| String::new())
            .map_err(zk_err),
        ["deleteall", path] => {
            let mut all = tree(zk, path).await.map_err(zk_err)?;
            all.reverse();
            for p in all {
                zk.delete(&p, -1).await.map_err(zk_err)?;
            }
            Ok(String::new())
        }
        [cmd, ..] => Err(format!(
            "unknown command `{cmd}`: ls, get, stat, create, set, delete, deleteall, addauth, getAcl, setAcl, quit"
        )),
        [] => Ok(String::new()),
    }
}

pub fn run(server: &str, words: &[String]) -> Result<bool, Error> {
    block_on(async {
        let mut zk = ZkClient::connect(server, 30_000)
            .await
            .map_err(|e| Error::Tool(e.to_string()))?;
        if !words.is_empty() {
            let result = command(&mut zk, words).await;
            let _ = zk.close().await;
            return Ok(match result {
                Ok(out) => {
                    print!("{out}");
                    true
                }
                Err(e) => {
                    eprintln!("{e}");
                    false
                }
            });
        }
        // Interactive: a prompt per line, and pings while the user thinks.
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        let mut ping =
            tokio::time::interval(Duration::from_millis((zk.timeout_ms / 3).max(500) as u64));
        let mut n = 0;
        loop {
            print!("[zk: {server}(CONNECTED) {n}] ");
            let _ = std::io::stdout().flush();
            let line = loop {
                tokio::select! {
                    line = lines.next_line() => break line,
                    _ = ping.tick() => { let _ = zk.ping().await; }
                }
            };
            let Ok(Some(line)) = line else { break };
            let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
            if matches!(words.first().map(String::as_str), Some("quit" | "exit")) {
                break;
            }
            match command(&mut zk, &words).await {
                Ok(out) => print!("{out}"),
                Err(e) => println!("{e}"),
            }
            n += 1;
        }
        println!();
        let _ = zk.close().await;
        Ok(true)
    })
}
