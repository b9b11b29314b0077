//! A mapping file: another tool's export (Google Forms, LimeSurvey …) in
//! manyi's words. TOML, four optional tables:
//!
//! ```toml
//! [columns]                 # their header = manyi column or item key
//! "Timestamp" = "submitted_at"
//! "1. 櫃檯人員服務態度" = "staff_attitude"
//! [values.staff_attitude]   # their code = manyi value, for one column
//! "A1" = 5
//! [constants]               # a column the export lacks: one value for every row
//! office_code = "JS"
//! [ignore]                  # their columns to leave out
//! columns = ["Email Address", "id"]
//! ```
//!
//! Every column of the file must be mapped, ignored, or already be named as
//! manyi names it; every `[columns]` entry must name a column of the file.
//! The checks of the file's rows are the same as without a mapping.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::rows::{Column, parse_answer};
use crate::forms::{Channel, Form, ItemKind};
use crate::tabular::{Row, Table};

/// Every problem of a mapping file, each as `FILE:LINE:COLUMN: what`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: the mapping is not valid ({} error(s)):\n{}", .errors.len(), .errors.join("\n"))]
pub struct MappingErrors {
    pub file: String,
    pub errors: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    #[serde(default)]
    columns: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    values: BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<toml::Value>>>,
    #[serde(default)]
    constants: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    ignore: Option<RawIgnore>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    #[serde(default)]
    columns: Vec<Spanned<String>>,
}

/// A checked mapping, for one form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// The mapping file, for messages.
    file: String,
    /// Their header → manyi's column, with where the entry is (`line:column`).
    columns: BTreeMap<String, (Column, String)>,
    /// Per manyi column: their code → manyi's value.
    values: HashMap<Column, HashMap<String, String>>,
    /// Columns the export lacks, with their value and where they are.
    constants: Vec<(Column, String, String)>,
    ignore: BTreeSet<String>,
}

