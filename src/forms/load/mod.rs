//! TOML → `Form`, with every error pointing at `file:line`: the errors, the
//! entry point [`parse_form`] and its tests; the checks are in `validate.rs`.

use std::fmt;
use std::path::{Path, PathBuf};

use super::Form;
use validate::{RawForm, Validator};

mod validate;

/// One problem in a form file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    pub file: PathBuf,
    /// 1-based; 0 when the problem is with the file as a whole.
    pub line: usize,
    pub message: String,
}

impl FormError {
    pub fn new(file: &Path, line: usize, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
        }
    }
}

/// Every problem found, one per line when displayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormErrors(pub Vec<FormError>);

impl fmt::Display for FormErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FormErrors {}

/// Parses and validates one form file's text. `path` is used in messages only.
pub fn parse_form(path: &Path, source: &str) -> Result<Form, FormErrors> {
    let raw: RawForm = toml::from_str(source).map_err(|e| {
        let line = e.span().map(|s| line_at(source, s.start)).unwrap_or(0);
        FormErrors(vec![FormError::new(
            path,
            line,
            e.message().trim().to_owned(),
        )])
    })?;
    let mut v = Validator {
        path,
        source,
        errors: Vec::new(),
    };
    let form = v.form(raw);
    if v.errors.is_empty() {
        Ok(form)
    } else {
        Err(FormErrors(v.errors))
    }
}

/// Line of the top-level `key =` assignment, for messages about the form as a whole.
pub(super) fn line_of_key(source: &str) -> usize {
    source
        .lines()
        .position(|l| l.trim_start().starts_with("key"))
        .map(|i| i + 1)
        .unwrap_or(1)
}

