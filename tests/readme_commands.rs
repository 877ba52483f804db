//! Every command of the READMEs runs as written (issue 11: "README commands do not run as
//! written"). The top README and each lab's README, in English and Korean, are read; every line
//! of a code block that runs `cargo run -- …`, `cargo lab …`, `kafkalab …` or `$K …` is run in a
//! fresh workbook (made `--from 9`, as a learner makes one), in the order of its block:
//! - a server (`kafka-server-start`, `zookeeper-server-start`) is started, must answer on its
//!   port, and is stopped when its block ends; an ensemble member (a `zoo.cfg` with `server.N`
//!   lines, lab 10) opens its client port only once a quorum has elected a leader, so it must
//!   answer before the next other command of its block (or the block's end) instead;
//! - a line that prepares a server's data dir (`mkdir -p data/…`, `echo N > data/…/myid`) runs
//!   too, as the servers of its block need it;
//! - a console consumer follows its topic until stopped: it must still be running (or have
//!   ended well) after a few seconds;
//! - any other command must end with exit code 0 within a time limit (`check` of a lab that is
//!   still a skeleton in the workbook may fail its tests, but not as an error of the runner).
//!
//! `cargo run --`, `cargo lab` and `kafkalab` stand for the runner built for this test run, with
//! `KAFKALAB_TOOLS` naming the tools built with it, so nothing here waits for cargo to build the
//! tools once more. A failure names the README, the line, the command and its output.

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Commands a test cannot run, each with the reason. Keep this short: every entry is a command a
/// learner may find broken without a test telling us.
const SKIPPED: &[(&str, &str)] = &[
    // The learner's home folder: this test makes its own workbook with the same command.
    (
        "workbook ~/kafkalab-work",
        "writes into the learner's home folder",
    ),
    // `kill -9 <the server's pid>` is a placeholder for the learner to fill in.
    ("kill -9 <", "needs the pid of a server the learner started"),
    // A million records each: benchmarks, not checks (tools/tests run them small).
    ("perf-test", "a benchmark of a million records"),
    ("dev loopback-throughput", "a benchmark of 2 GiB"),
];

/// How long a one-shot command may take; `check` builds a lab the first time.
const COMMAND_LIMIT: Duration = Duration::from_secs(300);
/// How long a server may take to answer on its port.
const SERVER_LIMIT: Duration = Duration::from_secs(30);
/// How long a console consumer must keep running without an error.
const FOLLOW_TIME: Duration = Duration::from_secs(3);

/// The first lab that is a skeleton in the workbook this test makes.
const FROM: u32 = 9;

/// One command of a README, with continuation lines joined.
struct Found {
    readme: String,
    line: usize,
    text: String,
    /// Commands of one code block share its servers.
    block: usize,
}

const PREFIXES: [&str; 4] = ["cargo run ", "cargo lab ", "kafkalab ", "$K "];

fn runs_kafkalab(line: &str) -> bool {
    let starts = |s: &str| PREFIXES.iter().any(|p| s.trim_start().starts_with(p));
    starts(line) || line.split(['|', ';']).skip(1).any(starts) || line.contains("&& cargo run ")
}

/// Whether `line` only prepares data dirs under the workbook's `data/` (which `end_block`
/// removes): every command of it is `mkdir -p data/…` or `echo … > data/…`.
fn prepares_data(line: &str) -> bool {
    let line = line.split(" #").next().unwrap_or(line);
    line.split(';')
        .flat_map(|c| c.split("&&"))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .all(|c| {
            c.starts_with("mkdir -p data/") || (c.starts_with("echo ") && c.contains(" > data/"))
        })
        && !line.trim().is_empty()
}

/// The commands of one README's code blocks.
fn commands(readme: &Path, name: &str, first_block: usize) -> (Vec<Found>, usize) {
    let text = std::fs::read_to_string(readme).unwrap();
    let mut found = Vec::new();
    let mut block = first_block;
    let mut inside = false;
    let mut pending: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
            block += 1;
            continue;
        }
        if !inside {
            continue;
        }
        let (start, mut joined) = pending.take().unwrap_or((index + 1, String::new()));
        joined.push_str(line.trim());
        if let Some(head) = joined.strip_suffix('\\') {
            pending = Some((start, format!("{} ", head.trim_end())));
            continue;
        }
        if runs_kafkalab(&joined) || prepares_data(&joined) {
            found.push(Found {
                readme: name.to_string(),
                line: start,
                text: joined,
                block,
            });
        }
    }
    (found, block)
}

