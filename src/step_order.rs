//! The step-order check of `kafkalab dev verify`: a learner can do every lab's steps in order.
//!
//! For each lab with steps 1..=K and each S in 0..=K, "steps ≤ S solved" (that lab's later
//! steps are skeletons, earlier labs solved) must give:
//! - every test of steps ≤ S passes (it needs nothing the learner has not written yet);
//! - every test of step S+1 fails (it reaches something step S+1 asks for).
//!
//! S = 0 is the whole lab as a skeleton; S = K is the reference, where every test passes.
//!
//! Speed, because CI runs it: one workbook in which every region is a run-time switch
//! (`step_switch`), one `cargo test --no-run` per lab, then only test binaries are run, with
//! `KAFKALAB_SOLVED_STEPS_LAB_NN=S`, and only the tests of steps ≤ S+1. Each binary runs under a
//! time limit, so a test that hangs in some configuration is reported, not waited for.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::manifest::{Lab, Manifest};
use crate::step_switch;
use crate::test_run::{self, step_of, Outcome};
use crate::workbook;

/// How long one test binary may run in one configuration. Lab tests take seconds.
const BINARY_LIMIT: Duration = Duration::from_secs(60);

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the switched workbook into `dir`, afresh: every file gets a new modification time, so
/// cargo rebuilds each lab from these sources. (Keeping unchanged files would let cargo take
/// artifacts of another workbook built into the same target folder as fresh: workspaces with
/// the same layout get the same artifact names. That is also why `target` is verify's alone.)
pub fn prepare(root: &Path, manifest: &Manifest, dir: &Path) -> Result<(), Error> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io(dir))?;
    }
    // `from` past every lab: a copy of the reference, with the workbook's relaxed lints.
    workbook::write(root, dir, u32::MAX, manifest)?;
    for lab in manifest.available() {
        let Some((_, path)) = lab.available() else {
            continue;
        };
        for file in crate::verify::rust_files(&dir.join("labs").join(path).join("src"))? {
            let text = std::fs::read_to_string(&file).map_err(io(&file))?;
            let switched =
                step_switch::to_switched(&text, lab.number).map_err(|e| Error::Region {
                    path: file.clone(),
                    line: e.line,
                    reason: e.reason,
                })?;
            if switched != text {
                std::fs::write(&file, switched).map_err(io(&file))?;
            }
        }
    }
    Ok(())
}

/// The tests a binary holds (`--list --format terse` prints `name: test`).
fn list(exe: &Path, cwd: &Path) -> Result<Vec<String>, Error> {
    let output = Command::new(exe)
        .args(["--list", "--format", "terse"])
        .current_dir(cwd)
        .output()
        .map_err(|source| Error::Spawn {
            command: format!("{} --list", exe.display()),
            source,
        })?;
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_string)
        .collect())
}

/// What one test did in one configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Passed,
    /// Failed, with the first lines of its panic message.
    Failed(String),
    /// Still running when its binary's time limit ran out.
    Hung,
    Ignored,
}

