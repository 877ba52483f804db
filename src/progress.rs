//! The learner's progress record, `.kafkalab/progress.yaml` in the workbook.
//!
//! `kafkalab check` writes the result of each lab it runs; `kafkalab hint` remembers how many
//! hint tiers were shown; `kafkalab workbook` notes from which lab on the copy is a skeleton.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;

pub const PROGRESS_PATH: &str = ".kafkalab/progress.yaml";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Failing,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabProgress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default)]
    pub passed: usize,
    #[serde(default)]
    pub failed: usize,
    /// Step number → whether every test of that step passed.
    #[serde(default)]
    pub steps: BTreeMap<u32, bool>,
    /// Hint tiers seen, for a lab whose hints are one list for the whole lab.
    #[serde(default)]
    pub hints_seen: usize,
    /// Hint tiers seen per step, for a lab with hints per step.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub step_hints_seen: BTreeMap<u32, usize>,
}

impl LabProgress {
    /// The step a learner is on: the first step that failed in the last `check`; `None` when
    /// no `check` is recorded, or when every step passed.
    pub fn current_step(&self) -> Option<u32> {
        self.steps
            .iter()
            .find(|(_, passed)| !**passed)
            .map(|(step, _)| *step)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Set in a workbook: labs before this one came solved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workbook_from: Option<u32>,
    #[serde(default)]
    pub labs: BTreeMap<u32, LabProgress>,
}

impl Progress {
    fn path(root: &Path) -> PathBuf {
        root.join(PROGRESS_PATH)
    }

    /// A missing file is an empty record: nothing started yet.
    pub fn load(root: &Path) -> Result<Progress, Error> {
        let path = Self::path(root);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_yaml::from_str(&text).map_err(|e| Error::Progress {
                path,
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Progress::default()),
            Err(source) => Err(Error::Io { path, source }),
        }
    }

    pub fn save(&self, root: &Path) -> Result<(), Error> {
        let path = Self::path(root);
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let text = serde_yaml::to_string(self).map_err(|e| Error::Progress {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        // Write then rename, so an interrupted save never leaves half a file behind.
        let tmp = path.with_extension("yaml.tmp");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }

    pub fn lab_mut(&mut self, number: u32) -> &mut LabProgress {
        self.labs.entry(number).or_default()
    }
}
