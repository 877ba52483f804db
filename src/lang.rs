//! The learner's language: English or Korean, from `--lang` or the environment.

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    En,
    Ko,
}

impl Lang {
    /// `KAFKALAB_LANG` first, then the POSIX locale variables in their order of precedence
    /// (`LC_ALL` overrides `LC_MESSAGES` overrides `LANG`). `ko_KR.UTF-8` means Korean.
    pub fn from_env() -> Lang {
        let lookup = |k: &str| std::env::var(k).ok();
        Self::from_vars(lookup)
    }

    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Lang {
        for key in ["KAFKALAB_LANG", "LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Some(value) = lookup(key).filter(|v| !v.is_empty()) {
                return if value.to_ascii_lowercase().starts_with("ko") {
                    Lang::Ko
                } else {
                    Lang::En
                };
            }
        }
        Lang::En
    }

    /// Picks the English or the Korean form of a short UI string.
    pub fn pick<'a>(self, en: &'a str, ko: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Ko => ko,
        }
    }
}
