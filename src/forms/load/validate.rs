//! A form file's TOML shape (the `Raw*` types) and the validator that turns
//! it into a `Form`, collecting every problem with its line.

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{FormError, line_at};
use crate::forms::{
    Access, Channel, Choice, Dimension, Form, Item, ItemKey, ItemKind, Level, LikertScale,
    MAX_KEY_LEN, Text,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawForm {
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

const DEFAULT_TEXT_MAX_LENGTH: u32 = 1000;
const TEXT_MAX_LENGTH_CEILING: i64 = 10_000;

pub(super) struct Validator<'a> {
    pub(super) path: &'a Path,
    pub(super) source: &'a str,
    pub(super) errors: Vec<FormError>,
}

impl Validator<'_> {
    fn err(&mut self, span: Range<usize>, message: impl Into<String>) {
        let line = line_at(self.source, span.start);
        self.errors.push(FormError::new(self.path, line, message));
    }

    fn key(&mut self, key: &Spanned<String>, what: &str) -> String {
        let k = key.get_ref();
        if ItemKey::parse(k).is_err() {
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

    pub(super) fn form(&mut self, raw: RawForm) -> Form {
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
            // A bad key is already an error of this form, which is then not
            // returned: the stand-in never leaves the validator.
            key: ItemKey::parse(&key)
                .unwrap_or_else(|_| ItemKey::parse("invalid").expect("a valid key")),
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
