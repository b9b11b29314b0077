//! One-time links for internal (staff) surveys: each link answers once, and
//! the response does not record which link it came through.

use chrono::Utc;
use diesel::prelude::*;

use super::devices::{new_token, sha256_hex};
use crate::auth::{AuditEntry, AuthError, User, record_audit};
use crate::db::schema::survey_tokens;
use crate::db::{self, DbConnection};

/// Makes `count` one-time tokens for a form at an office in the actor's scope.
pub fn create_survey_tokens(
    conn: &mut DbConnection,
    actor: &User,
    office_id: i32,
    form_key: &str,
    count: usize,
    client_addr: Option<&str>,
) -> Result<Vec<String>, AuthError> {
    actor.scope().check_office(conn, office_id)?;
    let tokens: Vec<String> = (0..count).map(|_| new_token()).collect();
    let now = Utc::now().naive_utc();
    db::write_transaction(conn, |conn| {
        for t in &tokens {
            diesel::insert_into(survey_tokens::table)
                .values((
                    survey_tokens::office_id.eq(office_id),
                    survey_tokens::form_key.eq(form_key),
                    survey_tokens::token_hash.eq(sha256_hex(t)),
                    survey_tokens::created_by.eq(actor.id),
                    survey_tokens::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        record_audit(
            conn,
            &AuditEntry {
                actor: Some(actor),
                action: "survey_links_created",
                office_id: Some(office_id),
                target: &format!("form:{form_key}"),
                detail: &format!("{count} links"),
                client_addr,
            },
        )?;
        Ok::<_, AuthError>(())
    })?;
    Ok(tokens)
}

/// Marks a token used; `false` when it is unknown, for another form or office,
/// or used already. Call inside the transaction that stores the response.
pub fn consume_survey_token(
    conn: &mut DbConnection,
    office_id: i32,
    form_key: &str,
    token: &str,
) -> QueryResult<bool> {
    diesel::update(
        survey_tokens::table
            .filter(survey_tokens::token_hash.eq(sha256_hex(token)))
            .filter(survey_tokens::office_id.eq(office_id))
            .filter(survey_tokens::form_key.eq(form_key))
            .filter(survey_tokens::used_at.is_null()),
    )
    .set(survey_tokens::used_at.eq(Utc::now().naive_utc()))
    .execute(conn)
    .map(|n| n == 1)
}

/// (issued, used) for a form at an office.
pub fn token_counts(
    conn: &mut DbConnection,
    office_id: i32,
    form_key: &str,
) -> QueryResult<(i64, i64)> {
    let base = survey_tokens::table
        .filter(survey_tokens::office_id.eq(office_id))
        .filter(survey_tokens::form_key.eq(form_key));
    Ok((
        base.count().get_result(conn)?,
        base.filter(survey_tokens::used_at.is_not_null())
            .count()
            .get_result(conn)?,
    ))
}
