//! The one check of a table's rows, whatever file they came from: the
//! header read into a [`Layout`], then every row into a response and its
//! answers, or into its errors.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::ImportContext;
use crate::forms::{Channel, Form, Item, ItemKey, ItemKind, LikertScale, Score};
use crate::survey::{NOT_APPLICABLE, ResponseRow};
use crate::tabular::{Row, Table};

/// The columns of manyi's layout before the items, in the order a file
/// without a mapping gives them.
pub const FIXED: [&str; 5] = [
    "office_code",
    "submitted_at",
    "channel",
    "service_type",
    "counter",
];

/// A column of manyi's layout: a fixed one, the comment, or a 5-point item
/// of the form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Column {
    OfficeCode,
    SubmittedAt,
    Channel,
    ServiceType,
    Counter,
    Comment,
    Item(ItemKey),
}

impl Column {
    /// A column name of manyi's layout for `form`: one of [`FIXED`],
    /// `comment`, or the key of one of the form's 5-point items.
    pub fn parse(name: &str, form: &Form) -> Option<Self> {
        Some(match name {
            "office_code" => Column::OfficeCode,
            "submitted_at" => Column::SubmittedAt,
            "channel" => Column::Channel,
            "service_type" => Column::ServiceType,
            "counter" => Column::Counter,
            "comment" => Column::Comment,
            key => match form.item(key) {
                Some(item) if matches!(item.kind, ItemKind::Likert5 { .. }) => {
                    Column::Item(item.key.clone())
                }
                _ => return None,
            },
        })
    }

    pub fn name(&self) -> &str {
        match self {
            Column::OfficeCode => "office_code",
            Column::SubmittedAt => "submitted_at",
            Column::Channel => "channel",
            Column::ServiceType => "service_type",
            Column::Counter => "counter",
            Column::Comment => "comment",
            Column::Item(k) => k.as_str(),
        }
    }

    /// What a name must be, for messages: the fixed columns and the form's
    /// 5-point items.
    pub fn expected(form: &Form) -> String {
        let items: Vec<&str> = form
            .items
            .iter()
            .filter(|i| matches!(i.kind, ItemKind::Likert5 { .. }))
            .map(|i| i.key.as_str())
            .collect();
        format!(
            "one of {}, comment or a 5-point item of form `{}` ({})",
            FIXED.join(", "),
            form.key,
            items.join(", ")
        )
    }
}

/// Where each of manyi's columns is in a table.
struct Layout<'f> {
    office: Option<usize>,
    submitted_at: Option<usize>,
    channel: Option<usize>,
    service_type: Option<usize>,
    counter: Option<usize>,
    comment: Option<usize>,
    items: Vec<(usize, &'f Item)>,
}

