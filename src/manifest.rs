//! The course manifest, `labs/labs.yaml`: which labs exist, what they teach, their steps and hints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;
use crate::lang::Lang;

/// Where the manifest lives, relative to the workspace root.
pub const MANIFEST_PATH: &str = "labs/labs.yaml";

/// The same text in every language a learner can choose.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Text {
    pub en: String,
    pub ko: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Ko => &self.ko,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub part: u32,
    pub title: Text,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lab {
    pub number: u32,
    /// The Cargo package name. A lab without one is planned, not written yet.
    #[serde(rename = "crate")]
    pub crate_name: Option<String>,
    /// The lab's folder under `labs/`.
    pub path: Option<String>,
    pub part: u32,
    pub title: Text,
    /// The slide topic the lab teaches.
    pub topic: Text,
    #[serde(default)]
    pub requires: Vec<u32>,
    /// What each `stepN_` test checks, by step number.
    #[serde(default)]
    pub steps: BTreeMap<u32, Text>,
    /// Three tiers (a nudge, the design, a sketch) for each step, or for the whole lab.
    #[serde(default)]
    pub hints: Hints,
}

/// A lab's hints: per step (`hints: {1: [nudge, design, sketch], 2: [...]}`), or, in the older
/// form still read, one list of three tiers for the whole lab.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Hints {
    PerStep(BTreeMap<u32, Vec<Text>>),
    Lab(Vec<Text>),
}

impl Default for Hints {
    fn default() -> Self {
        Hints::Lab(Vec::new())
    }
}

impl Hints {
    /// The tiers for `step`: its own, or in the older form the whole lab's.
    pub fn for_step(&self, step: u32) -> Option<&[Text]> {
        match self {
            Hints::PerStep(steps) => steps.get(&step).map(Vec::as_slice),
            Hints::Lab(tiers) => Some(tiers),
        }
    }

    pub fn is_per_step(&self) -> bool {
        matches!(self, Hints::PerStep(_))
    }
}

/// The names of the hint tiers, in the order `kafkalab hint` shows them.
pub const HINT_TIERS: [&str; 3] = ["nudge", "design", "sketch"];
/// The same names in Korean (docs/glossary.md).
pub const HINT_TIERS_KO: [&str; 3] = ["실마리", "설계", "코드 스케치"];

/// The name of tier `level` (1-based) in `lang`.
pub fn tier_label(level: usize, lang: Lang) -> &'static str {
    let index = level.clamp(1, HINT_TIERS.len()) - 1;
    match lang {
        Lang::En => HINT_TIERS[index],
        Lang::Ko => HINT_TIERS_KO[index],
    }
}

impl Lab {
    /// A written lab: it has a crate and a folder.
    pub fn available(&self) -> Option<(&str, &str)> {
        Some((self.crate_name.as_deref()?, self.path.as_deref()?))
    }

    /// `01`, `02`, ...: the form used in folder names and `todo!` messages.
    pub fn padded(&self) -> String {
        format!("{:02}", self.number)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub parts: Vec<Part>,
    pub labs: Vec<Lab>,
}

impl Manifest {
    pub fn load(root: &Path) -> Result<Manifest, Error> {
        let path = root.join(MANIFEST_PATH);
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: PathBuf) -> Result<Manifest, Error> {
        let manifest: Manifest = serde_yaml::from_str(text).map_err(|e| Error::Manifest {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        manifest
            .validate()
            .map_err(|reason| Error::Manifest { path, reason })?;
        Ok(manifest)
    }

    /// Rules a course author can break by editing the YAML; each message names the lab.
    fn validate(&self) -> Result<(), String> {
        let mut previous = 0;
        for lab in &self.labs {
            let n = lab.number;
            if n <= previous {
                return Err(format!(
                    "lab {n} comes after lab {previous}: list labs once each, in increasing order"
                ));
            }
            previous = n;
            if !self.parts.iter().any(|p| p.part == lab.part) {
                return Err(format!(
                    "lab {n} is in part {} which is not listed under `parts`",
                    lab.part
                ));
            }
            if let Some(r) = lab.requires.iter().find(|r| **r >= n) {
                return Err(format!(
                    "lab {n} requires lab {r}: a lab may only require earlier labs"
                ));
            }
            match (&lab.crate_name, &lab.path) {
                (Some(_), Some(_)) => {
                    if lab.steps.is_empty() {
                        return Err(format!("lab {n} has a crate but no `steps`"));
                    }
                    match &lab.hints {
                        Hints::Lab(tiers) if tiers.len() != HINT_TIERS.len() => {
                            return Err(format!(
                                "lab {n} has {} hints; give exactly three tiers: nudge, design, sketch",
                                tiers.len()
                            ));
                        }
                        Hints::PerStep(steps) => {
                            for (step, tiers) in steps {
                                if !lab.steps.contains_key(step) {
                                    return Err(format!(
                                        "lab {n} has hints for step {step}, which is not under its `steps`"
                                    ));
                                }
                                if tiers.len() != HINT_TIERS.len() {
                                    return Err(format!(
                                        "lab {n} step {step} has {} hints; give exactly three tiers: nudge, design, sketch",
                                        tiers.len()
                                    ));
                                }
                            }
                        }
                        Hints::Lab(_) => {}
                    }
                }
                (None, None) => {}
                _ => {
                    return Err(format!(
                        "lab {n} needs both `crate` and `path`, or neither (planned)"
                    ))
                }
            }
        }
        Ok(())
    }

    /// Finds a lab by number as the learner types it: `2`, `02` or `lab02`.
    pub fn find(&self, name: &str) -> Result<&Lab, Error> {
        let digits = name.trim_start_matches("lab").trim_start_matches('-');
        let number: u32 = digits
            .parse()
            .map_err(|_| Error::UnknownLab(name.to_string()))?;
        self.labs
            .iter()
            .find(|l| l.number == number)
            .ok_or_else(|| Error::UnknownLab(name.to_string()))
    }

    pub fn available(&self) -> impl Iterator<Item = &Lab> {
        self.labs.iter().filter(|l| l.available().is_some())
    }

    pub fn part(&self, number: u32) -> Option<&Part> {
        self.parts.iter().find(|p| p.part == number)
    }
}
