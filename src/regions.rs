//! Solution regions: the marked parts of a lab's reference code that a workbook leaves to the
//! learner. The format is described in `labs/AUTHORING.md`:
//!
//! ```text
//!     // BEGIN SOLUTION step 2: decode the header fields in order
//!     ...reference code...
//!     // END SOLUTION
//! ```
//!
//! becomes `todo!("lab 02 step 2: decode the header fields in order")` at the same indentation.
//! A region may give the instruction in Korean too, on the line right after its BEGIN marker:
//!
//! ```text
//!     // BEGIN SOLUTION step 2: decode the header fields in order
//!     // ko: 헤더 필드를 순서대로 디코딩합니다
//! ```
//!
//! and a workbook made for Korean output writes `todo!("실습 02 단계 2: 헤더 필드를 ...")`.
//! This module is pure text in, text out, so every rule is testable without files.

use crate::lang::Lang;

pub const BEGIN: &str = "// BEGIN SOLUTION";
pub const END: &str = "// END SOLUTION";
/// The optional Korean instruction, on the line right after BEGIN.
pub const KO: &str = "// ko:";

/// One region as found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// 1-based line of the BEGIN marker.
    pub line: usize,
    pub step: u32,
    pub instruction: String,
    /// The instruction in Korean, from a `// ko:` line right after the BEGIN marker.
    pub ko: Option<String>,
}

/// A marker the workbook cannot turn into compiling code. `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionError {
    pub line: usize,
    pub reason: String,
}

/// Parses `step N: what to do` after the BEGIN marker.
fn parse_begin(rest: &str, line: usize) -> Result<Region, RegionError> {
    let err = |reason: &str| RegionError {
        line,
        reason: reason.to_string(),
    };
    let rest = rest
        .trim()
        .strip_prefix("step")
        .ok_or_else(|| err("a BEGIN SOLUTION marker must go on with `step N: what to do`"))?;
    let (number, instruction) = rest
        .split_once(':')
        .ok_or_else(|| err("write `step N: what to do`, with a colon after the step number"))?;
    let step = number
        .trim()
        .parse()
        .map_err(|_| err("the step number after `step` is not a whole number"))?;
    let instruction = instruction.trim();
    if instruction.is_empty() {
        return Err(err("say what the learner should do after `step N:`"));
    }
    if instruction.contains(['"', '\\', '{', '}']) {
        return Err(err(
            "the instruction may not contain \" \\ { or }: it goes into a todo!() string",
        ));
    }
    Ok(Region {
        line,
        step,
        instruction: instruction.to_string(),
        ko: None,
    })
}

/// What `walk` hands out: a line outside every region, or a whole region with the indentation
/// of its BEGIN marker.
enum Piece<'a, 'r> {
    Line(&'a str),
    Region(&'r Region, &'a str),
}

/// Walks `source` once, checking the markers and handing out each piece in order.
fn walk<'a>(source: &'a str, mut visit: impl FnMut(Piece<'a, '_>)) -> Result<(), RegionError> {
    let mut open: Option<(Region, &str)> = None;
    for (index, line) in source.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        if let (Some((region, _)), Some(ko)) = (open.as_mut(), trimmed.strip_prefix(KO)) {
            if region.line + 1 == number {
                let ko = ko.trim();
                if ko.is_empty() || ko.contains(['"', '\\', '{', '}']) {
                    return Err(RegionError {
                        line: number,
                        reason:
                            "a `// ko:` line needs the instruction in Korean, without \" \\ { or }"
                                .to_string(),
                    });
                }
                region.ko = Some(ko.to_string());
                continue;
            }
        }
        if let Some(rest) = trimmed.strip_prefix(BEGIN) {
            if let Some((region, _)) = &open {
                return Err(RegionError {
                    line: number,
                    reason: format!(
                        "regions cannot nest: the one opened at line {} is not closed",
                        region.line
                    ),
                });
            }
            open = Some((parse_begin(rest, number)?, indent));
        } else if trimmed.starts_with(END) {
            match open.take() {
                Some((region, indent)) => visit(Piece::Region(&region, indent)),
                None => {
                    return Err(RegionError {
                        line: number,
                        reason: "END SOLUTION without a BEGIN SOLUTION before it".to_string(),
                    })
                }
            }
        } else if open.is_none() {
            visit(Piece::Line(line));
        }
    }
    match open {
        Some((region, _)) => Err(RegionError {
            line: region.line,
            reason: "this region is never closed with `// END SOLUTION`".to_string(),
        }),
        None => Ok(()),
    }
}

/// Lists the regions of a file, checking that its markers are well formed.
pub fn find(source: &str) -> Result<Vec<Region>, RegionError> {
    let mut regions = Vec::new();
    walk(source, |piece| {
        if let Piece::Region(region, _) = piece {
            regions.push(region.clone());
        }
    })?;
    Ok(regions)
}

/// The skeleton of a file of lab `lab`: every region replaced by a `todo!()` naming the lab and step.
pub fn to_skeleton(source: &str, lab: u32) -> Result<String, RegionError> {
    to_skeleton_in(source, lab, Lang::En)
}

/// The `todo!()` text of a region: `lab 01 step 1: ...`, or in Korean `실습 01 단계 1: ...` when
/// the region has a `// ko:` line (else the English one).
pub fn todo_text(region: &Region, lab: u32, lang: Lang) -> String {
    match (lang, &region.ko) {
        (Lang::Ko, Some(ko)) => format!("실습 {lab:02} 단계 {}: {ko}", region.step),
        _ => format!("lab {lab:02} step {}: {}", region.step, region.instruction),
    }
}

/// `to_skeleton` with the `todo!()` texts in `lang`.
pub fn to_skeleton_in(source: &str, lab: u32, lang: Lang) -> Result<String, RegionError> {
    let mut out = String::with_capacity(source.len());
    walk(source, |piece| match piece {
        Piece::Line(line) => {
            out.push_str(line);
            out.push('\n');
        }
        Piece::Region(region, indent) => {
            let text = todo_text(region, lab, lang);
            out.push_str(&format!("{indent}todo!(\"{text}\")\n"));
        }
    })?;
    Ok(out)
}
