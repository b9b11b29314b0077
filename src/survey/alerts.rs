//! Dissatisfaction alerts: a response rating any 5-point item at or below the
//! office's threshold (2 = 不滿意 by default) raises one, in the same
//! transaction as the response. Directors see them at once and acknowledge
//! them with a note.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::{AuditEntry, AuthError, Scope, User, record_audit};
use crate::db::schema::alerts;
use crate::db::{self, DbConnection};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = alerts)]
pub struct Alert {
    pub id: i32,
    pub office_id: i32,
    pub response_id: i64,
    pub created_at: NaiveDateTime,
    pub lowest_score: i16,
    /// Comma-separated keys of the items at or below the threshold.
    pub items: String,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub acknowledged_by: Option<i32>,
    pub note: Option<String>,
}

/// Raises the alert for a just-stored response when its scores call for one.
/// `likert` holds (item key, score) of its 5-point answers.
pub(crate) fn raise_if_needed(
    conn: &mut DbConnection,
    lookup: &dyn super::Lookup,
    office_id: i32,
    response_id: i64,
    likert: &[(String, i16)],
) -> QueryResult<Option<i32>> {
    // All 5s never alert (a threshold is below 5): skip the look-up.
    if likert.iter().all(|(_, s)| *s >= 5) {
        return Ok(None);
    }
    let threshold = lookup.alert_threshold(conn, office_id)?;
    let low: Vec<&(String, i16)> = likert.iter().filter(|(_, s)| *s <= threshold).collect();
    let Some(lowest) = low.iter().map(|(_, s)| *s).min() else {
        return Ok(None);
    };
    let items: Vec<&str> = low.iter().map(|(k, _)| k.as_str()).collect();
    diesel::insert_into(alerts::table)
        .values((
            alerts::office_id.eq(office_id),
            alerts::response_id.eq(response_id),
            alerts::created_at.eq(Utc::now().naive_utc()),
            alerts::lowest_score.eq(lowest),
            alerts::items.eq(items.join(",")),
        ))
        .execute(conn)?;
    alerts::table
        .filter(alerts::response_id.eq(response_id))
        .select(alerts::id)
        .first(conn)
        .map(Some)
}

/// Newest first; `open_only` leaves out acknowledged ones.
pub fn list_alerts(
    conn: &mut DbConnection,
    scope: &Scope,
    open_only: bool,
    limit: i64,
) -> QueryResult<Vec<Alert>> {
    let ids = scope.office_ids(conn)?;
    let mut q = alerts::table
        .filter(alerts::office_id.eq_any(ids))
        .order(alerts::id.desc())
        .limit(limit)
        .select(Alert::as_select())
        .into_boxed();
    if open_only {
        q = q.filter(alerts::acknowledged_at.is_null());
    }
    q.load(conn)
}

/// Alerts in scope newer than `after_id`, oldest first (for the live stream).
pub fn alerts_after(
    conn: &mut DbConnection,
    scope: &Scope,
    after_id: i32,
) -> QueryResult<Vec<Alert>> {
    let ids = scope.office_ids(conn)?;
    alerts::table
        .filter(alerts::office_id.eq_any(ids))
        .filter(alerts::id.gt(after_id))
        .order(alerts::id)
        .limit(100)
        .select(Alert::as_select())
        .load(conn)
}

pub fn latest_alert_id(conn: &mut DbConnection, scope: &Scope) -> QueryResult<i32> {
    let ids = scope.office_ids(conn)?;
    alerts::table
        .filter(alerts::office_id.eq_any(ids))
        .select(diesel::dsl::max(alerts::id))
        .first::<Option<i32>>(conn)
        .map(|m| m.unwrap_or(0))
}

pub fn acknowledge_alert(
    conn: &mut DbConnection,
    actor: &User,
    alert_id: i32,
    note: &str,
    client_addr: Option<&str>,
) -> Result<Alert, AuthError> {
    let alert = alerts::table
        .find(alert_id)
        .select(Alert::as_select())
        .first(conn)
        .optional()?
        .ok_or(AuthError::NotFound)?;
    actor.scope().check_office(conn, alert.office_id)?;
    db::write_transaction(conn, |conn| {
        diesel::update(alerts::table.find(alert_id))
            .set((
                alerts::acknowledged_at.eq(Utc::now().naive_utc()),
                alerts::acknowledged_by.eq(actor.id),
                alerts::note.eq(note.trim()),
            ))
            .execute(conn)?;
        record_audit(
            conn,
            &AuditEntry {
                actor: Some(actor),
                action: "alert_acknowledged",
                office_id: Some(alert.office_id),
                target: &format!("alert:{alert_id}"),
                detail: note.trim(),
                client_addr,
            },
        )?;
        Ok(alerts::table
            .find(alert_id)
            .select(Alert::as_select())
            .first(conn)?)
    })
}

