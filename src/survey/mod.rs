//! Responses: checked against the form version they were given with, stored
//! once per idempotency key, in one transaction with their answers.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

pub use submit::{MAX_QUEUE_AGE_DAYS, Submission, Submitter, submit};

use crate::db::schema::{answers, responses};
use crate::db::{self, DbConnection};
use crate::forms::{Access, Channel, Form, ItemKind};
use crate::offices;

pub mod alerts;
pub mod dashboard;
pub mod devices;
pub mod import;
pub mod refcache;
mod submit;
pub mod tokens;

#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    /// The submission does not fit its form; `field` names what is wrong.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The form does not take answers from this submitter (see [`Access`]).
    #[error("{field}: {message}")]
    NotAllowed { field: String, message: String },
    /// The idempotency key was used before for a different submission.
    #[error("idempotency_key: used before for a different submission (response {response_id})")]
    KeyReused { response_id: i64 },
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl SurveyError {
    fn not_allowed(field: &str, message: &str) -> Self {
        SurveyError::NotAllowed {
            field: field.to_owned(),
            message: message.to_owned(),
        }
    }

    fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        SurveyError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A client-chosen key that makes a retried submission count once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(s: &str) -> Result<Self, SurveyError> {
        let ok = (8..=64).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(SurveyError::invalid(
                "idempotency_key",
                "must be 8 to 64 characters of A-Z, a-z, 0-9, `-` or `_` (a UUID is ideal)",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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

fn field(key: &str) -> String {
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
        let value = match given.get(&item.key) {
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
            item_key: item.key.clone(),
            score: None,
            choice: None,
            text_value: None,
        };
        match (&item.kind, value) {
            (ItemKind::Likert5 { .. }, AnswerValue::Number(n)) if (1..=5).contains(n) => {
                data.score = Some(*n as i16)
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

/// A submission whose references (office, form version …) are resolved.
#[derive(Debug, Clone)]
pub struct NewResponse {
    pub idempotency_key: IdempotencyKey,
    pub office_id: i32,
    pub channel: Channel,
    pub form_version_id: i32,
    pub submitted_at: NaiveDateTime,
    pub counter_id: Option<i32>,
    pub staff_id: Option<i32>,
    pub device_id: Option<i32>,
    pub answers: BTreeMap<String, AnswerValue>,
    /// A one-time link's token (internal surveys); consumed with the response.
    pub survey_token: Option<String>,
    /// The logged-in staff member filling in a `staff`-access form (checked
    /// to be of the office by the caller; not stored with the answers).
    pub submitted_by: Option<i32>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = responses)]
pub struct ResponseRow {
    pub office_id: i32,
    pub channel: String,
    pub form_version_id: i32,
    pub submitted_at: NaiveDateTime,
    pub received_at: NaiveDateTime,
    pub counter_id: Option<i32>,
    pub staff_id: Option<i32>,
    pub service_type_id: Option<i32>,
    pub device_id: Option<i32>,
    pub idempotency_key: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = answers)]
pub struct AnswerRow {
    pub response_id: i64,
    pub item_key: String,
    pub score: Option<i16>,
    pub choice: Option<String>,
    pub text_value: Option<String>,
}

/// Reference data a submission needs: service type ids and the office's
/// alert threshold. The database answers by default; the web layer passes a
/// short-lived in-memory copy so that a submission costs fewer round trips.
pub trait Lookup {
    fn service_type_id(&self, conn: &mut DbConnection, code: &str) -> QueryResult<Option<i32>>;
    fn alert_threshold(&self, conn: &mut DbConnection, office_id: i32) -> QueryResult<i16>;
}

/// Looks everything up in the database.
pub struct DbLookup;

impl Lookup for DbLookup {
    fn service_type_id(&self, conn: &mut DbConnection, code: &str) -> QueryResult<Option<i32>> {
        Ok(offices::find_service_type(conn, code)?.map(|t| t.id))
    }

    fn alert_threshold(&self, conn: &mut DbConnection, office_id: i32) -> QueryResult<i16> {
        use crate::db::schema::offices;
        offices::table
            .find(office_id)
            .select(offices::alert_threshold)
            .first(conn)
    }
}

/// What storing a submission did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Stored {
    pub response_id: i64,
    /// `true` when the key had been stored before: nothing new was written.
    pub duplicate: bool,
    /// The dissatisfaction alert this response raised, if any.
    pub alert_id: Option<i32>,
}

/// Checks and stores one response with its answers in one transaction.
/// A key seen before returns the first response's id and writes nothing.
pub fn store_response(
    conn: &mut DbConnection,
    form: &Form,
    new: &NewResponse,
) -> Result<Stored, SurveyError> {
    store_response_with(conn, form, new, &DbLookup)
}

/// [`store_response`] with the reference data from `lookup`.
pub fn store_response_with(
    conn: &mut DbConnection,
    form: &Form,
    new: &NewResponse,
    lookup: &dyn Lookup,
) -> Result<Stored, SurveyError> {
    if !form.accepts(new.channel) {
        return Err(SurveyError::invalid(
            "channel",
            format!(
                "the form `{}` does not take `{}` responses",
                form.key, new.channel
            ),
        ));
    }
    // Who may answer: enforced for every form from the start, not only once
    // an office has issued links.
    match form.access {
        Access::Public => {}
        Access::Device if new.device_id.is_none() => {
            return Err(SurveyError::not_allowed(
                "channel",
                "this form is answered on an enrolled kiosk only",
            ));
        }
        Access::Token if new.survey_token.is_none() => {
            return Err(SurveyError::not_allowed(
                "survey_token",
                "this survey is answered through a one-time link",
            ));
        }
        Access::Staff if new.submitted_by.is_none() => {
            return Err(SurveyError::not_allowed(
                "session",
                "this form is filled in by logged-in staff of the office",
            ));
        }
        Access::Device | Access::Token | Access::Staff => {}
    }
    let checked = check_answers(form, &new.answers)?;
    let service_type_id = match &checked.service_type {
        None => None,
        Some(code) => Some(lookup.service_type_id(conn, code)?.ok_or_else(|| {
            let key = form
                .items
                .iter()
                .find(|i| matches!(i.kind, ItemKind::ServiceType))
                .map(|i| i.key.as_str())
                .unwrap_or("service_type");
            SurveyError::invalid(field(key), format!("unknown service type `{code}`"))
        })?),
    };
    let row = ResponseRow {
        office_id: new.office_id,
        channel: new.channel.as_str().to_owned(),
        form_version_id: new.form_version_id,
        submitted_at: new.submitted_at,
        received_at: Utc::now().naive_utc(),
        counter_id: new.counter_id,
        staff_id: new.staff_id,
        service_type_id,
        device_id: new.device_id,
        idempotency_key: new.idempotency_key.as_str().to_owned(),
    };
    let likert: Vec<(String, i16)> = checked
        .answers
        .iter()
        .filter(|a| {
            form.item(&a.item_key)
                .is_some_and(|i| matches!(i.kind, ItemKind::Likert5 { .. }))
        })
        .filter_map(|a| a.score.map(|s| (a.item_key.clone(), s)))
        .collect();
    // A retry is normally caught by the key's unique index at insert time (no
    // extra query on the common path). A one-time link is consumed before the
    // insert, so for those the retry is recognised first.
    if new.survey_token.is_some()
        && let Some(existing) = find_by_key(conn, &new.idempotency_key)?
    {
        return retry_of(conn, existing, &row, &checked);
    }
    let outcome = db::write_transaction(conn, |conn| {
        if let Some(token) = &new.survey_token
            && !tokens::consume_survey_token(conn, new.office_id, &form.key, token)?
        {
            return Err(SurveyError::invalid(
                "survey_token",
                "this link is unknown or has been used already",
            ));
        }
        let id = insert_responses(conn, std::slice::from_ref(&row))?[0];
        let rows: Vec<AnswerRow> = checked
            .answers
            .iter()
            .map(|a| AnswerRow {
                response_id: id,
                item_key: a.item_key.clone(),
                score: a.score,
                choice: a.choice.clone(),
                text_value: a.text_value.clone(),
            })
            .collect();
        insert_answers(conn, &rows)?;
        let alert_id = alerts::raise_if_needed(conn, lookup, new.office_id, id, &likert)?;
        Ok::<_, SurveyError>((id, alert_id))
    });
    match outcome {
        Ok((response_id, alert_id)) => Ok(Stored {
            response_id,
            duplicate: false,
            alert_id,
        }),
        // A concurrent retry with the same key won the race: report it as a duplicate.
        Err(SurveyError::Db(e)) if db::is_unique_violation(&e) => {
            match find_by_key(conn, &new.idempotency_key)? {
                Some(response_id) => retry_of(conn, response_id, &row, &checked),
                None => Err(e.into()),
            }
        }
        Err(e) => Err(e),
    }
}

/// A submission under a key stored before: the same submission again (a
/// retry: nothing new, the first id), or a different one (refused, as payment
/// APIs refuse a reused key). Compared: office, form version, channel,
/// counter, service type and every answer; not the time, which a retry
/// without `answered_at` takes anew.
fn retry_of(
    conn: &mut DbConnection,
    response_id: i64,
    row: &ResponseRow,
    checked: &CheckedAnswers,
) -> Result<Stored, SurveyError> {
    let first: (i32, i32, String, Option<i32>, Option<i32>) = responses::table
        .find(response_id)
        .select((
            responses::office_id,
            responses::form_version_id,
            responses::channel,
            responses::counter_id,
            responses::service_type_id,
        ))
        .first(conn)?;
    let mut stored: Vec<AnswerData> = answers::table
        .filter(answers::response_id.eq(response_id))
        .select((
            answers::item_key,
            answers::score,
            answers::choice,
            answers::text_value,
        ))
        .load(conn)?;
    let mut given = checked.answers.clone();
    stored.sort();
    given.sort();
    let same = first
        == (
            row.office_id,
            row.form_version_id,
            row.channel.clone(),
            row.counter_id,
            row.service_type_id,
        )
        && stored == given;
    if same {
        Ok(Stored {
            response_id,
            duplicate: true,
            alert_id: None,
        })
    } else {
        Err(SurveyError::KeyReused { response_id })
    }
}

fn find_by_key(conn: &mut DbConnection, key: &IdempotencyKey) -> QueryResult<Option<i64>> {
    responses::table
        .filter(responses::idempotency_key.eq(key.as_str()))
        .select(responses::id)
        .first(conn)
        .optional()
}

/// Rows per INSERT statement: both engines cap bound parameters (SQLite at
/// 32766, PostgreSQL at 65535); responses carry 10 columns, answers 5.
const RESPONSE_CHUNK: usize = 2_000;
const ANSWER_CHUNK: usize = 5_000;

/// Inserts responses in batches and returns their ids in the order given.
/// Call inside a transaction.
pub fn insert_responses(conn: &mut DbConnection, rows: &[ResponseRow]) -> QueryResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(rows.len());
    if let [row] = rows {
        // One row: a statement of fixed shape, which diesel keeps prepared.
        let id: i64 = crate::on_engine!(&mut *conn, |c| {
            diesel::insert_into(responses::table)
                .values(row)
                .returning(responses::id)
                .get_result(c)
        })?;
        return Ok(vec![id]);
    }
    for chunk in rows.chunks(RESPONSE_CHUNK) {
        let returned: Vec<(String, i64)> = crate::on_engine!(&mut *conn, |c| {
            diesel::insert_into(responses::table)
                .values(chunk)
                .returning((responses::idempotency_key, responses::id))
                .get_results(c)
        })?;
        let found: BTreeMap<String, i64> = returned.into_iter().collect();
        for r in chunk {
            ids.push(found[&r.idempotency_key]);
        }
    }
    Ok(ids)
}

/// Inserts answers in batches. Call inside a transaction.
pub fn insert_answers(conn: &mut DbConnection, rows: &[AnswerRow]) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in rows.chunks(ANSWER_CHUNK) {
        n += crate::on_engine!(&mut *conn, |c| diesel::insert_into(answers::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(n)
}

/// A stored response with its answers, as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredResponse {
    pub id: i64,
    pub office_id: i32,
    pub channel: String,
    pub form_version_id: i32,
    pub submitted_at: NaiveDateTime,
    pub counter_id: Option<i32>,
    pub staff_id: Option<i32>,
    pub service_type_id: Option<i32>,
    pub device_id: Option<i32>,
    pub idempotency_key: String,
    pub answers: Vec<AnswerData>,
}

type ResponseTuple = (
    i64,
    i32,
    String,
    i32,
    NaiveDateTime,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    String,
);

pub fn load_response(conn: &mut DbConnection, id: i64) -> QueryResult<Option<StoredResponse>> {
    let Some(r) = responses::table
        .find(id)
        .select((
            responses::id,
            responses::office_id,
            responses::channel,
            responses::form_version_id,
            responses::submitted_at,
            responses::counter_id,
            responses::staff_id,
            responses::service_type_id,
            responses::device_id,
            responses::idempotency_key,
        ))
        .first::<ResponseTuple>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let answers = answers::table
        .filter(answers::response_id.eq(id))
        .order(answers::id)
        .select((
            answers::item_key,
            answers::score,
            answers::choice,
            answers::text_value,
        ))
        .load::<(String, Option<i16>, Option<String>, Option<String>)>(conn)?
        .into_iter()
        .map(|(item_key, score, choice, text_value)| AnswerData {
            item_key,
            score,
            choice,
            text_value,
        })
        .collect();
    Ok(Some(StoredResponse {
        id: r.0,
        office_id: r.1,
        channel: r.2,
        form_version_id: r.3,
        submitted_at: r.4,
        counter_id: r.5,
        staff_id: r.6,
        service_type_id: r.7,
        device_id: r.8,
        idempotency_key: r.9,
        answers,
    }))
}

pub fn count_responses(conn: &mut DbConnection) -> QueryResult<i64> {
    responses::table.count().get_result(conn)
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

    #[test]
    fn idempotency_key_shape() {
        assert!(IdempotencyKey::parse("2f1c6d2e-8a7b-4c1e-9f00-123456789abc").is_ok());
        assert!(IdempotencyKey::parse("short").is_err());
        assert!(IdempotencyKey::parse("has space in it").is_err());
        assert!(IdempotencyKey::parse(&"x".repeat(65)).is_err());
    }
}