/// Runs `names` of one binary with `solved` steps of lab `lab` solved (`None`: all).
fn run_binary(
    exe: &Path,
    cwd: &Path,
    lab: u32,
    solved: Option<u32>,
    names: &[String],
) -> Result<BTreeMap<String, Verdict>, Error> {
    let shown = format!("{} (lab {lab:02}, solved {solved:?})", exe.display());
    let mut command = Command::new(exe);
    command
        .args(["--exact", "--color", "never"])
        .args(names)
        .current_dir(cwd)
        .env("CARGO_MANIFEST_DIR", cwd)
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(s) = solved {
        command.env(step_switch::variable(lab), s.to_string());
    }
    let mut child = command.spawn().map_err(|source| Error::Spawn {
        command: shown.clone(),
        source,
    })?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stdout.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    });
    let deadline = Instant::now() + BINARY_LIMIT;
    loop {
        let done = child.try_wait().map_err(|source| Error::Spawn {
            command: shown.clone(),
            source,
        })?;
        if done.is_some() {
            break;
        }
        if Instant::now() >= deadline {
            // Killing the binary closes its stdout, so the reader below finishes.
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = reader.join().unwrap_or_default();
    let failures = test_run::parse_failures(&text);
    let mut verdicts: BTreeMap<String, Verdict> =
        names.iter().map(|n| (n.clone(), Verdict::Hung)).collect();
    for line in text.lines() {
        if let Some(result) = test_run::parse_result_line(line) {
            let verdict = match result.outcome {
                Outcome::Passed => Verdict::Passed,
                Outcome::Ignored => Verdict::Ignored,
                Outcome::Failed => {
                    Verdict::Failed(failures.get(&result.name).cloned().unwrap_or_default())
                }
            };
            verdicts.insert(result.name, verdict);
        }
    }
    Ok(verdicts)
}

/// The result of the check for one lab.
pub struct LabReport {
    pub problems: Vec<String>,
    pub tests: usize,
    pub elapsed: Duration,
}

/// Builds lab `lab` in the switched workbook `dir` and runs its step-order configurations.
/// `say` gets one line per configuration.
pub fn check_lab(
    dir: &Path,
    target: &Path,
    lab: &Lab,
    crate_name: &str,
    path: &str,
    mut say: impl FnMut(&str),
) -> Result<LabReport, Error> {
    let start = Instant::now();
    let n = lab.number;
    let mut problems = Vec::new();
    // Built once, by the same code as `check` (test_run::build).
    let options = test_run::Options {
        target_dir: Some(target.to_path_buf()),
        ..test_run::Options::default()
    };
    let mut build = test_run::TestRun::default();
    let Some(built) = test_run::build(dir, crate_name, &options, &mut build, &mut |_| {})? else {
        let why = match build.compile_errors.first() {
            Some(e) => format!("{}\n\n{}", e.location_line(), e.rendered),
            None => build.stderr_tail,
        };
        problems.push(format!("lab {n}: the reference does not build:\n{why}"));
        return Ok(LabReport {
            problems,
            tests: 0,
            elapsed: start.elapsed(),
        });
    };
    say(&format!("    lab {n:02}: built in {:.0?}", start.elapsed()));
    let cwd = dir.join("labs").join(path);
    let mut binaries: Vec<(PathBuf, Vec<String>)> = Vec::new();
    for (binary, _) in built {
        let names = list(&binary.executable, &cwd)?;
        if !names.is_empty() {
            binaries.push((binary.executable, names));
        }
    }
    let all: Vec<&String> = binaries.iter().flat_map(|(_, names)| names).collect();
    for name in &all {
        match step_of(name) {
            None => problems.push(format!("lab {n}: {name} does not start with stepN_")),
            Some(step) if !lab.steps.contains_key(&step) => problems.push(format!(
                "lab {n}: {name} is for step {step}, which labs.yaml does not list"
            )),
            Some(_) => {}
        }
    }
    for step in lab.steps.keys() {
        if !all.iter().any(|name| step_of(name) == Some(*step)) {
            problems.push(format!("lab {n}: step {step} has no test"));
        }
    }

    let last = lab.steps.keys().copied().max().unwrap_or(0);
    // name → (the first configuration in which it should have passed but did not, why)
    let mut too_early: BTreeMap<String, (u32, String)> = BTreeMap::new();
    let mut passes_from: BTreeMap<String, u32> = BTreeMap::new();
    for solved in 0..=last {
        let config_start = Instant::now();
        let env = (solved < last).then_some(solved);
        let mut verdicts = BTreeMap::new();
        for (exe, names) in &binaries {
            let wanted: Vec<String> = names
                .iter()
                .filter(|name| step_of(name).is_some_and(|s| s <= solved + 1))
                .cloned()
                .collect();
            if !wanted.is_empty() {
                verdicts.extend(run_binary(exe, &cwd, n, env, &wanted)?);
            }
        }
        let (mut ok, mut bad) = (0, 0);
        for (name, verdict) in &verdicts {
            let step = step_of(name).unwrap_or(0);
            if step <= solved {
                if *verdict == Verdict::Passed {
                    ok += 1;
                    passes_from.entry(name.clone()).or_insert(solved);
                } else {
                    bad += 1;
                    let why = match verdict {
                        Verdict::Failed(message) => message.clone(),
                        Verdict::Hung => format!("still running after {BINARY_LIMIT:?}"),
                        _ => "it is ignored; lab tests always run".to_string(),
                    };
                    too_early.entry(name.clone()).or_insert((solved, why));
                    passes_from.remove(name);
                }
            } else if *verdict == Verdict::Passed {
                bad += 1;
                problems.push(format!(
                    "lab {n}: {name} passed with step {step} still a skeleton (steps ≤ {solved} \
                     solved): it does not reach a step-{step} region"
                ));
            } else {
                ok += 1;
            }
        }
        let label = match solved {
            s if s == last => "reference, every step solved".to_string(),
            0 => "no step solved, step 1 a skeleton".to_string(),
            s => format!("steps ≤ {s} solved, step {} a skeleton", s + 1),
        };
        say(&format!(
            "    lab {n:02}: {label}: {ok} as expected, {bad} not ({:.1?})",
            config_start.elapsed()
        ));
    }
    for (name, (solved, why)) in too_early {
        let passes = match passes_from.get(&name) {
            Some(from) if *from == last => " and passes only with every step solved".to_string(),
            Some(from) => format!(" and passes once step {from} is solved"),
            None => String::new(),
        };
        let why = why.lines().next().unwrap_or("").to_string();
        if solved == last {
            problems.push(format!(
                "lab {n}: {name} fails on the reference solution: {why}"
            ));
        } else {
            problems.push(format!(
                "lab {n}: {name} needs a later step: it fails with steps ≤ {solved} solved\
                 {passes}: {why}"
            ));
        }
    }
    Ok(LabReport {
        problems,
        tests: all.len(),
        elapsed: start.elapsed(),
    })
}
