//! Step switches: a lab's reference source in which each solution region can be turned into its
//! skeleton at run time, so the step-order check (`step_order`) builds each lab once and runs
//! its tests in every "steps ≤ S solved" configuration without recompiling.
//!
//! ```text
//!     // BEGIN SOLUTION step 3: check the thing
//!     ...reference code...
//!     // END SOLUTION
//! ```
//!
//! becomes
//!
//! ```text
//!     if (solved steps of lab NN, from KAFKALAB_SOLVED_STEPS_LAB_NN) >= 3 {
//!     ...reference code...
//!     } else {
//!         todo!("lab NN step 3: check the thing")
//!     }
//! ```
//!
//! A region is the whole remaining body of a block (`labs/AUTHORING.md`), so wrapping it in an
//! `if` keeps its value, its `return`s and its `?`s. The `else` branch is the workbook's own
//! skeleton text, so a test that reaches a switched-off region panics exactly where it would
//! panic in a learner's workbook. Without the variable every region runs: the reference.
//! The variable is read once per region (a `OnceLock`), so hot loops stay fast.

use crate::regions::{self, RegionError};

/// The environment variable that says how many steps of lab `lab` are solved.
pub fn variable(lab: u32) -> String {
    format!("KAFKALAB_SOLVED_STEPS_LAB_{lab:02}")
}

/// The condition under which a region of `step` in lab `lab` runs its reference code.
fn condition(lab: u32, step: u32) -> String {
    format!(
        "({{ static SOLVED: ::std::sync::OnceLock<u32> = ::std::sync::OnceLock::new(); \
         *SOLVED.get_or_init(|| ::std::env::var(\"{}\").ok()\
         .and_then(|v| v.parse().ok()).unwrap_or(u32::MAX)) }}) >= {step}",
        variable(lab)
    )
}

/// The switched form of a file of lab `lab` (see the module docs).
pub fn to_switched(source: &str, lab: u32) -> Result<String, RegionError> {
    let found = regions::find(source)?;
    let lines: Vec<&str> = source.lines().collect();
    let mut out = String::with_capacity(source.len() + found.len() * 300);
    let mut next = 0; // index of the first line not yet written
    for region in &found {
        let begin = region.line - 1;
        // `find` has checked the markers, so the region's END is the first one after BEGIN.
        let end = (begin + 1..lines.len())
            .find(|&i| lines[i].trim_start().starts_with(regions::END))
            .ok_or_else(|| RegionError {
                line: region.line,
                reason: "this region is never closed with `// END SOLUTION`".to_string(),
            })?;
        for line in &lines[next..begin] {
            out.push_str(line);
            out.push('\n');
        }
        let marker = lines[begin];
        let indent = &marker[..marker.len() - marker.trim_start().len()];
        out.push_str(&format!("{indent}if {} {{\n", condition(lab, region.step)));
        for line in &lines[begin + 1..end] {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(&format!(
            "{indent}}} else {{\n{indent}    todo!(\"lab {lab:02} step {}: {}\")\n{indent}}}\n",
            region.step, region.instruction
        ));
        next = end + 1;
    }
    for line in &lines[next..] {
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}
