//! `kafkalab hint LAB [--step S] [--level N]`: the next hint tier for the step you are on.
//!
//! The step is the first one that failed in the lab's last `check` (recorded in the progress
//! file), or `--step`. Without a recorded `check` it is the lab's first step: running the
//! lab's tests here would make a hint cost a build. Each call shows the next tier of that step
//! (nudge, design, sketch); after the third it says so instead of repeating it.

use std::path::Path;

use crate::error::Error;
use crate::lang::Lang;
use crate::manifest::{tier_label, Hints, Lab, Manifest};
use crate::progress::{LabProgress, Progress};
use crate::text::{wrap, MAX_WIDTH};

/// Which step to give a hint for, and a note for the learner on how it was chosen.
pub fn choose_step(
    lab: &Lab,
    record: Option<&LabProgress>,
    asked: Option<u32>,
    lang: Lang,
) -> Result<(u32, Option<String>), Error> {
    if let Some(step) = asked {
        if !lab.steps.contains_key(&step) {
            return Err(Error::UnknownStep {
                lab: lab.number,
                step,
            });
        }
        return Ok((step, None));
    }
    let first = *lab
        .steps
        .keys()
        .next()
        .ok_or(Error::PlannedLab(lab.number))?;
    let record = record.filter(|r| !r.steps.is_empty());
    match record.map(LabProgress::current_step) {
        None => Ok((
            first,
            Some(format!(
                "{} cargo lab check {}",
                lang.pick(
                    "No check of this lab is recorded yet, so this is step 1's hint. To have hints \
                     follow your progress, run",
                    "이 실습의 확인 기록이 아직 없어 첫 단계의 힌트를 보여 줍니다. 진행에 맞는 \
                     힌트를 받으려면 실행하세요:"
                ),
                lab.number
            )),
        )),
        Some(Some(step)) => Ok((step, None)),
        Some(None) => {
            let last = *lab.steps.keys().next_back().unwrap_or(&first);
            Ok((
                last,
                Some(
                    lang.pick(
                        "Every step passed in your last check; here is the last step's hint.",
                        "마지막 확인에서 모든 단계가 통과했습니다. 마지막 단계의 힌트입니다.",
                    )
                    .to_string(),
                ),
            ))
        }
    }
}

pub fn run(
    root: &Path,
    lab: &str,
    step: Option<u32>,
    level: Option<usize>,
    lang: Lang,
) -> Result<(), Error> {
    let manifest = Manifest::load(root)?;
    let lab = manifest.find(lab)?;
    if lab.available().is_none() {
        return Err(Error::PlannedLab(lab.number));
    }
    let mut progress = Progress::load(root)?;
    let (step, note) = choose_step(lab, progress.labs.get(&lab.number), step, lang)?;
    let tiers = lab.hints.for_step(step).ok_or(Error::NoHints {
        lab: lab.number,
        step,
    })?;
    let entry = progress.lab_mut(lab.number);
    let per_step = lab.hints.is_per_step();
    let seen = if per_step {
        entry.step_hints_seen.get(&step).copied().unwrap_or(0)
    } else {
        entry.hints_seen
    };
    if let Some(note) = &note {
        println!("{}\n", wrap(note, MAX_WIDTH));
    }
    let again = format!(
        "cargo lab hint {} --step {step} --level {}",
        lab.number,
        tiers.len()
    );
    let level = match level {
        Some(level) => level.clamp(1, tiers.len()),
        None if seen >= tiers.len() => {
            let text = match lang {
                Lang::En => format!(
                    "You have seen all {} tiers of step {step} (nudge, design, sketch); there are \
                     no more. Show one again with --level, e.g. {again}",
                    tiers.len()
                ),
                Lang::Ko => format!(
                    "단계 {step}의 힌트 {}개(실마리, 설계, 코드 스케치)를 모두 보았습니다. 더 \
                     없습니다. 다시 보려면 --level을 쓰세요. 예: {again}",
                    tiers.len()
                ),
            };
            println!("{}", wrap(&text, MAX_WIDTH));
            return Ok(());
        }
        None => seen + 1,
    };
    let title = lab.steps.get(&step).map_or("", |t| t.get(lang));
    let scope = match (&lab.hints, lang) {
        (Hints::PerStep(_), Lang::En) => format!("step {step}: {title}"),
        (Hints::PerStep(_), Lang::Ko) => format!("단계 {step}: {title}"),
        (Hints::Lab(_), _) => lab.title.get(lang).to_string(),
    };
    let header = format!(
        "{} {level}/{} ({}) — {} {} · {scope}",
        lang.pick("Hint", "힌트"),
        tiers.len(),
        tier_label(level, lang),
        lang.pick("lab", "실습"),
        lab.padded(),
    );
    println!("{}\n", wrap(&header, MAX_WIDTH));
    let text = tiers[level - 1].get(lang).trim_end();
    // The sketch (third tier) is code: wrapping would break a line in the middle of an
    // expression, so it is printed as written.
    if level >= 3 {
        println!("{text}\n");
    } else {
        println!("{}\n", wrap(text, MAX_WIDTH));
    }
    if level < tiers.len() {
        let next = if per_step {
            format!("cargo lab hint {} --step {step}", lab.number)
        } else {
            format!("cargo lab hint {}", lab.number)
        };
        println!(
            "{} {next}",
            lang.pick(
                "Still stuck? The next tier of this step:",
                "아직 막히나요? 이 단계의 다음 힌트:"
            ),
        );
    }
    if per_step {
        let seen = entry.step_hints_seen.entry(step).or_default();
        *seen = (*seen).max(level);
    } else {
        entry.hints_seen = entry.hints_seen.max(level);
    }
    progress.save(root)
}