/// `line:column` (both from 1) of a byte offset.
fn place(source: &str, span: Range<usize>) -> String {
    let before = &source[..span.start.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!("{line}:{column}")
}

/// A value of `[values.*]` or `[constants]`: text, or a whole number.
fn value_text(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.trim().to_owned()),
        toml::Value::Integer(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Whether `value` is something manyi takes in `column`, checked where the
/// mapping can tell: 5-point answers and channels (offices, counters and
/// service types are checked against the database row by row).
fn check_value(column: &Column, value: &str, form: &Form) -> Result<(), String> {
    match column {
        Column::Item(key) => {
            let item = form
                .item(key)
                .expect("a Column::Item is an item of the form");
            let ItemKind::Likert5 { scale, allow_na } = item.kind else {
                unreachable!("a Column::Item is a 5-point item")
            };
            parse_answer(value, scale, allow_na).map(|_| ())
        }
        Column::Channel => Channel::parse(value)
            .map(|_| ())
            .ok_or_else(|| format!("`{value}` is not counter, web or internal")),
        _ => Ok(()),
    }
}

impl Mapping {
    /// Reads and checks a mapping file's text for `form`; `file` names it in
    /// messages.
    pub fn parse(file: &str, source: &str, form: &Form) -> Result<Self, MappingErrors> {
        let fail = |errors: Vec<String>| MappingErrors {
            file: file.to_owned(),
            errors,
        };
        let raw: RawMapping = toml::from_str(source).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!("{file}:{}: ", place(source, s)))
                .unwrap_or_else(|| format!("{file}: "));
            fail(vec![format!("{at}{}", e.message().trim())])
        })?;
        let at = |span: Range<usize>| format!("{file}:{}", place(source, span));
        let mut errors = Vec::new();
        let mut mapping = Mapping {
            file: file.to_owned(),
            columns: BTreeMap::new(),
            values: HashMap::new(),
            constants: Vec::new(),
            ignore: BTreeSet::new(),
        };
        let mut targets: HashMap<Column, String> = HashMap::new();
        for (theirs, ours) in &raw.columns {
            let Some(column) = Column::parse(ours.get_ref(), form) else {
                errors.push(format!(
                    "{}: [columns] \"{}\" = \"{}\": `{}` is not a manyi column: expected {}",
                    at(ours.span()),
                    theirs.get_ref(),
                    ours.get_ref(),
                    ours.get_ref(),
                    Column::expected(form)
                ));
                continue;
            };
            if let Some(other) = targets.insert(column.clone(), theirs.get_ref().clone()) {
                errors.push(format!(
                    "{}: [columns] \"{}\": `{}` is already given by \"{other}\"",
                    at(theirs.span()),
                    theirs.get_ref(),
                    column.name()
                ));
                continue;
            }
            mapping
                .columns
                .insert(theirs.get_ref().clone(), (column, at(theirs.span())));
        }
        for (ours, codes) in &raw.values {
            let Some(column) = Column::parse(ours.get_ref(), form) else {
                errors.push(format!(
                    "{}: [values.{}]: `{}` is not a manyi column: expected {}",
                    at(ours.span()),
                    ours.get_ref(),
                    ours.get_ref(),
                    Column::expected(form)
                ));
                continue;
            };
            let mut table = HashMap::new();
            for (code, value) in codes {
                let Some(text) = value_text(value.get_ref()) else {
                    errors.push(format!(
                        "{}: [values.{}] \"{}\": must be text or a whole number",
                        at(value.span()),
                        ours.get_ref(),
                        code.get_ref()
                    ));
                    continue;
                };
                if let Err(why) = check_value(&column, &text, form) {
                    errors.push(format!(
                        "{}: [values.{}] \"{}\": {why}",
                        at(value.span()),
                        ours.get_ref(),
                        code.get_ref()
                    ));
                    continue;
                }
                table.insert(code.get_ref().trim().to_owned(), text);
            }
            mapping.values.insert(column, table);
        }
        for (ours, value) in &raw.constants {
            let Some(column) = Column::parse(ours.get_ref(), form) else {
                errors.push(format!(
                    "{}: [constants] `{}` is not a manyi column: expected {}",
                    at(ours.span()),
                    ours.get_ref(),
                    Column::expected(form)
                ));
                continue;
            };
            if let Some(theirs) = targets.get(&column) {
                errors.push(format!(
                    "{}: [constants] `{}`: [columns] \"{theirs}\" gives it already",
                    at(ours.span()),
                    ours.get_ref()
                ));
                continue;
            }
            let Some(text) = value_text(value.get_ref()) else {
                errors.push(format!(
                    "{}: [constants] `{}`: must be text or a whole number",
                    at(value.span()),
                    ours.get_ref()
                ));
                continue;
            };
            if let Err(why) = check_value(&column, &text, form) {
                errors.push(format!(
                    "{}: [constants] `{}`: {why}",
                    at(value.span()),
                    ours.get_ref()
                ));
                continue;
            }
            mapping.constants.push((column, text, at(ours.span())));
        }
        for name in raw.ignore.iter().flat_map(|i| &i.columns) {
            if mapping.columns.contains_key(name.get_ref()) {
                errors.push(format!(
                    "{}: [ignore] \"{}\" is also mapped in [columns]",
                    at(name.span()),
                    name.get_ref()
                ));
                continue;
            }
            mapping.ignore.insert(name.get_ref().clone());
        }
        if errors.is_empty() {
            Ok(mapping)
        } else {
            Err(fail(errors))
        }
    }

    /// The file's table in manyi's columns: mapped columns renamed and their
    /// codes translated (a value the mapping does not list is kept as it is),
    /// ignored ones left out, the constants added. Refused: a column the
    /// mapping neither maps nor ignores (unless it has manyi's name already),
    /// a `[columns]` entry the file lacks, a constant the file also gives.
    pub(super) fn apply(&self, table: Table, form: &Form) -> Result<Table, Vec<String>> {
        let mut errors = Vec::new();
        let mut kept: Vec<(usize, Column, String)> = Vec::new();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for h in &table.headers {
            *counts.entry(h.as_str()).or_default() += 1;
        }
        for (i, h) in table.headers.iter().enumerate() {
            if self.ignore.contains(h) {
                continue;
            }
            if counts[h.as_str()] > 1 {
                errors.push(format!(
                    "{}: the file has {} columns named so; a mapping cannot tell them apart",
                    table.at_header(Some(i)),
                    counts[h.as_str()]
                ));
                continue;
            }
            if let Some((column, _)) = self.columns.get(h) {
                kept.push((i, column.clone(), format!("{h} ({})", column.name())));
            } else if let Some(column) = Column::parse(h, form) {
                kept.push((i, column, h.clone()));
            } else {
                errors.push(format!(
                    "{}: not mapped in {}: add it to [columns] or to [ignore] columns",
                    table.at_header(Some(i)),
                    self.file
                ));
            }
        }
        for (theirs, (_, at)) in &self.columns {
            if !table.headers.contains(theirs) {
                let whose = match &table.sheet {
                    Some(s) => format!("sheet {s}"),
                    None => "the file".to_owned(),
                };
                errors.push(format!(
                    "{at}: [columns] \"{theirs}\": {whose} has no such column"
                ));
            }
        }
        for (column, _, at) in &self.constants {
            if let Some((_, _, shown)) = kept.iter().find(|(_, c, _)| c == column) {
                errors.push(format!(
                    "{at}: [constants] `{}`: the file gives it already (column {shown})",
                    column.name()
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut out = Table::new(table.sheet.clone(), table.header_row, Vec::new());
        for (_, column, shown) in &kept {
            out.headers.push(column.name().to_owned());
            out.shown.push(shown.clone());
        }
        for (column, _, _) in &self.constants {
            out.headers.push(column.name().to_owned());
            out.shown
                .push(format!("{} ([constants] of {})", column.name(), self.file));
        }
        for row in table.rows {
            let mut cells: Vec<String> = kept
                .iter()
                .map(|(i, column, _)| {
                    let v = row.cells.get(*i).map(|s| s.trim()).unwrap_or("");
                    self.values
                        .get(column)
                        .and_then(|codes| codes.get(v))
                        .cloned()
                        .unwrap_or_else(|| v.to_owned())
                })
                .collect();
            cells.extend(self.constants.iter().map(|(_, v, _)| v.clone()));
            out.rows.push(Row {
                number: row.number,
                cells,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Form {
        crate::forms::parse_form(
            std::path::Path::new("survey-forms/counter.toml"),
            include_str!("../../../survey-forms/counter.toml"),
        )
        .unwrap()
    }

    fn errors(source: &str) -> Vec<String> {
        Mapping::parse("map.toml", source, &form())
            .unwrap_err()
            .errors
    }

    const GOOD: &str = r#"
[columns]
"Timestamp" = "submitted_at"
"Q1" = "staff_attitude"
"Q2" = "overall"
"Note" = "comment"

[values.staff_attitude]
"A1" = 5
"A5" = "非常不滿意"

[values.overall]
"A1" = "5"

[constants]
office_code = "JS"
channel = "counter"

[ignore]
columns = ["Email Address", "id"]
"#;

    #[test]
    fn a_mapping_renames_translates_and_adds() {
        let form = form();
        let m = Mapping::parse("map.toml", GOOD, &form).unwrap();
        let mut t = Table::new(
            Some("S".into()),
            1,
            [
                "id",
                "Q2",
                "Timestamp",
                "Email Address",
                "Q1",
                "Note",
                "counter",
            ]
            .map(String::from)
            .to_vec(),
        );
        t.rows.push(Row {
            number: 2,
            cells: ["7", "A1", "2024-05-02", "a@b", " A5 ", "好", ""]
                .map(String::from)
                .to_vec(),
        });
        let out = m.apply(t, &form).unwrap();
        assert_eq!(
            out.headers,
            [
                "overall",
                "submitted_at",
                "staff_attitude",
                "comment",
                "counter",
                "channel",
                "office_code"
            ]
        );
        assert_eq!(
            out.rows[0].cells,
            ["5", "2024-05-02", "非常不滿意", "好", "", "counter", "JS"]
        );
        assert_eq!(out.rows[0].number, 2);
        assert_eq!(
            out.at(2, Some(2)),
            "sheet S, row 2, column Q1 (staff_attitude)"
        );
        assert_eq!(
            out.at(2, Some(6)),
            "sheet S, row 2, column office_code ([constants] of map.toml)"
        );
    }

    #[test]
    fn the_file_must_fit_the_mapping() {
        let form = form();
        let m = Mapping::parse("map.toml", GOOD, &form).unwrap();
        let t = Table::new(
            None,
            1,
            ["Q1", "Q2", "Note", "Extra", "office_code", "Q1x", "Q1x"]
                .map(String::from)
                .to_vec(),
        );
        let e = m.apply(t, &form).unwrap_err();
        assert_eq!(
            e,
            [
                "row 1, column Extra: not mapped in map.toml: add it to [columns] or to [ignore] columns",
                "row 1, column Q1x: the file has 2 columns named so; a mapping cannot tell them apart",
                "row 1, column Q1x: the file has 2 columns named so; a mapping cannot tell them apart",
                "map.toml:3:1: [columns] \"Timestamp\": the file has no such column",
                "map.toml:16:1: [constants] `office_code`: the file gives it already (column office_code)",
            ]
        );
    }

    #[test]
    fn mistakes_name_the_file_and_the_place() {
        assert_eq!(
            errors("[colums]\n\"a\" = \"overall\"\n"),
            [
                "map.toml:1:2: unknown field `colums`, expected one of `columns`, `values`, `constants`, `ignore`"
            ]
        );
        assert_eq!(
            errors("[ignore]\ncolumn = [\"x\"]\n"),
            ["map.toml:2:1: unknown field `column`, expected `columns`"]
        );
        let e =
            errors("[columns]\n\"Q9\" = \"colour\"\n\"Q1\" = \"overall\"\n\"Q2\" = \"overall\"\n");
        assert_eq!(e.len(), 2, "{e:?}");
        // In the order of their headers: Q1, Q2, Q9.
        assert_eq!(
            e[0],
            "map.toml:4:1: [columns] \"Q2\": `overall` is already given by \"Q1\""
        );
        assert!(
            e[1].starts_with("map.toml:2:8: [columns] \"Q9\" = \"colour\": `colour` is not a manyi column: expected one of office_code, "),
            "{e:?}"
        );
        let e = errors("[values.colour]\n\"A1\" = 5\n[values.overall]\n\"A1\" = 7\n\"A2\" = 1.5\n");
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(
            e[0].starts_with("map.toml:1:9: [values.colour]: `colour` is not a manyi column"),
            "{e:?}"
        );
        assert!(
            e[1].starts_with("map.toml:4:8: [values.overall] \"A1\": `7` is not a score 1-5"),
            "{e:?}"
        );
        assert_eq!(
            e[2],
            "map.toml:5:8: [values.overall] \"A2\": must be text or a whole number"
        );
        let e = errors(
            "[columns]\n\"Office\" = \"office_code\"\n[constants]\noffice_code = \"JS\"\nchannel = \"phone\"\nnope = 1\n",
        );
        assert_eq!(e.len(), 3, "{e:?}");
        assert_eq!(
            e[0],
            "map.toml:5:11: [constants] `channel`: `phone` is not counter, web or internal"
        );
        assert!(
            e[1].starts_with("map.toml:6:1: [constants] `nope` is not a manyi column"),
            "{e:?}"
        );
        assert_eq!(
            e[2],
            "map.toml:4:1: [constants] `office_code`: [columns] \"Office\" gives it already"
        );
        assert_eq!(
            errors("[columns]\n\"id\" = \"overall\"\n[ignore]\ncolumns = [\"id\"]\n"),
            ["map.toml:4:12: [ignore] \"id\" is also mapped in [columns]"]
        );
        let e = errors("[columns\n");
        assert!(e[0].starts_with("map.toml:1:"), "{e:?}");
    }
}
