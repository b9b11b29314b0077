//! TOML → `Form`, with every error pointing at `file:line`.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{Access, Channel, Choice, Dimension, Form, Item, ItemKind, Level, LikertScale, Text};

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForm {
    key: Spanned<String>,
    title: Spanned<RawText>,
    description: Option<Spanned<RawText>>,
    thanks: Option<Spanned<RawText>>,
    channels: Spanned<Vec<Spanned<String>>>,
    access: Option<Spanned<String>>,
    #[serde(default)]
    dimensions: Vec<Spanned<RawDimension>>,
    #[serde(default)]
    items: Vec<Spanned<RawItem>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    #[serde(rename = "zh-TW")]
    zh_tw: Option<String>,
    en: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDimension {
    key: Spanned<String>,
    #[serde(rename = "zh-TW")]
    zh_tw: Option<String>,
    en: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    key: Spanned<String>,
    #[serde(rename = "zh-TW")]
    zh_tw: Option<String>,
    en: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevel {
    points: Spanned<i64>,
    #[serde(rename = "zh-TW")]
    zh_tw: Option<String>,
    en: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    key: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    text: Spanned<RawText>,
    help: Option<Spanned<RawText>>,
    #[serde(default)]
    required: bool,
    dimension: Option<Spanned<String>>,
    #[serde(default)]
    overall: bool,
    scale: Option<Spanned<String>>,
    allow_na: Option<Spanned<bool>>,
    options: Option<Spanned<Vec<Spanned<RawOption>>>>,
    max_choices: Option<Spanned<i64>>,
    max: Option<Spanned<i64>>,
    levels: Option<Spanned<Vec<Spanned<RawLevel>>>>,
    max_length: Option<Spanned<i64>>,
}

const MAX_KEY_LEN: usize = 40;
const DEFAULT_TEXT_MAX_LENGTH: u32 = 1000;
const TEXT_MAX_LENGTH_CEILING: i64 = 10_000;

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

struct Validator<'a> {
    path: &'a Path,
    source: &'a str,
    errors: Vec<FormError>,
}

impl Validator<'_> {
    fn err(&mut self, span: Range<usize>, message: impl Into<String>) {
        let line = line_at(self.source, span.start);
        self.errors.push(FormError::new(self.path, line, message));
    }

    fn key(&mut self, key: &Spanned<String>, what: &str) -> String {
        let k = key.get_ref();
        let ok = !k.is_empty()
            && k.len() <= MAX_KEY_LEN
            && k.starts_with(|c: char| c.is_ascii_lowercase())
            && k.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !ok {
            self.err(
                key.span(),
                format!(
                    "{what} key `{k}` must start with a-z and use only a-z, 0-9, `_` or `-` \
                     (at most {MAX_KEY_LEN} characters)"
                ),
            );
        }
        k.clone()
    }

    fn bilingual(
        &mut self,
        span: Range<usize>,
        zh: &Option<String>,
        en: &Option<String>,
        what: &str,
    ) -> Text {
        for (lang, value) in [("zh-TW", zh), ("en", en)] {
            match value {
                None => self.err(span.clone(), format!("{what} is missing its `{lang}` text")),
                Some(s) if s.trim().is_empty() => {
                    self.err(span.clone(), format!("{what} has an empty `{lang}` text"))
                }
                Some(_) => {}
            }
        }
        Text {
            zh_tw: zh.clone().unwrap_or_default(),
            en: en.clone().unwrap_or_default(),
        }
    }

    fn text(&mut self, t: &Spanned<RawText>, what: &str) -> Text {
        let raw = t.get_ref();
        self.bilingual(t.span(), &raw.zh_tw, &raw.en, what)
    }

    fn form(&mut self, raw: RawForm) -> Form {
        let key = self.key(&raw.key, "form");
        let title = self.text(&raw.title, "the form's `title`");
        let description = raw
            .description
            .as_ref()
            .map(|t| self.text(t, "the form's `description`"));
        let thanks = raw
            .thanks
            .as_ref()
            .map(|t| self.text(t, "the form's `thanks`"));

        let mut channels = Vec::new();
        for c in raw.channels.get_ref() {
            match Channel::parse(c.get_ref()) {
                Some(ch) if channels.contains(&ch) => {
                    self.err(c.span(), format!("channel `{ch}` is listed twice"))
                }
                Some(ch) => channels.push(ch),
                None => self.err(
                    c.span(),
                    format!(
                        "unknown channel `{}`: expected one of counter, web, internal",
                        c.get_ref()
                    ),
                ),
            }
        }
        if raw.channels.get_ref().is_empty() {
            self.err(
                raw.channels.span(),
                "`channels` must name at least one channel",
            );
        }

        let access = match &raw.access {
            None => Access::default_for(&channels),
            Some(a) => match Access::parse(a.get_ref()) {
                None => {
                    self.err(
                        a.span(),
                        format!(
                            "unknown access `{}`: expected one of public, device, token, staff",
                            a.get_ref()
                        ),
                    );
                    Access::default_for(&channels)
                }
                Some(access) => {
                    let fits = match access {
                        Access::Device => channels.iter().all(|c| *c == Channel::Counter),
                        Access::Token | Access::Staff => {
                            channels.iter().all(|c| *c == Channel::Internal)
                        }
                        Access::Public => !channels.contains(&Channel::Internal),
                    };
                    if !fits {
                        self.err(
                            a.span(),
                            format!(
                                "access `{access}` does not fit the channels: `device` is for \
                                 counter forms, `token` and `staff` for internal ones, `public` \
                                 for counter and web forms",
                                access = access.as_str()
                            ),
                        );
                    }
                    access
                }
            },
        };

        let mut dimensions: Vec<Dimension> = Vec::new();
        for d in &raw.dimensions {
            let rd = d.get_ref();
            let key = self.key(&rd.key, "dimension");
            if dimensions.iter().any(|x| x.key == key) {
                self.err(rd.key.span(), format!("duplicate dimension key `{key}`"));
            }
            let name = self.bilingual(d.span(), &rd.zh_tw, &rd.en, &format!("dimension `{key}`"));
            dimensions.push(Dimension { key, name });
        }

        let mut items: Vec<Item> = Vec::new();
        let mut seen = HashSet::new();
        for it in &raw.items {
            let item = self.item(it, &dimensions);
            if !seen.insert(item.key.clone()) {
                self.err(
                    it.get_ref().key.span(),
                    format!("duplicate item key `{}`", item.key),
                );
            }
            items.push(item);
        }
        if raw.items.is_empty() {
            self.err(raw.key.span(), "the form has no `[[items]]`");
        }
        let overall: Vec<_> = raw.items.iter().filter(|i| i.get_ref().overall).collect();
        if overall.len() > 1 {
            self.err(
                overall[1].span(),
                "only one item may be marked `overall = true`",
            );
        }
        let service: Vec<_> = items
            .iter()
            .zip(&raw.items)
            .filter(|(i, _)| matches!(i.kind, ItemKind::ServiceType))
            .collect();
        if service.len() > 1 {
            self.err(
                service[1].1.span(),
                "only one `service_type` item is allowed",
            );
        }

        Form {
            key,
            title,
            description,
            thanks,
            channels,
            access,
            dimensions,
            items,
        }
    }

    fn item(&mut self, it: &Spanned<RawItem>, dimensions: &[Dimension]) -> Item {
        let raw = it.get_ref();
        let key = self.key(&raw.key, "item");
        let what = format!("item `{key}`");
        let text = self.text(&raw.text, &format!("the `text` of {what}"));
        let help = raw
            .help
            .as_ref()
            .map(|h| self.text(h, &format!("the `help` of {what}")));
        if let Some(d) = &raw.dimension
            && !dimensions.iter().any(|x| &x.key == d.get_ref())
        {
            self.err(
                d.span(),
                format!(
                    "{what} names dimension `{}`, which the form's `[[dimensions]]` do not define",
                    d.get_ref()
                ),
            );
        }

        let type_name = raw.kind.get_ref().as_str();
        // Settings that belong to some types only: refuse them elsewhere, so a typo
        // in `type` does not silently drop the options that were meant.
        let mut allowed: &[&str] = &[];
        let kind = match type_name {
            "likert5" => {
                allowed = &["scale", "allow_na"];
                let scale = match &raw.scale {
                    None => LikertScale::Satisfaction,
                    Some(s) => LikertScale::parse(s.get_ref()).unwrap_or_else(|| {
                        self.err(
                            s.span(),
                            format!(
                                "unknown scale `{}` in {what}: expected satisfaction or agreement",
                                s.get_ref()
                            ),
                        );
                        LikertScale::Satisfaction
                    }),
                };
                ItemKind::Likert5 {
                    scale,
                    allow_na: raw.allow_na.as_ref().is_some_and(|b| *b.get_ref()),
                }
            }
            "single" => {
                allowed = &["options"];
                ItemKind::Single {
                    options: self.options(it, &what),
                }
            }
            "multiple" => {
                allowed = &["options", "max_choices"];
                let options = self.options(it, &what);
                let max_choices = raw.max_choices.as_ref().map(|m| {
                    let n = *m.get_ref();
                    if n < 1 || n as usize > options.len().max(1) {
                        self.err(
                            m.span(),
                            format!(
                                "`max_choices` of {what} must be between 1 and the number of options ({})",
                                options.len()
                            ),
                        );
                    }
                    n.clamp(1, u32::MAX as i64) as u32
                });
                ItemKind::Multiple {
                    options,
                    max_choices,
                }
            }
            "nps" => ItemKind::Nps,
            "points" => {
                allowed = &["max", "levels"];
                let max = match &raw.max {
                    None => {
                        self.err(it.span(), format!("{what} of type points needs `max`"));
                        0
                    }
                    Some(m) if !(1..=1000).contains(m.get_ref()) => {
                        self.err(
                            m.span(),
                            format!("`max` of {what} must be between 1 and 1000"),
                        );
                        0
                    }
                    Some(m) => *m.get_ref() as i16,
                };
                let mut levels = Vec::new();
                if let Some(ls) = &raw.levels {
                    for l in ls.get_ref() {
                        let rl = l.get_ref();
                        let p = *rl.points.get_ref();
                        if p < 0 || p > max as i64 {
                            self.err(
                                rl.points.span(),
                                format!(
                                    "level points {p} of {what} must be between 0 and max ({max})"
                                ),
                            );
                        }
                        if levels.iter().any(|x: &Level| x.points as i64 == p) {
                            self.err(
                                rl.points.span(),
                                format!("duplicate level points {p} in {what}"),
                            );
                        }
                        let text = self.bilingual(
                            l.span(),
                            &rl.zh_tw,
                            &rl.en,
                            &format!("a level of {what}"),
                        );
                        levels.push(Level {
                            points: p.clamp(0, i16::MAX as i64) as i16,
                            text,
                        });
                    }
                }
                ItemKind::Points { max, levels }
            }
            "text" => {
                allowed = &["max_length"];
                let max_length = match &raw.max_length {
                    None => DEFAULT_TEXT_MAX_LENGTH,
                    Some(m) if !(1..=TEXT_MAX_LENGTH_CEILING).contains(m.get_ref()) => {
                        self.err(
                            m.span(),
                            format!(
                                "`max_length` of {what} must be between 1 and {TEXT_MAX_LENGTH_CEILING}"
                            ),
                        );
                        DEFAULT_TEXT_MAX_LENGTH
                    }
                    Some(m) => *m.get_ref() as u32,
                };
                ItemKind::Text { max_length }
            }
            "service_type" => ItemKind::ServiceType,
            other => {
                self.err(
                    raw.kind.span(),
                    format!(
                        "unknown item type `{other}` in {what}: expected one of {}",
                        ItemKind::TYPE_NAMES.join(", ")
                    ),
                );
                ItemKind::Nps
            }
        };

        let known_type = ItemKind::TYPE_NAMES.contains(&type_name);
        let present: [(&str, Option<Range<usize>>); 7] = [
            ("scale", raw.scale.as_ref().map(|x| x.span())),
            ("allow_na", raw.allow_na.as_ref().map(|x| x.span())),
            ("options", raw.options.as_ref().map(|x| x.span())),
            ("max_choices", raw.max_choices.as_ref().map(|x| x.span())),
            ("max", raw.max.as_ref().map(|x| x.span())),
            ("levels", raw.levels.as_ref().map(|x| x.span())),
            ("max_length", raw.max_length.as_ref().map(|x| x.span())),
        ];
        if known_type {
            for (name, span) in present {
                if let Some(span) = span
                    && !allowed.contains(&name)
                {
                    self.err(
                        span,
                        format!("`{name}` does not apply to {what} of type {type_name}"),
                    );
                }
            }
        }
        if raw.overall && !matches!(kind, ItemKind::Likert5 { .. }) {
            self.err(
                raw.key.span(),
                format!("{what} is marked `overall`, which only a likert5 item can be"),
            );
        }

        Item {
            key,
            text,
            help,
            required: raw.required,
            dimension: raw.dimension.as_ref().map(|d| d.get_ref().clone()),
            overall: raw.overall,
            kind,
        }
    }

    fn options(&mut self, it: &Spanned<RawItem>, what: &str) -> Vec<Choice> {
        let Some(opts) = &it.get_ref().options else {
            self.err(it.span(), format!("{what} needs `options`"));
            return Vec::new();
        };
        if opts.get_ref().len() < 2 {
            self.err(opts.span(), format!("{what} needs at least two `options`"));
        }
        let mut out: Vec<Choice> = Vec::new();
        for o in opts.get_ref() {
            let ro = o.get_ref();
            let key = self.key(&ro.key, "option");
            if out.iter().any(|c| c.key == key) {
                self.err(
                    ro.key.span(),
                    format!("duplicate option key `{key}` in {what}"),
                );
            }
            let text = self.bilingual(
                o.span(),
                &ro.zh_tw,
                &ro.en,
                &format!("option `{key}` of {what}"),
            );
            out.push(Choice { key, text });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
