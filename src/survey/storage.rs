//! Storing responses: the rows, the reference lookups a submission needs, one
//! transaction per response (idempotent per key), batch inserts, and reading a
//! response back.

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::answers::{AnswerData, AnswerValue, check_answers, field};
use super::{IdempotencyKey, SurveyError, alerts, tokens};
use crate::db::schema::{answers, responses};
use crate::db::{self, DbConnection};
use crate::forms::{Access, Channel, Form, ItemKind};
use crate::offices;

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

// `None` is bound as NULL, never as DEFAULT: none of these columns has a
// default, and a DEFAULT makes diesel write a SQLite batch one row per statement.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = responses, treat_none_as_default_value = false)]
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
#[diesel(table_name = answers, treat_none_as_default_value = false)]
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
    let prepared = prepare_response(conn, form, new, lookup)?;
    write_response(conn, &prepared)
}

/// A response checked against its form and ready to write: its row, its
/// answers and the alert it raises. Preparing reads reference data only;
/// writing needs no look-up, so a writer can store many at once
/// ([`write_batch`]).
#[derive(Debug, Clone)]
pub struct Prepared {
    row: ResponseRow,
    answers: Vec<AnswerData>,
    alert: Option<alerts::PendingAlert>,
    /// (office, form key, token) of a one-time link, consumed with the response.
    token: Option<(i32, String, String)>,
}

impl Prepared {
    /// Written through a one-time link: such a response is written alone
    /// (its retry is recognised before the token is consumed).
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    pub fn idempotency_key(&self) -> &str {
        &self.row.idempotency_key
    }
}

/// Checks a submission against its form and who may answer it, and decides
/// its alert. Nothing is written.
pub fn prepare_response(
    conn: &mut DbConnection,
    form: &Form,
    new: &NewResponse,
    lookup: &dyn Lookup,
) -> Result<Prepared, SurveyError> {
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
    let alert = alerts::alert_for(conn, lookup, new.office_id, &likert)?;
    Ok(Prepared {
        row,
        answers: checked.answers,
        alert,
        token: new
            .survey_token
            .clone()
            .map(|t| (new.office_id, form.key.clone(), t)),
    })
}

fn answer_rows(response_id: i64, answers: &[AnswerData]) -> impl Iterator<Item = AnswerRow> + '_ {
    answers.iter().map(move |a| AnswerRow {
        response_id,
        item_key: a.item_key.clone(),
        score: a.score,
        choice: a.choice.clone(),
        text_value: a.text_value.clone(),
    })
}

/// Writes one prepared response with its answers and alert in its own
/// transaction. A key seen before returns the first response's id and
/// writes nothing.
pub fn write_response(conn: &mut DbConnection, p: &Prepared) -> Result<Stored, SurveyError> {
    let key = &p.row.idempotency_key;
    // A retry is normally caught by the key's unique index at insert time (no
    // extra query on the common path). A one-time link is consumed before the
    // insert, so for those the retry is recognised first.
    if p.token.is_some()
        && let Some(existing) = find_by_key(conn, key)?
    {
        return retry_of(conn, existing, p);
    }
    let outcome = db::write_transaction(conn, |conn| {
        if let Some((office_id, form_key, token)) = &p.token
            && !tokens::consume_survey_token(conn, *office_id, form_key, token)?
        {
            return Err(SurveyError::invalid(
                "survey_token",
                "this link is unknown or has been used already",
            ));
        }
        let id = insert_responses(conn, std::slice::from_ref(&p.row))?[0];
        let rows: Vec<AnswerRow> = answer_rows(id, &p.answers).collect();
        insert_answers(conn, &rows)?;
        let alert_id = match &p.alert {
            Some(a) => Some(alerts::insert_alert(conn, p.row.office_id, id, a)?),
            None => None,
        };
        Ok::<_, SurveyError>((id, alert_id))
    });
    match outcome {
        Ok((response_id, alert_id)) => Ok(Stored {
            response_id,
            duplicate: false,
            alert_id,
        }),
        // A concurrent retry with the same key won the race: report it as a duplicate.
        Err(SurveyError::Db(e)) if db::is_unique_violation(&e) => match find_by_key(conn, key)? {
            Some(response_id) => retry_of(conn, response_id, p),
            None => Err(e.into()),
        },
        Err(e) => Err(e),
    }
}

