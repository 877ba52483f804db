//! `kafkalab labs`: the course table with each lab's status.

use std::path::Path;

use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};

use crate::error::Error;
use crate::lang::Lang;
use crate::manifest::{Lab, Manifest};
use crate::progress::{Progress, Status};

/// A lab's status as the learner sees it.
pub fn status(lab: &Lab, progress: &Progress, lang: Lang) -> String {
    if lab.available().is_none() {
        return lang.pick("planned", "준비 중").to_string();
    }
    if progress.workbook_from.is_some_and(|from| lab.number < from) {
        return lang
            .pick("given (solved)", "제공됨 (풀이 포함)")
            .to_string();
    }
    match progress.labs.get(&lab.number).and_then(|p| p.status) {
        Some(Status::Passed) => lang.pick("passed", "통과").to_string(),
        Some(Status::Failing) => {
            let p = &progress.labs[&lab.number];
            let steps_done = p.steps.values().filter(|ok| **ok).count();
            format!(
                "{} ({steps_done}/{} {})",
                lang.pick("failing", "실패"),
                lab.steps.len(),
                lang.pick("steps", "단계")
            )
        }
        None => lang.pick("not started", "시작 전").to_string(),
    }
}

pub fn run(root: &Path, lang: Lang) -> Result<(), Error> {
    let manifest = Manifest::load(root)?;
    let progress = Progress::load(root)?;
    for part in &manifest.parts {
        println!(
            "\n{} {} — {}",
            lang.pick("Part", "파트"),
            part.part,
            part.title.get(lang)
        );
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
            lang.pick("Lab", "실습"),
            lang.pick("Title", "제목"),
            lang.pick("Slide topic", "슬라이드 주제"),
            lang.pick("Status", "상태"),
        ]);
        for lab in manifest.labs.iter().filter(|l| l.part == part.part) {
            table.add_row(vec![
                lab.padded(),
                lab.title.get(lang).to_string(),
                lab.topic.get(lang).to_string(),
                status(lab, &progress, lang),
            ]);
        }
        println!("{table}");
    }
    println!(
        "\n{}",
        lang.pick(
            "Check a lab: cargo lab check 1   ·   a hint: cargo lab hint 1\n\
             Your own copy (in the repository): cargo lab workbook DIR --from 1",
            "실습 확인: cargo lab check 1   ·   힌트: cargo lab hint 1\n\
             내 워크북 만들기(저장소에서): cargo lab workbook DIR --from 1"
        )
    );
    Ok(())
}
