//! `kafkalab workbook DIR [--from LAB]`: write the learner's copy.

use std::path::Path;

use crate::error::Error;
use crate::lang::Lang;
use crate::manifest::Manifest;
use crate::workbook;

pub fn run(root: &Path, dest: &Path, from: &str, lang: Lang) -> Result<(), Error> {
    let manifest = Manifest::load(root)?;
    let from = manifest.find(from)?.number;
    let written = workbook::write(root, dest, from, &manifest)?;
    let labs: Vec<String> = written
        .skeleton_labs
        .iter()
        .map(|n| format!("{n:02}"))
        .collect();
    println!(
        "{} {} ({} {}, {} {})",
        lang.pick("Wrote a workbook to", "작업본을 만들었습니다:"),
        dest.display(),
        written.files,
        lang.pick("files", "개 파일"),
        written.regions,
        lang.pick("regions to write", "개의 풀이 영역"),
    );
    if labs.is_empty() {
        println!(
            "{}",
            lang.pick("Every lab stays solved.", "모든 랩이 풀린 상태로 남습니다.")
        );
    } else {
        println!(
            "{} {}",
            lang.pick("Labs to write:", "직접 작성할 랩:"),
            labs.join(", ")
        );
    }
    println!(
        "\n  cd {}\n  cargo run -- labs\n  cargo run -- check {from}",
        dest.display()
    );
    Ok(())
}