/// Sets the score at or below which an office's responses raise alerts (1-4); audited.
pub fn set_alert_threshold(
    conn: &mut DbConnection,
    actor: &User,
    office_id: i32,
    threshold: i16,
    client_addr: Option<&str>,
) -> Result<(), AuthError> {
    actor.scope().check_office(conn, office_id)?;
    let threshold = threshold.clamp(1, 4);
    db::write_transaction(conn, |conn| {
        diesel::update(crate::db::schema::offices::table.find(office_id))
            .set(crate::db::schema::offices::alert_threshold.eq(threshold))
            .execute(conn)?;
        record_audit(
            conn,
            &AuditEntry {
                actor: Some(actor),
                action: "alert_threshold_changed",
                office_id: Some(office_id),
                target: &format!("office:{office_id}"),
                detail: &format!("threshold={threshold}"),
                client_addr,
            },
        )?;
        Ok(())
    })
}

/// Unacknowledged alerts per office, for the given offices.
pub fn open_alert_counts(
    conn: &mut DbConnection,
    office_ids: &[i32],
) -> QueryResult<Vec<(i32, i64)>> {
    use diesel::dsl::count_star;
    alerts::table
        .filter(alerts::office_id.eq_any(office_ids))
        .filter(alerts::acknowledged_at.is_null())
        .group_by(alerts::office_id)
        .select((alerts::office_id, count_star()))
        .load(conn)
}

/// What a director needs to judge an alert without opening anything else:
/// the response's channel, counter and service type, its answers and comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertDetail {
    pub channel: String,
    /// The counter's (zh-TW, English) name, for counter responses.
    pub counter: Option<(String, String)>,
    pub service_type: Option<(String, String)>,
    /// (item key, score) of the scored answers, in stored order.
    pub scores: Vec<(String, i16)>,
    /// The free-text answers, joined.
    pub comment: String,
}

/// The details of the responses behind alerts, by response id.
pub fn alert_details(
    conn: &mut DbConnection,
    response_ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, AlertDetail>> {
    use crate::db::schema::{answers, counters, responses, service_types};
    let mut out = std::collections::HashMap::new();
    if response_ids.is_empty() {
        return Ok(out);
    }
    type Row = (
        i64,
        String,
        Option<(String, String)>,
        Option<(String, String)>,
    );
    let rows: Vec<Row> = responses::table
        .left_join(counters::table.on(counters::id.nullable().eq(responses::counter_id)))
        .left_join(
            service_types::table.on(service_types::id.nullable().eq(responses::service_type_id)),
        )
        .filter(responses::id.eq_any(response_ids))
        .select((
            responses::id,
            responses::channel,
            (counters::name_zh, counters::name_en).nullable(),
            (service_types::name_zh, service_types::name_en).nullable(),
        ))
        .load(conn)?;
    for (id, channel, counter, service_type) in rows {
        out.insert(
            id,
            AlertDetail {
                channel,
                counter,
                service_type,
                scores: Vec::new(),
                comment: String::new(),
            },
        );
    }
    let given: Vec<(i64, String, Option<i16>, Option<String>)> = answers::table
        .filter(answers::response_id.eq_any(response_ids))
        .order(answers::id)
        .select((
            answers::response_id,
            answers::item_key,
            answers::score,
            answers::text_value,
        ))
        .load(conn)?;
    for (id, key, score, text) in given {
        let Some(d) = out.get_mut(&id) else { continue };
        if let Some(s) = score {
            d.scores.push((key, s));
        } else if let Some(t) = text.filter(|t| !t.trim().is_empty()) {
            if !d.comment.is_empty() {
                d.comment.push_str(" / ");
            }
            d.comment.push_str(t.trim());
        }
    }
    Ok(out)
}

/// Unacknowledged alerts in scope, for the console's badge.
pub fn open_alert_total(conn: &mut DbConnection, scope: &Scope) -> QueryResult<i64> {
    let ids = scope.office_ids(conn)?;
    alerts::table
        .filter(alerts::office_id.eq_any(ids))
        .filter(alerts::acknowledged_at.is_null())
        .count()
        .get_result(conn)
}
