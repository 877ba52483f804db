//! `kafkalab workbook DIR [--from LAB]`: write the learner's copy.

use std::io::Write;
use std::path::Path;

use crate::error::Error;
use crate::lang::Lang;
use crate::manifest::Manifest;
use crate::workbook;

pub fn run(root: &Path, dest: &Path, from: &str, lang: Lang) -> Result<(), Error> {
    let manifest = Manifest::load(root)?;
    let from = manifest.find(from)?.number;
    println!(
        "{} {}…",
        lang.pick("Writing a workbook to", "워크북을 쓰는 중:"),
        dest.display()
    );
    let mut say = |line: &str| {
        println!("  {line}");
        let _ = std::io::stdout().flush();
    };
    let written = workbook::write_with(root, dest, from, &manifest, lang, &mut say)?;
    let labs: Vec<String> = written
        .skeleton_labs
        .iter()
        .map(|n| format!("{n:02}"))
        .collect();
    println!(
        "{} {} ({} {}, {} {})",
        lang.pick("Wrote a workbook to", "워크북을 만들었습니다:"),
        dest.display(),
        written.files,
        lang.pick("files", "개 파일"),
        written.regions,
        lang.pick("regions to write", "개의 답안 영역"),
    );
    if labs.is_empty() {
        println!(
            "{}",
            lang.pick(
                "Every lab stays solved.",
                "모든 실습이 풀린 상태로 남습니다."
            )
        );
    } else {
        println!(
            "{} {}",
            lang.pick("Labs to write:", "직접 작성할 실습:"),
            labs.join(", ")
        );
    }
    println!(
        "\n  cd {}\n  cargo lab labs\n  cargo lab check {from}",
        dest.display()
    );
    let note = lang.pick(
        "(The first check builds the labs' dependencies once: a few minutes; later ones take \
             seconds. The workbook builds into its own target/ folder.)",
        "(첫 확인은 실습의 의존성을 한 번 빌드하므로 몇 분 걸리고, 그다음부터는 몇 초면 \
             됩니다. 워크북은 자신의 target/ 폴더에 빌드합니다.)",
    );
    println!("{}", crate::text::wrap(note, crate::text::MAX_WIDTH));
    Ok(())
}