fn line_at(source: &str, offset: usize) -> usize {
    let offset = offset.min(source.len());
    source.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::{Access, Channel, ItemKind};

    const GOOD: &str = r#"
key = "t"
channels = ["counter"]
title = { zh-TW = "測試", en = "Test" }

[[dimensions]]
key = "attitude"
zh-TW = "服務態度"
en = "Service attitude"

[[items]]
key = "a"
type = "likert5"
required = true
dimension = "attitude"
text = { zh-TW = "態度", en = "Attitude" }

[[items]]
key = "overall"
type = "likert5"
overall = true
text = { zh-TW = "整體", en = "Overall" }

[[items]]
key = "why"
type = "multiple"
max_choices = 2
text = { zh-TW = "原因", en = "Reasons" }
options = [
  { key = "x", zh-TW = "甲", en = "X" },
  { key = "y", zh-TW = "乙", en = "Y" },
  { key = "z", zh-TW = "丙", en = "Z" },
]
"#;

    fn errors(src: &str) -> Vec<String> {
        match parse_form(Path::new("f.toml"), src) {
            Ok(_) => vec![],
            Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn good_form_parses() {
        let f = parse_form(Path::new("f.toml"), GOOD).unwrap();
        assert_eq!(f.items.len(), 3);
        assert_eq!(f.overall_item().unwrap().key, "overall");
        assert!(matches!(
            f.items[2].kind,
            ItemKind::Multiple {
                max_choices: Some(2),
                ..
            }
        ));
    }

    #[test]
    fn unknown_item_type_names_file_and_line() {
        let src = GOOD.replace("type = \"multiple\"", "type = \"mulitple\"");
        let errs = errors(&src);
        let line = src.lines().position(|l| l.contains("mulitple")).unwrap() + 1;
        assert!(
            errs.iter()
                .any(|e| e.starts_with(&format!("f.toml:{line}: unknown item type `mulitple`"))),
            "{errs:?}"
        );
    }

    #[test]
    fn duplicate_item_key_points_at_second() {
        let src = GOOD.replace("key = \"overall\"", "key = \"a\"");
        let errs = errors(&src);
        let line = src
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim() == "key = \"a\"")
            .nth(1)
            .unwrap()
            .0
            + 1;
        assert_eq!(errs, vec![format!("f.toml:{line}: duplicate item key `a`")]);
    }

    #[test]
    fn missing_english_text() {
        let src = GOOD.replace(
            "text = { zh-TW = \"整體\", en = \"Overall\" }",
            "text = { zh-TW = \"整體\" }",
        );
        let line = src.lines().position(|l| l.contains("整體")).unwrap() + 1;
        assert_eq!(
            errors(&src),
            vec![format!(
                "f.toml:{line}: the `text` of item `overall` is missing its `en` text"
            )]
        );
    }

    #[test]
    fn missing_english_in_option_and_dimension() {
        let src = GOOD
            .replace(
                "{ key = \"y\", zh-TW = \"乙\", en = \"Y\" }",
                "{ key = \"y\", zh-TW = \"乙\" }",
            )
            .replace("en = \"Service attitude\"\n", "");
        let errs = errors(&src);
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].contains("dimension `attitude` is missing its `en` text"));
        assert!(errs[1].contains("option `y` of item `why` is missing its `en` text"));
    }

    #[test]
    fn syntax_error_has_line() {
        let src = "key = \"t\"\nchannels = [\"web\"\ntitle = 1\n";
        let errs = errors(src);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("f.toml:"), "{errs:?}");
        assert!(!errs[0].starts_with("f.toml:0"), "{errs:?}");
    }

    #[test]
    fn unknown_field_is_refused_with_line() {
        let src = GOOD.replace("required = true\n", "requierd = true\n");
        let line = src.lines().position(|l| l.contains("requierd")).unwrap() + 1;
        let errs = errors(&src);
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].starts_with(&format!("f.toml:{line}: unknown field `requierd`")),
            "{errs:?}"
        );
    }

    #[test]
    fn undefined_dimension_and_bad_channel() {
        let src = GOOD
            .replace("dimension = \"attitude\"", "dimension = \"speed\"")
            .replace("[\"counter\"]", "[\"kiosk\"]");
        let errs = errors(&src);
        assert!(
            errs.iter().any(|e| e.contains("unknown channel `kiosk`")),
            "{errs:?}"
        );
        assert!(
            errs.iter().any(|e| e.contains("dimension `speed`")),
            "{errs:?}"
        );
    }

    #[test]
    fn setting_of_another_type_is_refused() {
        let src = GOOD.replace(
            "key = \"a\"\ntype = \"likert5\"",
            "key = \"a\"\ntype = \"likert5\"\nmax_length = 5",
        );
        let errs = errors(&src);
        assert!(
            errs.iter()
                .any(|e| e.contains("`max_length` does not apply to item `a` of type likert5")),
            "{errs:?}"
        );
    }

    #[test]
    fn points_levels_within_max() {
        let src = r#"
key = "p"
channels = ["internal"]
title = { zh-TW = "電話禮貌測試", en = "Phone test" }
[[items]]
key = "speed"
type = "points"
max = 10
text = { zh-TW = "接聽速度", en = "Answer speed" }
levels = [
  { points = 10, zh-TW = "三聲內", en = "Within 3 rings" },
  { points = 12, zh-TW = "錯", en = "Wrong" },
]
"#;
        let errs = errors(src);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].starts_with("f.toml:12: level points 12"),
            "{errs:?}"
        );
    }

    #[test]
    fn version_ignores_formatting_but_not_meaning() {
        let a = parse_form(Path::new("f.toml"), GOOD).unwrap();
        let reformatted = format!(
            "# a comment\n{}",
            GOOD.replace("key = \"t\"", "key   =   \"t\"")
        );
        let b = parse_form(Path::new("f.toml"), &reformatted).unwrap();
        assert_eq!(a.version_hash(), b.version_hash());
        let changed = GOOD.replace("Attitude", "Courtesy");
        let c = parse_form(Path::new("f.toml"), &changed).unwrap();
        assert_ne!(a.version_hash(), c.version_hash());
        // The stored definition reads back to the same form (old responses keep their
        // meaning); who may answer is policy, taken from the current file, not the version.
        let back: Form = serde_json::from_str(&a.canonical_json()).unwrap();
        assert_eq!(
            Form {
                access: a.access,
                ..back
            },
            a
        );
    }

    #[test]
    fn access_is_declared_checked_and_not_part_of_the_version() {
        let a = parse_form(Path::new("f.toml"), GOOD).unwrap();
        let channels = a.channels.clone();
        assert_eq!(a.access, Access::default_for(&channels));
        let with =
            |access: &str| GOOD.replacen("\ntitle", &format!("\naccess = \"{access}\"\ntitle"), 1);
        let public = parse_form(Path::new("f.toml"), &with("public")).unwrap();
        assert_eq!(public.access, Access::Public);
        assert_eq!(public.version_hash(), a.version_hash());
        let errs = errors(&with("everyone"));
        assert!(errs[0].contains("unknown access `everyone`"), "{errs:?}");
        let errs = errors(&with("staff"));
        assert!(errs[0].contains("does not fit the channels"), "{errs:?}");
        assert_eq!(Access::default_for(&[Channel::Internal]), Access::Token);
        assert_eq!(Access::default_for(&[Channel::Counter]), Access::Device);
        assert_eq!(
            Access::default_for(&[Channel::Counter, Channel::Web]),
            Access::Public
        );
    }
}