/// The READMEs, relative to the repository root: the top one and each lab's, in both languages.
fn readmes(repo: &Path) -> Vec<String> {
    let mut names = vec!["README.md".to_string(), "README.ko.md".to_string()];
    let mut labs: Vec<PathBuf> = std::fs::read_dir(repo.join("labs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("README.md").is_file())
        .collect();
    labs.sort();
    for lab in labs {
        let folder = lab.file_name().unwrap().to_string_lossy().into_owned();
        names.push(format!("labs/{folder}/README.md"));
        names.push(format!("labs/{folder}/README.ko.md"));
    }
    names
}

/// The shell text to run: the runner stands for `cargo run --`, `cargo lab` and `kafkalab`;
/// a trailing comment is left to the shell.
fn shell_text(command: &str) -> String {
    let mut text = command.to_string();
    for form in [
        "cargo run --release --quiet -- ",
        "cargo run --quiet -- ",
        "cargo run --release -- ",
        "cargo run -- ",
        "cargo lab ",
    ] {
        text = text.replace(form, "\"$KAFKALAB\" ");
    }
    if text.trim_start().starts_with("kafkalab ") {
        text = text.replacen("kafkalab ", "\"$KAFKALAB\" ", 1);
    }
    text
}

/// A process group running one README command through `sh`.
struct Running {
    child: Child,
    output: PathBuf,
}

impl Running {
    fn start(workbook: &Path, env: &[(&str, PathBuf)], text: &str, output: PathBuf) -> Running {
        use std::os::unix::process::CommandExt;
        let file = std::fs::File::create(&output).unwrap();
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("exec 2>&1; {text}"))
            .current_dir(workbook)
            .stdin(Stdio::null())
            .stdout(file)
            // Its own process group, so stopping it stops the tools process the runner started.
            .process_group(0);
        for (name, value) in env {
            command.env(name, value);
        }
        Running {
            child: command.spawn().unwrap(),
            output,
        }
    }

    fn output(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(&self.output) {
            let _ = file.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Waits up to `limit` for the command to end: its exit code, or None if still running.
    fn wait(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status.code().unwrap_or(-1));
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        if self.wait(Duration::from_secs(10)).is_none() {
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.stop();
        }
    }
}

fn port_answers(port: u16) -> bool {
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok()
}

/// The text of the config file a server command names in the workbook.
fn server_config(workbook: &Path, command: &str) -> String {
    let config = command
        .split_whitespace()
        .skip_while(|w| !w.ends_with("-server-start"))
        .nth(1)
        .unwrap_or("");
    std::fs::read_to_string(workbook.join(config)).unwrap_or_default()
}

/// The port a server command listens on, from the config file it names in the workbook.
fn server_port(workbook: &Path, command: &str) -> u16 {
    let (key, default) = if command.contains("kafka-server-start") {
        ("listeners=", 9092)
    } else {
        ("clientPort=", 2181)
    };
    let text = server_config(workbook, command);
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(key))
        .filter_map(|v| v.rsplit(':').next()?.trim().parse().ok())
        .next()
        .unwrap_or(default)
}

/// Whether a server command starts an ensemble member: its `zoo.cfg` has two or more
/// `server.N` lines (lab 10).
fn ensemble_member(workbook: &Path, command: &str) -> bool {
    command.contains("zookeeper-server-start")
        && server_config(workbook, command)
            .lines()
            .filter(|l| l.trim_start().starts_with("server."))
            .count()
            > 1
}

/// An ensemble member that was started and has not answered yet.
struct Member {
    /// Where its command is: `README:line: `command``.
    place: String,
    port: u16,
    /// Its index in the block's servers.
    server: usize,
}

/// Waits for every ensemble member started so far to answer on its client port: the members
/// of a block elect a leader together, so none can answer before the others have started.
fn await_members(servers: &mut [Running], members: &mut Vec<Member>) -> Vec<String> {
    let deadline = Instant::now() + SERVER_LIMIT;
    let mut failures = Vec::new();
    for member in members.drain(..) {
        let server = &mut servers[member.server];
        let port = member.port;
        let why = loop {
            if port_answers(port) {
                break None;
            }
            if let Some(code) = server.wait(Duration::from_millis(100)) {
                break Some(format!(
                    "the ensemble member ended (exit code {code}) before it answered on port {port}:\n{}",
                    server.output()
                ));
            }
            if Instant::now() >= deadline {
                break Some(format!(
                    "the ensemble member did not answer on port {port} within {SERVER_LIMIT:?} \
                     (no leader elected?):\n{}",
                    server.output()
                ));
            }
        };
        if let Some(why) = why {
            failures.push(format!("{} does not run as written: {why}", member.place));
        }
    }
    failures
}

/// Why `command` does not run as written, or None when it does.
fn run_one(
    workbook: &Path,
    env: &[(&str, PathBuf)],
    found: &Found,
    index: usize,
    servers: &mut Vec<Running>,
    members: &mut Vec<Member>,
) -> Option<String> {
    let text = shell_text(&found.text);
    let output = workbook.join(format!(".readme-command-{index}.out"));
    if found.text.contains("-server-start") {
        let port = server_port(workbook, &found.text);
        if port_answers(port) {
            return Some(format!(
                "port {port} is taken by another process before the server starts"
            ));
        }
        let mut server = Running::start(workbook, env, &format!("exec {text}"), output);
        if ensemble_member(workbook, &found.text) {
            // Checked by `await_members`, once the rest of the ensemble has started.
            members.push(Member {
                place: format!("{}:{}: `{}`", found.readme, found.line, found.text),
                port,
                server: servers.len(),
            });
            servers.push(server);
            return None;
        }
        let deadline = Instant::now() + SERVER_LIMIT;
        while !port_answers(port) {
            if let Some(code) = server.wait(Duration::from_millis(100)) {
                return Some(format!(
                    "the server ended (exit code {code}) before it answered on port {port}:\n{}",
                    server.output()
                ));
            }
            if Instant::now() >= deadline {
                let out = server.output();
                server.stop();
                return Some(format!(
                    "the server did not answer on port {port} within {SERVER_LIMIT:?}:\n{out}"
                ));
            }
        }
        servers.push(server);
        return None;
    }
    let mut running = Running::start(workbook, env, &text, output);
    if found.text.contains("kafka-console-consumer") {
        return match running.wait(FOLLOW_TIME) {
            None | Some(0) => None,
            Some(code) => Some(format!(
                "the consumer ended with exit code {code}:\n{}",
                running.output()
            )),
        };
    }
    match running.wait(COMMAND_LIMIT) {
        Some(0) => None,
        Some(1) if is_skeleton_check(&found.text) && !runner_error(&running.output()) => None,
        Some(code) => Some(format!("exit code {code}:\n{}", running.output())),
        None => {
            let out = running.output();
            running.stop();
            Some(format!("still running after {COMMAND_LIMIT:?}:\n{out}"))
        }
    }
}

/// Stops the servers of a block and removes their data (the sample configs keep it under
/// `data/`), so every README section starts as a learner who follows only it.
fn end_block(workbook: &Path, servers: &mut Vec<Running>) {
    if servers.is_empty() {
        return;
    }
    for mut server in servers.drain(..) {
        server.stop();
    }
    let data = workbook.join("data");
    if data.exists() {
        std::fs::remove_dir_all(&data).unwrap();
    }
}

/// Whether the output holds an error of the runner or of cargo (`error: …`, `error[E…]` at the
/// start of a line), or a lab that does not compile — not a failing test's message, which
/// `check` prints indented.
fn runner_error(output: &str) -> bool {
    output.contains("does not compile")
        || output
            .lines()
            .any(|l| l.starts_with("error:") || l.starts_with("error["))
}

/// `check N` of a lab that the workbook leaves as a skeleton: its tests fail, as they should.
fn is_skeleton_check(command: &str) -> bool {
    let words: Vec<&str> = command.split_whitespace().collect();
    words
        .windows(2)
        .any(|w| w[0] == "check" && w[1].parse::<u32>().is_ok_and(|n| n >= FROM))
}

#[test]
fn every_readme_command_runs_as_written_in_a_fresh_workbook() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let kafkalab = PathBuf::from(env!("CARGO_BIN_EXE_kafkalab"));
    let tools = kafkalab_testkit::built_tools_bin();

    let scratch = tempfile::tempdir().unwrap();
    let workbook = scratch.path().join("work");
    kafkalab_testkit::run_ok(
        Command::new(&kafkalab)
            .arg("workbook")
            .arg(&workbook)
            .args(["--from", &FROM.to_string()])
            .current_dir(&repo),
    );
    // `check` builds the workbook's labs into a target folder of this test's own, kept between
    // runs. Not one shared with another workbook: workspaces of the same layout get the same
    // artifact names, and cargo could take the other's build as fresh.
    let target = repo.join("target").join("kafkalab-readme-test");
    let env: Vec<(&str, PathBuf)> = vec![
        ("KAFKALAB", kafkalab.clone()),
        ("K", kafkalab.clone()),
        ("KAFKALAB_TOOLS", tools.clone()),
        ("CARGO_TARGET_DIR", target),
    ];

    let mut all = Vec::new();
    let mut block = 0;
    for name in readmes(&repo) {
        let (found, last) = commands(&repo.join(&name), &name, block);
        block = last;
        all.extend(found);
    }
    assert!(
        all.len() > 20,
        "only {} README commands found: is the search broken?",
        all.len()
    );

    let mut failures = Vec::new();
    let mut servers: Vec<Running> = Vec::new();
    let mut members: Vec<Member> = Vec::new();
    let mut current_block = usize::MAX;
    let (mut ran, mut skipped) = (0, 0);
    for (index, found) in all.iter().enumerate() {
        if found.block != current_block {
            failures.extend(await_members(&mut servers, &mut members));
            end_block(&workbook, &mut servers);
            current_block = found.block;
        }
        if let Some((_, why)) = SKIPPED.iter().find(|(s, _)| found.text.contains(s)) {
            println!(
                "skipped {}:{}: {} ({why})",
                found.readme, found.line, found.text
            );
            skipped += 1;
            continue;
        }
        println!("running {}:{}: {}", found.readme, found.line, found.text);
        ran += 1;
        if !found.text.contains("-server-start") {
            failures.extend(await_members(&mut servers, &mut members));
        }
        if let Some(why) = run_one(&workbook, &env, found, index, &mut servers, &mut members) {
            failures.push(format!(
                "{}:{}: `{}` does not run as written: {why}",
                found.readme, found.line, found.text
            ));
        }
    }
    failures.extend(await_members(&mut servers, &mut members));
    end_block(&workbook, &mut servers);
    println!("{ran} README commands ran, {skipped} skipped");
    assert!(
        failures.is_empty(),
        "{} README command(s) fail:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
