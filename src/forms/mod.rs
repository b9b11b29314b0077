//! Survey forms as data: `survey-forms/*.toml`, parsed into checked types.
//!
//! A form's version is the SHA-256 of its canonical JSON form, so editing a
//! comment or reformatting a file keeps the version, while any change of
//! meaning makes a new one. Every version is kept in `form_versions`; old
//! responses are always read against the definition they were given with.

mod keys;
mod load;
mod store;

pub use keys::{ItemKey, KeyError, MAX_KEY_LEN, Score};
pub use load::{FormError, FormErrors, parse_form};
pub use store::{
    FormVersionRow, RetireError, VersionInfo, all_versions, find_version, register_catalog,
    retire_version, version_index,
};

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Text in both languages; Traditional Chinese first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    #[serde(rename = "zh-TW")]
    pub zh_tw: String,
    pub en: String,
}

impl Text {
    pub fn new(zh_tw: &str, en: &str) -> Self {
        Self {
            zh_tw: zh_tw.to_owned(),
            en: en.to_owned(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhTw => &self.zh_tw,
            Lang::En => &self.en,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    #[serde(rename = "zh-TW")]
    ZhTw,
    #[serde(rename = "en")]
    En,
}

/// Where a response came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The tablet at a counter.
    Counter,
    /// The public web questionnaire.
    Web,
    /// Internal (staff) surveys.
    Internal,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Counter, Channel::Web, Channel::Internal];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Counter => "counter",
            Channel::Web => "web",
            Channel::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// What a person reads.
    pub fn label_zh(self) -> &'static str {
        match self {
            Channel::Counter => "櫃檯平板",
            Channel::Web => "網路問卷",
            Channel::Internal => "內部問卷",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Channel::Counter => "Counter tablet",
            Channel::Web => "Web questionnaire",
            Channel::Internal => "Internal survey",
        }
    }
}

/// Who may answer a form. Policy, not meaning: it is not part of the form's
/// version hash, and the current file's value applies to every submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Anyone (the web questionnaire; counter answers still need a kiosk).
    Public,
    /// Enrolled kiosk devices only.
    Device,
    /// One-time links only (internal surveys); the link is consumed.
    #[default]
    Token,
    /// Logged-in staff of the office only (e.g. the phone-test scoresheet).
    Staff,
}

impl Access {
    pub const ALL: [Access; 4] = [Access::Public, Access::Device, Access::Token, Access::Staff];

