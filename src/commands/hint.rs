//! `kafkalab hint LAB [--level N]`: the next hint tier, or the one asked for.

use std::path::Path;

use crate::error::Error;
use crate::lang::Lang;
use crate::manifest::{Manifest, HINT_TIERS};
use crate::progress::Progress;

pub fn run(root: &Path, lab: &str, level: Option<usize>, lang: Lang) -> Result<(), Error> {
    let manifest = Manifest::load(root)?;
    let lab = manifest.find(lab)?;
    if lab.available().is_none() {
        return Err(Error::PlannedLab(lab.number));
    }
    let mut progress = Progress::load(root)?;
    let seen = progress.labs.get(&lab.number).map_or(0, |p| p.hints_seen);
    let tiers = lab.hints.len();
    // Without --level, show the tier after the last one seen, and stay on the last tier.
    let level = level.unwrap_or(seen + 1).clamp(1, tiers);
    let hint = &lab.hints[level - 1];
    println!(
        "{} {level}/{tiers} ({}) — lab {} · {}\n",
        lang.pick("Hint", "힌트"),
        HINT_TIERS[level - 1],
        lab.padded(),
        lab.title.get(lang)
    );
    println!("{}\n", hint.get(lang).trim_end());
    if level < tiers {
        println!(
            "{} kafkalab hint {}",
            lang.pick(
                "Still stuck? The next tier:",
                "아직 막히나요? 다음 단계 힌트:"
            ),
            lab.number
        );
    }
    let entry = progress.lab_mut(lab.number);
    entry.hints_seen = entry.hints_seen.max(level);
    progress.save(root)
}
