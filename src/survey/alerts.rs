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

/// The alert a response will raise, decided before it is written (the
/// office's threshold read then), so that a writer storing many responses at
/// once needs no look-ups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PendingAlert {
    lowest: i16,
    /// Comma-separated keys of the items at or below the threshold.
    items: String,
}

/// Whether a response whose 5-point answers are `likert` (item key, score)
/// raises an alert at `office_id`.
pub(crate) fn alert_for(
    conn: &mut DbConnection,
    lookup: &dyn super::Lookup,
    office_id: i32,
    likert: &[(String, i16)],
) -> QueryResult<Option<PendingAlert>> {
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
    Ok(Some(PendingAlert {
        lowest,
        items: items.join(","),
    }))
}

/// Stores the alert of a just-stored response, in its transaction. On
/// PostgreSQL it also notifies `manyi_alerts`, delivered at commit, so that
/// every instance's live stream wakes at once (see [`listen`]).
pub(crate) fn insert_alert(
    conn: &mut DbConnection,
    office_id: i32,
    response_id: i64,
    alert: &PendingAlert,
) -> QueryResult<i32> {
    diesel::insert_into(alerts::table)
        .values((
            alerts::office_id.eq(office_id),
            alerts::response_id.eq(response_id),
            alerts::created_at.eq(Utc::now().naive_utc()),
            alerts::lowest_score.eq(alert.lowest),
            alerts::items.eq(&alert.items),
        ))
        .execute(conn)?;
    notify_instances(conn)?;
    alerts::table
        .filter(alerts::response_id.eq(response_id))
        .select(alerts::id)
        .first(conn)
}

/// The PostgreSQL channel on which instances hear of new and acknowledged alerts.
pub const ALERT_CHANNEL: &str = "manyi_alerts";

/// Tells every instance on the same PostgreSQL database that alerts changed
/// (delivered when the transaction commits, once per transaction). SQLite
/// has one instance per file: nothing to tell.
fn notify_instances(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgresql(c) = conn {
        diesel::sql_query(format!("NOTIFY {ALERT_CHANNEL}")).execute(c)?;
    }
    Ok(())
}

/// Wakes `signal` whenever another instance (or this one) stores or
/// acknowledges an alert: a thread with its own PostgreSQL connection that
/// `LISTEN`s on [`ALERT_CHANNEL`] and checks for notifications every
/// `interval`. It reconnects after a lost connection (the live stream's own
/// poll covers the gap) and ends when `signal` is gone (the app stopped).
/// Nothing to do on SQLite.
pub fn listen(
    url: &crate::db::DatabaseUrl,
    signal: std::sync::Weak<tokio::sync::Notify>,
    interval: std::time::Duration,
) -> std::io::Result<()> {
    if url.engine() != db::Engine::Postgres {
        return Ok(());
    }
    let manager = db::ConnectionManager::new(url.clone());
    db::spawn_background("alert-listener", move || {
        let mut backoff = interval;
        while signal.strong_count() > 0 && !db::shutting_down() {
            match listen_once(&manager, &signal, interval) {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "alert listener lost its connection; reconnecting");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(std::time::Duration::from_secs(10));
                }
            }
        }
    })
}

fn listen_once(
    manager: &db::ConnectionManager,
    signal: &std::sync::Weak<tokio::sync::Notify>,
    interval: std::time::Duration,
) -> Result<(), db::DbError> {
    let DbConnection::Postgresql(mut conn) = manager.connect()? else {
        return Ok(());
    };
    diesel::sql_query(format!("LISTEN {ALERT_CHANNEL}")).execute(&mut conn)?;
    loop {
        let mut heard = false;
        for n in conn.notifications_iter() {
            n?;
            heard = true;
        }
        let Some(signal) = signal.upgrade().filter(|_| !db::shutting_down()) else {
            return Ok(());
        };
        if heard {
            signal.notify_waiters();
        }
        drop(signal);
        std::thread::sleep(interval);
    }
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
        notify_instances(conn)?;
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