/// Writes many prepared responses in **one** transaction (group commit): the
/// responses in one statement that skips keys already stored, their answers
/// in one more, then their alerts; retries (a key stored before, or twice in
/// the batch) are recognised after the inserts, inside the transaction. One
/// result per response, in order, all decided by the one commit: nothing is
/// reported stored before it. Should anything in the batch fail in the
/// database, the batch is rolled back and each response is written alone
/// ([`write_response`]), so a bad one fails alone and its neighbours are
/// stored. Responses through one-time links are written alone.
pub fn write_batch(
    conn: &mut DbConnection,
    batch: &[Prepared],
) -> Vec<Result<Stored, SurveyError>> {
    let one_by_one =
        |conn: &mut DbConnection| batch.iter().map(|p| write_response(conn, p)).collect();
    if batch.len() < 2 || batch.iter().any(Prepared::has_token) {
        return one_by_one(conn);
    }
    match db::write_transaction(conn, |conn| batch_in_transaction(conn, batch)) {
        Ok(results) => results,
        Err(e) => {
            tracing::warn!(error = %e, responses = batch.len(), "batch rolled back; writing its responses one by one");
            one_by_one(conn)
        }
    }
}

fn batch_in_transaction(
    conn: &mut DbConnection,
    batch: &[Prepared],
) -> Result<Vec<Result<Stored, SurveyError>>, SurveyError> {
    let rows: Vec<ResponseRow> = batch.iter().map(|p| p.row.clone()).collect();
    let returned: Vec<(String, i64)> = crate::on_engine!(&mut *conn, |c| {
        diesel::insert_into(responses::table)
            .values(&rows)
            .on_conflict(responses::idempotency_key)
            .do_nothing()
            .returning((responses::idempotency_key, responses::id))
            .get_results(c)
    })?;
    let mut ids: std::collections::HashMap<String, i64> = returned.into_iter().collect();
    // The first response of each new key gets its id; any other is a retry.
    let new_ids: Vec<Option<i64>> = batch
        .iter()
        .map(|p| ids.remove(&p.row.idempotency_key))
        .collect();
    let answers: Vec<AnswerRow> = batch
        .iter()
        .zip(&new_ids)
        .filter_map(|(p, id)| id.map(|id| answer_rows(id, &p.answers)))
        .flatten()
        .collect();
    insert_answers(conn, &answers)?;
    let mut results = Vec::with_capacity(batch.len());
    for (p, id) in batch.iter().zip(&new_ids) {
        results.push(match id {
            Some(id) => {
                let alert_id = match &p.alert {
                    Some(a) => Some(alerts::insert_alert(conn, p.row.office_id, *id, a)?),
                    None => None,
                };
                Ok(Stored {
                    response_id: *id,
                    duplicate: false,
                    alert_id,
                })
            }
            None => {
                let first = find_by_key(conn, &p.row.idempotency_key)?
                    .ok_or(diesel::result::Error::NotFound)?;
                match retry_of(conn, first, p) {
                    Err(SurveyError::Db(e)) => return Err(e.into()),
                    other => other,
                }
            }
        });
    }
    Ok(results)
}

