//! Answers as a client sends them and as they are stored, and the check of a
//! submission's answers against its form.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::SurveyError;
use crate::forms::{Form, ItemKind, Score};

/// An answer as a client sends it, before it is checked against the item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnswerValue {
    Number(i64),
    Text(String),
    List(Vec<String>),
}

/// The code of the not-applicable answer of a likert5 item with `allow_na`.
pub const NOT_APPLICABLE: &str = "na";

/// One checked answer, as stored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Queryable)]
pub struct AnswerData {
    pub item_key: String,
    pub score: Option<i16>,
    pub choice: Option<String>,
    pub text_value: Option<String>,
}

/// The answers of a submission after checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedAnswers {
    pub answers: Vec<AnswerData>,
    /// The code given to the form's `service_type` item, if any.
    pub service_type: Option<String>,
}

pub(super) fn field(key: &str) -> String {
    format!("answers.{key}")
}

/// Checks answers against a form. Unknown items, values out of range and
/// missing required items are refused, each naming its field.
pub fn check_answers(
    form: &Form,
    given: &BTreeMap<String, AnswerValue>,
) -> Result<CheckedAnswers, SurveyError> {
    if let Some(unknown) = given.keys().find(|k| form.item(k).is_none()) {
        return Err(SurveyError::invalid(
            field(unknown),
            format!("the form `{}` has no item `{unknown}`", form.key),
        ));
    }
    let mut out = CheckedAnswers {
        answers: Vec::new(),
        service_type: None,
    };
    for item in &form.items {
        let f = field(&item.key);
        let value = match given.get(item.key.as_str()) {
            // An empty text counts as no answer.
            Some(AnswerValue::Text(s)) if s.trim().is_empty() => None,
            Some(AnswerValue::List(l)) if l.is_empty() => None,
            other => other,
        };
        let Some(value) = value else {
            if item.required {
                return Err(SurveyError::invalid(f, "this item is required"));
            }
            continue;
        };
        let mut data = AnswerData {
            item_key: item.key.to_string(),
            score: None,
            choice: None,
            text_value: None,
        };
        match (&item.kind, value) {
            (ItemKind::Likert5 { .. }, AnswerValue::Number(n)) if Score::new(*n).is_some() => {
                data.score = Score::new(*n).map(|s| i16::from(s.get()))
            }
            (ItemKind::Likert5 { allow_na: true, .. }, AnswerValue::Text(s))
                if s == NOT_APPLICABLE =>
            {
                data.choice = Some(NOT_APPLICABLE.to_owned())
            }
            (ItemKind::Likert5 { allow_na, .. }, _) => {
                let na = if *allow_na { " or \"na\"" } else { "" };
                return Err(SurveyError::invalid(
                    f,
                    format!("must be a whole number from 1 to 5{na}"),
                ));
            }
            (ItemKind::Nps, AnswerValue::Number(n)) if (0..=10).contains(n) => {
                data.score = Some(*n as i16)
            }
            (ItemKind::Nps, _) => {
                return Err(SurveyError::invalid(
                    f,
                    "must be a whole number from 0 to 10",
                ));
            }
            (ItemKind::Points { max, levels }, AnswerValue::Number(n)) => {
                let ok = if levels.is_empty() {
                    (0..=*max as i64).contains(n)
                } else {
                    levels.iter().any(|l| l.points as i64 == *n)
                };
                if !ok {
                    let allowed = if levels.is_empty() {
                        format!("a whole number from 0 to {max}")
                    } else {
                        let pts: Vec<String> =
                            levels.iter().map(|l| l.points.to_string()).collect();
                        format!("one of {}", pts.join(", "))
                    };
                    return Err(SurveyError::invalid(f, format!("must be {allowed}")));
                }
                data.score = Some(*n as i16)
            }
            (ItemKind::Points { .. }, _) => {
                return Err(SurveyError::invalid(f, "must be a number of points"));
            }
            (ItemKind::Single { options }, AnswerValue::Text(s))
                if options.iter().any(|o| &o.key == s) =>
            {
                data.choice = Some(s.clone())
            }
            (ItemKind::Single { options }, _) => {
                let keys: Vec<&str> = options.iter().map(|o| o.key.as_str()).collect();
                return Err(SurveyError::invalid(
                    f,
                    format!("must be one of: {}", keys.join(", ")),
                ));
            }
            (
                ItemKind::Multiple {
                    options,
                    max_choices,
                },
                AnswerValue::List(list),
            ) => {
                if let Some(bad) = list.iter().find(|s| !options.iter().any(|o| &o.key == *s)) {
                    return Err(SurveyError::invalid(f, format!("unknown option `{bad}`")));
                }
                // Stored in the form's option order, each once.
                let chosen: Vec<&str> = options
                    .iter()
                    .filter(|o| list.contains(&o.key))
                    .map(|o| o.key.as_str())
                    .collect();
                if chosen.len() != list.len() {
                    return Err(SurveyError::invalid(f, "an option is chosen twice"));
                }
                if let Some(max) = max_choices
                    && chosen.len() > *max as usize
                {
                    return Err(SurveyError::invalid(
                        f,
                        format!("at most {max} options may be chosen"),
                    ));
                }
                data.choice = Some(chosen.join(","))
            }
            (ItemKind::Multiple { .. }, _) => {
                return Err(SurveyError::invalid(f, "must be a list of option keys"));
            }
            (ItemKind::Text { max_length }, AnswerValue::Text(s)) => {
                let s = s.trim();
                if s.chars().count() > *max_length as usize {
                    return Err(SurveyError::invalid(
                        f,
                        format!("is longer than {max_length} characters"),
                    ));
                }
                data.text_value = Some(s.to_owned())
            }
            (ItemKind::Text { .. }, _) => {
                return Err(SurveyError::invalid(f, "must be text"));
            }
            (ItemKind::ServiceType, AnswerValue::Text(s)) => {
                out.service_type = Some(s.clone());
                continue;
            }
            (ItemKind::ServiceType, _) => {
                return Err(SurveyError::invalid(f, "must be a service type code"));
            }
        }
        out.answers.push(data);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::parse_form;
    use std::path::Path;

    fn form() -> Form {
        parse_form(
            Path::new("t.toml"),
            r#"
key = "t"
channels = ["counter"]
title = { zh-TW = "測", en = "T" }
[[items]]
key = "attitude"
type = "likert5"
required = true
text = { zh-TW = "態度", en = "Attitude" }
[[items]]
key = "volunteer"
type = "likert5"
allow_na = true
text = { zh-TW = "志工", en = "Volunteers" }
[[items]]
key = "service"
type = "service_type"
text = { zh-TW = "業務", en = "Service" }
[[items]]
key = "reasons"
type = "multiple"
max_choices = 2
text = { zh-TW = "原因", en = "Reasons" }
options = [{ key = "a", zh-TW = "甲", en = "A" }, { key = "b", zh-TW = "乙", en = "B" }, { key = "c", zh-TW = "丙", en = "C" }]
[[items]]
key = "comment"
type = "text"
max_length = 5
text = { zh-TW = "意見", en = "Comment" }
"#,
        )
        .unwrap()
    }

    fn answers(pairs: &[(&str, AnswerValue)]) -> BTreeMap<String, AnswerValue> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn invalid_field(r: Result<CheckedAnswers, SurveyError>) -> String {
        match r {
            Err(SurveyError::Invalid { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn checks_and_normalises() {
        let c = check_answers(
            &form(),
            &answers(&[
                ("attitude", AnswerValue::Number(4)),
                ("volunteer", AnswerValue::Text("na".into())),
                ("service", AnswerValue::Text("transcript".into())),
                ("reasons", AnswerValue::List(vec!["c".into(), "a".into()])),
                ("comment", AnswerValue::Text("  很好  ".into())),
            ]),
        )
        .unwrap();
        assert_eq!(c.service_type.as_deref(), Some("transcript"));
        assert_eq!(c.answers.len(), 4);
        assert_eq!(c.answers[0].score, Some(4));
        assert_eq!(c.answers[1].choice.as_deref(), Some("na"));
        assert_eq!(c.answers[2].choice.as_deref(), Some("a,c"));
        assert_eq!(c.answers[3].text_value.as_deref(), Some("很好"));
    }

    #[test]
    fn refuses_each_kind_of_bad_answer() {
        let f = form();
        let ok = ("attitude", AnswerValue::Number(5));
        assert_eq!(
            invalid_field(check_answers(&f, &answers(&[]))),
            "answers.attitude"
        );
        assert_eq!(
            invalid_field(check_answers(
                &f,
                &answers(&[("attitude", AnswerValue::Number(6))])
            )),
            "answers.attitude"
        );
        assert_eq!(
            invalid_field(check_answers(
                &f,
                &answers(&[("attitude", AnswerValue::Number(0))])
            )),
            "answers.attitude"
        );
        assert_eq!(
            invalid_field(check_answers(
                &f,
                &answers(&[("attitude", AnswerValue::Text("na".into()))])
            )),
            "answers.attitude",
            "na only where allowed"
        );
        assert_eq!(
            invalid_field(check_answers(
                &f,
                &answers(&[ok.clone(), ("nope", AnswerValue::Number(1))])
            )),
            "answers.nope"
        );
        assert_eq!(
            invalid_field(check_answers(
                &f,
                &answers(&[
                    ok.clone(),
                    (
                        "reasons",
                        AnswerValue::List(vec!["a".into(), "b".into(), "c".into()])
                    )
                ])
            )),
            "answers.reasons"
        );
        assert_eq!(
            invalid_field(check_answers(
                &f,
                &answers(&[
                    ok.clone(),
                    ("reasons", AnswerValue::List(vec!["a".into(), "a".into()]))
                ])
            )),
            "answers.reasons"
        );
        assert_eq!(
            invalid_field(check_answers(
                &f,
                &answers(&[
                    ok.clone(),
                    ("comment", AnswerValue::Text("一二三四五六".into()))
                ])
            )),
            "answers.comment"
        );
        // Five characters (not bytes) fit.
        assert!(
            check_answers(
                &f,
                &answers(&[ok, ("comment", AnswerValue::Text("一二三四五".into()))])
            )
            .is_ok()
        );
    }
}