/// A stored answer of a row: item key, score, choice, text.
pub(super) type RowAnswer = (String, Option<i16>, Option<&'static str>, Option<String>);

/// The rows of a table, checked: the responses (without their idempotency
/// keys), their row numbers and their answers.
pub(super) struct Parsed {
    pub responses: Vec<ResponseRow>,
    pub rows: Vec<usize>,
    pub answers: Vec<Vec<RowAnswer>>,
}

/// The header of a file without a mapping is manyi's layout exactly: the
/// five fixed columns, then 5-point items, then `comment`.
fn check_order(table: &Table) -> Vec<String> {
    let headers = &table.headers;
    let mut errors = Vec::new();
    for (i, want) in FIXED.iter().enumerate() {
        if headers.get(i).map(String::as_str) != Some(*want) {
            errors.push(format!(
                "{}, column {}: expected `{want}`, found `{}`",
                table.at_header(None),
                i + 1,
                headers.get(i).map(String::as_str).unwrap_or("")
            ));
        }
    }
    if headers.last().map(String::as_str) != Some("comment") {
        errors.push(format!(
            "{}, column {}: the last column must be `comment`",
            table.at_header(None),
            headers.len()
        ));
    }
    errors
}

fn layout<'f>(table: &Table, form: &'f Form, errors: &mut Vec<String>) -> Layout<'f> {
    let mut layout = Layout {
        office: None,
        submitted_at: None,
        channel: None,
        service_type: None,
        counter: None,
        comment: None,
        items: Vec::new(),
    };
    let mut seen: HashMap<Column, usize> = HashMap::new();
    for (i, h) in table.headers.iter().enumerate() {
        let Some(column) = Column::parse(h, form) else {
            errors.push(format!(
                "{}: not a 5-point item of form `{}`",
                table.at_header(Some(i)),
                form.key
            ));
            continue;
        };
        if let Some(first) = seen.insert(column.clone(), i) {
            errors.push(format!(
                "{}: `{}` is given twice (also by column {})",
                table.at_header(Some(i)),
                column.name(),
                table.shown[first]
            ));
            continue;
        }
        let slot = match &column {
            Column::OfficeCode => &mut layout.office,
            Column::SubmittedAt => &mut layout.submitted_at,
            Column::Channel => &mut layout.channel,
            Column::ServiceType => &mut layout.service_type,
            Column::Counter => &mut layout.counter,
            Column::Comment => &mut layout.comment,
            Column::Item(key) => {
                let item = form.item(key).expect("Column::parse found it");
                layout.items.push((i, item));
                continue;
            }
        };
        *slot = Some(i);
    }
    for (slot, name) in [
        (layout.office, "office_code"),
        (layout.submitted_at, "submitted_at"),
    ] {
        if slot.is_none() {
            errors.push(format!("{}: no `{name}` column", table.at_header(None)));
        }
    }
    if layout.items.is_empty() {
        errors.push(format!("{}: no item columns", table.at_header(None)));
    }
    layout
}

/// An answer to a 5-point item, from a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    Score(Score),
    NotApplicable,
}

/// A cell of a 5-point item: a score `1`-`5`, a label of the item's scale
/// (非常滿意 … 非常不滿意, `Very satisfied` …; see
/// [`LikertScale::score_of`]), or, when the item allows it, 不適用 (`na`,
/// `Not applicable`).
pub(super) fn parse_answer(v: &str, scale: LikertScale, allow_na: bool) -> Result<Answer, String> {
    let v = v.trim();
    if let Some(s) = v.parse::<i64>().ok().and_then(Score::new) {
        return Ok(Answer::Score(s));
    }
    if let Some(s) = scale.score_of(v) {
        return Ok(Answer::Score(s));
    }
    let na = crate::forms::not_applicable_label();
    if allow_na && (v == NOT_APPLICABLE || v == na.zh_tw || v.eq_ignore_ascii_case(&na.en)) {
        return Ok(Answer::NotApplicable);
    }
    let na = if allow_na {
        format!(", or {} ({}, {NOT_APPLICABLE})", na.zh_tw, na.en)
    } else {
        String::new()
    };
    Err(format!(
        "`{v}` is not a score 1-5 or a label of the {} scale ({}){na}",
        scale.name(),
        scale.accepted_labels().join(", ")
    ))
}