    pub fn as_str(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Device => "device",
            Access::Token => "token",
            Access::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The safe default for a form that does not say: internal surveys by
    /// link, counter-only forms by kiosk, the rest public.
    pub fn default_for(channels: &[Channel]) -> Self {
        if channels.contains(&Channel::Internal) {
            Access::Token
        } else if channels.iter().all(|c| *c == Channel::Counter) {
            Access::Device
        } else {
            Access::Public
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An analysis dimension such as 服務態度 (service attitude).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dimension {
    pub key: String,
    pub name: Text,
}

/// One answer option of a choice item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub key: String,
    pub text: Text,
}

/// One scoring level of a points item (e.g. "answered within 3 rings: 10").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    pub points: i16,
    pub text: Text,
}

/// Label set of a 5-point scale, from 5 (best) down to 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LikertScale {
    /// 非常滿意 … 非常不滿意
    Satisfaction,
    /// 非常同意 … 非常不同意
    Agreement,
}

impl LikertScale {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "satisfaction" => Some(Self::Satisfaction),
            "agreement" => Some(Self::Agreement),
            _ => None,
        }
    }

    /// Labels for scores 5, 4, 3, 2, 1.
    pub fn labels(self) -> [Text; 5] {
        match self {
            LikertScale::Satisfaction => [
                Text::new("非常滿意", "Very satisfied"),
                Text::new("滿意", "Satisfied"),
                Text::new("普通", "Neutral"),
                Text::new("不滿意", "Dissatisfied"),
                Text::new("非常不滿意", "Very dissatisfied"),
            ],
            LikertScale::Agreement => [
                Text::new("非常同意", "Strongly agree"),
                Text::new("同意", "Agree"),
                Text::new("普通", "Neutral"),
                Text::new("不同意", "Disagree"),
                Text::new("非常不同意", "Strongly disagree"),
            ],
        }
    }

    /// Other words for scores 5 … 1 that answers on this scale come in
    /// (exports of other tools): agreement questionnaires often call the
    /// middle 無意見 rather than 普通.
    fn other_words(self) -> [&'static [&'static str]; 5] {
        match self {
            LikertScale::Satisfaction => [&[], &[], &[], &[], &[]],
            LikertScale::Agreement => [&[], &[], &["無意見"], &[], &[]],
        }
    }

    /// The score a label of this scale stands for: its Chinese or English
    /// text (English case-insensitive; surrounding spaces ignored), e.g.
    /// 非常滿意 or `very satisfied` is 5.
    pub fn score_of(self, label: &str) -> Option<Score> {
        let label = label.trim();
        self.labels()
            .iter()
            .zip(self.other_words())
            .zip((1..=5).rev())
            .find(|((text, other), _)| {
                text.zh_tw == label || text.en.eq_ignore_ascii_case(label) || other.contains(&label)
            })
            .and_then(|(_, n)| Score::new(n))
    }

    /// Every label [`Self::score_of`] takes, best first (for messages).
    pub fn accepted_labels(self) -> Vec<String> {
        let labels = self.labels();
        let mut out: Vec<String> = labels.iter().map(|t| t.zh_tw.clone()).collect();
        out.extend(
            self.other_words()
                .iter()
                .flat_map(|w| w.iter().map(|s| s.to_string())),
        );
        out.extend(labels.iter().map(|t| t.en.clone()));
        out
    }

    /// The name a form file gives the scale (`scale = "agreement"`).
    pub fn name(self) -> &'static str {
        match self {
            LikertScale::Satisfaction => "satisfaction",
            LikertScale::Agreement => "agreement",
        }
    }
}

/// The words of the not-applicable answer of a likert5 item with `allow_na`.
pub fn not_applicable_label() -> Text {
    Text::new("不適用", "Not applicable")
}

/// What kind of answer an item takes, with its type-specific settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ItemKind {
    /// A score 1-5; `allow_na` adds a 不適用 (not applicable) answer.
    Likert5 { scale: LikertScale, allow_na: bool },
    /// Exactly one option.
    Single { options: Vec<Choice> },
    /// Any number of options, at most `max_choices` when set.
    Multiple {
        options: Vec<Choice>,
        max_choices: Option<u32>,
    },
    /// Net-promoter style 0-10.
    Nps,
    /// Points 0..=max; when levels are given, only their points are valid.
    Points { max: i16, levels: Vec<Level> },
    /// Free text up to `max_length` characters.
    Text { max_length: u32 },
    /// One of the configured service types (出生登記, 戶籍謄本 …), stored on the response.
    ServiceType,
}

impl ItemKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            ItemKind::Likert5 { .. } => "likert5",
            ItemKind::Single { .. } => "single",
            ItemKind::Multiple { .. } => "multiple",
            ItemKind::Nps => "nps",
            ItemKind::Points { .. } => "points",
            ItemKind::Text { .. } => "text",
            ItemKind::ServiceType => "service_type",
        }
    }

    pub const TYPE_NAMES: [&'static str; 7] = [
        "likert5",
        "single",
        "multiple",
        "nps",
        "points",
        "text",
        "service_type",
    ];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub key: ItemKey,
    pub text: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    /// The overall-satisfaction item, against which item importance is measured.
    #[serde(default)]
    pub overall: bool,
    #[serde(flatten)]
    pub kind: ItemKind,
}

/// A validated form definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form {
    pub key: String,
    pub title: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thanks: Option<Text>,
    pub channels: Vec<Channel>,
    /// Who may answer (kept out of the canonical JSON, see [`Access`]).
    #[serde(skip)]
    pub access: Access,
    pub dimensions: Vec<Dimension>,
    pub items: Vec<Item>,
}

