//! The learner's language and the course manifest.

use std::path::PathBuf;

use kafkalab::lang::Lang;
use kafkalab::manifest::Manifest;

fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |k| {
        pairs
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.to_string())
    }
}

#[test]
fn language_follows_the_locale_variables_in_posix_order() {
    assert_eq!(Lang::from_vars(env(&[])), Lang::En);
    assert_eq!(Lang::from_vars(env(&[("LANG", "ko_KR.UTF-8")])), Lang::Ko);
    assert_eq!(
        Lang::from_vars(env(&[("LANG", "ko_KR.UTF-8"), ("LC_ALL", "C")])),
        Lang::En
    );
    assert_eq!(
        Lang::from_vars(env(&[("LANG", "C"), ("LC_MESSAGES", "ko_KR")])),
        Lang::Ko
    );
    assert_eq!(
        Lang::from_vars(env(&[("LC_ALL", ""), ("LANG", "ko")])),
        Lang::Ko
    );
    assert_eq!(
        Lang::from_vars(env(&[("KAFKALAB_LANG", "en"), ("LANG", "ko_KR")])),
        Lang::En
    );
}

#[test]
fn the_repository_manifest_is_valid_and_finds_labs_by_any_spelling() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let manifest = Manifest::load(&root).unwrap();
    assert_eq!(manifest.labs.len(), 14, "the course map has fourteen labs");
    for name in ["1", "01", "lab01", "lab1"] {
        assert_eq!(manifest.find(name).unwrap().number, 1);
    }
    assert!(manifest.find("99").is_err());
    assert!(manifest.find("x").is_err());
    for lab in manifest.available() {
        let (_, path) = lab.available().unwrap();
        assert!(
            root.join("labs").join(path).join("Cargo.toml").is_file(),
            "{path}"
        );
    }
}

const PART: &str = "parts:\n  - part: 1\n    title: { en: a, ko: 가 }\n";

fn parse(labs: &str) -> Result<Manifest, String> {
    Manifest::parse(&format!("{PART}labs:\n{labs}"), PathBuf::from("labs.yaml"))
        .map_err(|e| e.to_string())
}

#[test]
fn manifest_mistakes_are_named() {
    let planned = |n: u32, requires: &str| {
        format!("  - number: {n}\n    part: 1\n    title: {{ en: t, ko: t }}\n    topic: {{ en: t, ko: t }}\n    requires: [{requires}]\n")
    };
    assert!(parse(&planned(1, "")).is_ok());

    let e = parse(&format!("{}{}", planned(2, ""), planned(1, ""))).unwrap_err();
    assert!(e.contains("lab 1 comes after lab 2"), "{e}");

    let e = parse(&planned(3, "3")).unwrap_err();
    assert!(e.contains("only require earlier"), "{e}");

    let e = parse(&format!("{}    crate: lab01\n", planned(1, ""))).unwrap_err();
    assert!(e.contains("both `crate` and `path`"), "{e}");

    let e = parse(&format!(
        "{}    crate: lab01\n    path: 01-x\n    steps: {{ 1: {{ en: s, ko: s }} }}\n    hints: [{{ en: h, ko: h }}]\n",
        planned(1, "")
    ))
    .unwrap_err();
    assert!(e.contains("exactly three tiers"), "{e}");

    let e = parse(
        "  - number: 1\n    part: 9\n    title: { en: t, ko: t }\n    topic: { en: t, ko: t }\n",
    )
    .unwrap_err();
    assert!(e.contains("part 9"), "{e}");

    let e = parse("  - number: 1\n    colour: red\n").unwrap_err();
    assert!(e.contains("colour"), "{e}");
}