/// Checks every row of `table`; `exact` when the file has no mapping (its
/// header must then be manyi's layout in order). All errors are collected.
pub(super) fn parse_rows(
    table: &Table,
    exact: bool,
    ctx: &ImportContext<'_>,
) -> Result<Parsed, Vec<String>> {
    let mut errors = if exact {
        check_order(table)
    } else {
        Vec::new()
    };
    let layout = layout(table, ctx.form, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut parsed = Parsed {
        responses: Vec::new(),
        rows: Vec::new(),
        answers: Vec::new(),
    };
    for row in &table.rows {
        match parse_row(table, &layout, row, ctx) {
            Ok((response, answers)) => {
                parsed.responses.push(response);
                parsed.rows.push(row.number);
                parsed.answers.push(answers);
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if parsed.responses.is_empty() && errors.is_empty() {
        errors.push(match &table.sheet {
            Some(s) => format!("sheet {s}: no data rows"),
            None => "the file has no data rows".into(),
        });
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors)
    }
}

fn parse_row(
    table: &Table,
    layout: &Layout<'_>,
    row: &Row,
    ctx: &ImportContext<'_>,
) -> Result<(ResponseRow, Vec<RowAnswer>), Vec<String>> {
    let n = row.number;
    let get = |c: Option<usize>| Table::cell(row, c);
    let at = |c: Option<usize>| table.at(n, c);
    let mut errors = Vec::new();
    let office_code = get(layout.office);
    let office = ctx.offices.get(office_code).copied();
    if office.is_none() {
        errors.push(format!("{}: no office `{office_code}`", at(layout.office)));
    }
    let when: Option<NaiveDateTime> = match super::parse_when(get(layout.submitted_at)) {
        Ok(local) => {
            let utc = crate::calendar::taipei::to_utc(local);
            if utc > ctx.now {
                errors.push(format!("{}: in the future", at(layout.submitted_at)));
            } else if chrono::Datelike::year(&local) < 1912 {
                errors.push(format!(
                    "{}: before ROC year 1 (1912)",
                    at(layout.submitted_at)
                ));
            }
            Some(utc)
        }
        Err(e) => {
            errors.push(format!("{}: {e}", at(layout.submitted_at)));
            None
        }
    };
    let channel = match get(layout.channel) {
        "" => Some(Channel::Counter),
        c => Channel::parse(c).or_else(|| {
            errors.push(format!(
                "{}: `{c}` is not counter, web or internal",
                at(layout.channel)
            ));
            None
        }),
    };
    if let Some(c) = channel
        && !ctx.form.accepts(c)
    {
        errors.push(format!(
            "{}: form `{}` does not take `{c}` answers",
            at(layout.channel),
            ctx.form.key
        ));
    }
    let service_type = match get(layout.service_type) {
        "" => None,
        s => ctx.service_types.get(s).copied().or_else(|| {
            errors.push(format!(
                "{}: no service type `{s}`",
                at(layout.service_type)
            ));
            None
        }),
    };
    let counter = match (get(layout.counter), office) {
        ("", _) | (_, None) => None,
        (c, Some(o)) => ctx.counters.get(&(o, c.to_owned())).copied().or_else(|| {
            errors.push(format!(
                "{}: office `{office_code}` has no counter `{c}`",
                at(layout.counter)
            ));
            None
        }),
    };
    let mut answers = Vec::new();
    let mut scores = 0;
    for (c, item) in &layout.items {
        let v = get(Some(*c));
        if v.is_empty() {
            continue;
        }
        let ItemKind::Likert5 { scale, allow_na } = item.kind else {
            unreachable!("the layout holds 5-point items only")
        };
        match parse_answer(v, scale, allow_na) {
            Ok(Answer::Score(s)) => {
                scores += 1;
                answers.push((item.key.to_string(), Some(i16::from(s.get())), None, None))
            }
            Ok(Answer::NotApplicable) => {
                answers.push((item.key.to_string(), None, Some(NOT_APPLICABLE), None))
            }
            Err(e) => errors.push(format!("{}: {e}", at(Some(*c)))),
        }
    }
    if scores == 0 {
        errors.push(format!("{}: no scores", at(None)));
    }
    let comment = get(layout.comment);
    if !comment.is_empty() {
        let text_item = ctx
            .form
            .items
            .iter()
            .find(|i| matches!(i.kind, ItemKind::Text { .. }));
        match text_item {
            Some(item) => {
                let max = match item.kind {
                    ItemKind::Text { max_length } => max_length as usize,
                    _ => usize::MAX,
                };
                if comment.chars().count() > max {
                    errors.push(format!(
                        "{}: longer than {max} characters",
                        at(layout.comment)
                    ));
                } else if comment
                    .chars()
                    .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
                {
                    errors.push(format!(
                        "{}: holds control characters (NUL, BEL …)",
                        at(layout.comment)
                    ));
                } else {
                    answers.push((item.key.to_string(), None, None, Some(comment.to_owned())));
                }
            }
            None => errors.push(format!(
                "{}: form `{}` has no text item",
                at(layout.comment),
                ctx.form.key
            )),
        }
    }
    let (Some(office), Some(submitted_at), Some(channel), true) =
        (office, when, channel, errors.is_empty())
    else {
        return Err(errors);
    };
    let response = ResponseRow {
        office_id: office,
        channel: channel.as_str().to_owned(),
        form_version_id: ctx.form_version_id,
        submitted_at,
        received_at: ctx.now,
        counter_id: counter,
        staff_id: None,
        service_type_id: service_type,
        device_id: None,
        idempotency_key: String::new(),
    };
    Ok((response, answers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_as_scores_and_labels() {
        let s = LikertScale::Satisfaction;
        let score = |v: &str, allow_na| match parse_answer(v, s, allow_na) {
            Ok(Answer::Score(s)) => Some(s.get()),
            _ => None,
        };
        assert_eq!(score("5", false), Some(5));
        assert_eq!(score(" 1 ", false), Some(1));
        assert_eq!(score("非常滿意", false), Some(5));
        assert_eq!(score("very dissatisfied", false), Some(1));
        assert_eq!(score("NEUTRAL", false), Some(3));
        assert_eq!(parse_answer("不適用", s, true), Ok(Answer::NotApplicable));
        assert_eq!(
            parse_answer("not applicable", s, true),
            Ok(Answer::NotApplicable)
        );
        assert_eq!(parse_answer("na", s, true), Ok(Answer::NotApplicable));
        let e = parse_answer("不適用", s, false).unwrap_err();
        assert_eq!(
            e,
            "`不適用` is not a score 1-5 or a label of the satisfaction scale \
             (非常滿意, 滿意, 普通, 不滿意, 非常不滿意, Very satisfied, Satisfied, \
             Neutral, Dissatisfied, Very dissatisfied)"
        );
        let e = parse_answer("6", s, true).unwrap_err();
        assert!(
            e.ends_with("Very dissatisfied), or 不適用 (Not applicable, na)"),
            "{e}"
        );
        // The agreement scale takes its own words, not the satisfaction ones.
        let a = LikertScale::Agreement;
        assert_eq!(
            parse_answer("無意見", a, false),
            Ok(Answer::Score(Score::new(3).unwrap()))
        );
        let e = parse_answer("滿意", a, false).unwrap_err();
        assert!(e.contains("of the agreement scale (非常同意, 同意, 普通, 不同意, 非常不同意, 無意見, Strongly agree"), "{e}");
        assert!(parse_answer("4.5", s, false).is_err());
        assert!(parse_answer("0", s, false).is_err());
    }

    #[test]
    fn columns_are_manyi_names() {
        let form = crate::forms::parse_form(
            std::path::Path::new("survey-forms/counter.toml"),
            include_str!("../../../survey-forms/counter.toml"),
        )
        .unwrap();
        assert_eq!(
            Column::parse("office_code", &form),
            Some(Column::OfficeCode)
        );
        assert_eq!(Column::parse("comment", &form), Some(Column::Comment));
        assert_eq!(
            Column::parse("overall", &form).map(|c| c.name().to_owned()),
            Some("overall".to_owned())
        );
        // The service-type item and the text item are not 5-point items.
        assert_eq!(
            Column::parse("service_type", &form),
            Some(Column::ServiceType)
        );
        assert_eq!(Column::parse("colour", &form), None);
        let e = Column::expected(&form);
        assert!(e.starts_with("one of office_code, submitted_at, channel, service_type, counter, comment or a 5-point item of form `counter` (staff_attitude, "), "{e}");
    }
}