impl Form {
    /// Canonical JSON: field order is fixed by the types, so equal meaning gives equal bytes.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).expect("a Form always serializes")
    }

    /// The version: hex SHA-256 of the canonical JSON.
    pub fn version_hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_json().as_bytes()))
    }

    pub fn item(&self, key: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.key == key)
    }

    pub fn overall_item(&self) -> Option<&Item> {
        self.items.iter().find(|i| i.overall)
    }

    pub fn accepts(&self, channel: Channel) -> bool {
        self.channels.contains(&channel)
    }
}

/// A form loaded from a file, with its version.
#[derive(Debug, Clone)]
pub struct LoadedForm {
    pub form: Form,
    pub version_hash: String,
    pub source: PathBuf,
}

/// All forms of a `survey-forms/` directory, by key.
#[derive(Debug, Clone, Default)]
pub struct FormCatalog {
    forms: BTreeMap<String, LoadedForm>,
}

impl FormCatalog {
    /// Loads every `*.toml` of `dir` (sorted by name). All errors of all files are
    /// collected, each as `file:line: what is wrong`.
    pub fn load_dir(dir: &Path) -> Result<Self, FormErrors> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            FormErrors(vec![FormError::new(
                dir,
                0,
                format!("cannot read the forms directory: {e}"),
            )])
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        let mut errors = Vec::new();
        let mut catalog = FormCatalog::default();
        if paths.is_empty() {
            errors.push(FormError::new(
                dir,
                0,
                "no *.toml form files in this directory",
            ));
        }
        for path in paths {
            let source = match std::fs::read_to_string(&path) {
                Ok(s) => s,
                Err(e) => {
                    errors.push(FormError::new(&path, 0, format!("cannot read: {e}")));
                    continue;
                }
            };
            match parse_form(&path, &source) {
                Ok(form) => {
                    if let Some(other) = catalog.forms.get(&form.key) {
                        errors.push(FormError::new(
                            &path,
                            load::line_of_key(&source),
                            format!(
                                "form key `{}` is already used by {}",
                                form.key,
                                other.source.display()
                            ),
                        ));
                        continue;
                    }
                    let version_hash = form.version_hash();
                    catalog.forms.insert(
                        form.key.clone(),
                        LoadedForm {
                            form,
                            version_hash,
                            source: path,
                        },
                    );
                }
                Err(mut errs) => errors.append(&mut errs.0),
            }
        }
        if errors.is_empty() {
            Ok(catalog)
        } else {
            Err(FormErrors(errors))
        }
    }

    pub fn get(&self, key: &str) -> Option<&LoadedForm> {
        self.forms.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = &LoadedForm> {
        self.forms.values()
    }

    pub fn len(&self) -> usize {
        self.forms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_stand_for_scores() {
        let s = LikertScale::Satisfaction;
        let score = |scale: LikertScale, label: &str| scale.score_of(label).map(Score::get);
        for (label, want) in [
            ("非常滿意", 5),
            ("滿意", 4),
            (" 普通 ", 3),
            ("不滿意", 2),
            ("非常不滿意", 1),
            ("Very satisfied", 5),
            ("very SATISFIED", 5),
            ("  Dissatisfied", 2),
            ("very dissatisfied", 1),
        ] {
            assert_eq!(score(s, label), Some(want), "{label}");
        }
        let a = LikertScale::Agreement;
        for (label, want) in [
            ("非常同意", 5),
            ("同意", 4),
            ("普通", 3),
            ("無意見", 3),
            ("不同意", 2),
            ("非常不同意", 1),
            ("Strongly agree", 5),
            ("strongly disagree", 1),
            ("neutral", 3),
        ] {
            assert_eq!(score(a, label), Some(want), "{label}");
        }
        // Each scale takes its own words only.
        assert_eq!(score(s, "同意"), None);
        assert_eq!(score(a, "滿意"), None);
        assert_eq!(score(s, "無意見"), None);
        assert_eq!(score(s, "5"), None);
        assert_eq!(score(s, "very"), None);
        let listed = a.accepted_labels();
        assert_eq!(listed.len(), 11);
        assert_eq!(listed[0], "非常同意");
        assert!(listed.iter().all(|l| a.score_of(l).is_some()));
    }
}