/// A submission under a key stored before: the same submission again (a
/// retry: nothing new, the first id), or a different one (refused, as payment
/// APIs refuse a reused key). Compared: office, form version, channel,
/// counter, service type and every answer; not the time, which a retry
/// without `answered_at` takes anew.
fn retry_of(
    conn: &mut DbConnection,
    response_id: i64,
    p: &Prepared,
) -> Result<Stored, SurveyError> {
    let row = &p.row;
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
    let mut given = p.answers.clone();
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

fn find_by_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<i64>> {
    responses::table
        .filter(responses::idempotency_key.eq(key))
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

/// Rows per statement of a bulk write on SQLite: a statement of `N` rows has
/// one shape, which diesel prepares once and keeps (an INSERT of any other
/// number of rows is parsed anew each time: a sixth of a large load's time).
const ANSWER_BLOCK: usize = 500;
const RESPONSE_BLOCK: usize = 200;

/// Inserts `$rows` into `$table` on SQLite in statements of exactly `$n`
/// rows, each prepared once, and the rest in one statement; the rows written.
macro_rules! insert_blocks {
    ($c:expr, $table:expr, $rows:expr, $n:expr) => {{
        let c: &mut diesel::SqliteConnection = $c;
        let mut written = 0;
        let mut blocks = $rows.chunks_exact($n);
        for block in &mut blocks {
            let block: &[_; $n] = block.try_into().expect("chunks_exact gives whole blocks");
            written += diesel::insert_into($table).values(block).execute(c)?;
        }
        let rest = blocks.remainder();
        if !rest.is_empty() {
            written += diesel::insert_into($table).values(rest).execute(c)?;
        }
        Ok::<usize, diesel::result::Error>(written)
    }};
}

/// Inserts answers in batches. Call inside a transaction.
pub fn insert_answers(conn: &mut DbConnection, rows: &[AnswerRow]) -> QueryResult<usize> {
    if let DbConnection::Sqlite(c) = conn
        && rows.len() >= ANSWER_BLOCK
    {
        return insert_blocks!(c, answers::table, rows, ANSWER_BLOCK);
    }
    let mut n = 0;
    for chunk in rows.chunks(ANSWER_CHUNK) {
        n += crate::on_engine!(&mut *conn, |c| diesel::insert_into(answers::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(n)
}

/// A response with its id chosen ahead, for [`insert_bulk`].
#[derive(Insertable)]
#[diesel(table_name = responses, treat_none_as_default_value = false)]
struct NumberedResponse {
    id: i64,
    office_id: i32,
    channel: String,
    form_version_id: i32,
    submitted_at: NaiveDateTime,
    received_at: NaiveDateTime,
    counter_id: Option<i32>,
    staff_id: Option<i32>,
    service_type_id: Option<i32>,
    device_id: Option<i32>,
    idempotency_key: String,
}

impl NumberedResponse {
    fn new(id: i64, r: ResponseRow) -> Self {
        NumberedResponse {
            id,
            office_id: r.office_id,
            channel: r.channel,
            form_version_id: r.form_version_id,
            submitted_at: r.submitted_at,
            received_at: r.received_at,
            counter_id: r.counter_id,
            staff_id: r.staff_id,
            service_type_id: r.service_type_id,
            device_id: r.device_id,
            idempotency_key: r.idempotency_key,
        }
    }
}

#[derive(QueryableByName)]
struct ReservedId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// Reserves `n` new response ids. PostgreSQL draws them from the column's
/// sequence (safe beside concurrent writers); SQLite takes the ones after the
/// largest id ever given (AUTOINCREMENT's own rule), which is safe because the
/// caller holds the write lock.
fn reserve_response_ids(conn: &mut DbConnection, n: usize) -> QueryResult<Vec<i64>> {
    match conn {
        DbConnection::Postgresql(c) => Ok(diesel::sql_query(
            "SELECT nextval(pg_get_serial_sequence('responses', 'id')) AS id \
             FROM generate_series(1, $1)",
        )
        .bind::<diesel::sql_types::BigInt, _>(n as i64)
        .load::<ReservedId>(c)?
        .into_iter()
        .map(|r| r.id)
        .collect()),
        DbConnection::Sqlite(c) => {
            let last = diesel::sql_query(
                "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'responses'), 0), \
                 COALESCE((SELECT MAX(id) FROM responses), 0)) AS id",
            )
            .get_result::<ReservedId>(c)?
            .id;
            Ok((last + 1..=last + n as i64).collect())
        }
    }
}

/// Writes many new responses with their answers in bulk (the demo generator):
/// the response ids are reserved ahead, so the answers need no `RETURNING`
/// round trip; PostgreSQL takes both tables by `COPY … FROM STDIN` (binary),
/// SQLite by multi-row INSERTs. There is no idempotency check: every key must
/// be new, and a key stored already fails the call with its unique violation.
/// Each answer's `response_id` is set here. Call inside a write transaction;
/// returns the numbers of responses and answers written.
pub fn insert_bulk(
    conn: &mut DbConnection,
    items: Vec<(ResponseRow, Vec<AnswerRow>)>,
) -> QueryResult<(usize, usize)> {
    let ids = reserve_response_ids(conn, items.len())?;
    let mut numbered = Vec::with_capacity(items.len());
    let mut answers = Vec::with_capacity(items.len() * 12);
    for ((row, mut given), id) in items.into_iter().zip(&ids) {
        for a in &mut given {
            a.response_id = *id;
        }
        answers.append(&mut given);
        numbered.push(NumberedResponse::new(*id, row));
    }
    match conn {
        DbConnection::Postgresql(c) => {
            let n = diesel::copy_from(responses::table)
                .from_insertable(&numbered[..])
                .execute(c)?;
            let m = diesel::copy_from(answers::table)
                .from_insertable(&answers[..])
                .execute(c)?;
            Ok((n, m))
        }
        DbConnection::Sqlite(c) => {
            let n = insert_blocks!(c, responses::table, numbered, RESPONSE_BLOCK)?;
            let m = insert_blocks!(c, answers::table, answers, ANSWER_BLOCK)?;
            Ok((n, m))
        }
    }
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
