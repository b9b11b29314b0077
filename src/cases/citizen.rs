//! What the citizen does with a case: look it up with its number and secret,
//! and rate its handling.

use diesel::prelude::*;

use super::lifecycle::record_event;
use super::*;
use crate::auth::AuthError;
use crate::db::schema::cases;
use crate::db::{self, DbConnection};

/// Hash of a citizen's lookup secret (the secret itself is shown once).
pub fn secret_hash(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(secret.trim().to_uppercase().as_bytes()))
}

/// A new lookup secret: 10 characters from an unambiguous alphabet.
pub fn new_secret() -> String {
    use rand::RngExt;
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The case a citizen may see with its number and secret (nothing on mismatch).
pub fn citizen_lookup(
    conn: &mut DbConnection,
    case_no: &str,
    secret: &str,
) -> QueryResult<Option<Case>> {
    let found = cases::table
        .filter(cases::case_no.eq(case_no.trim().to_uppercase()))
        .select(Case::as_select())
        .first(conn)
        .optional()?;
    let want = secret_hash(secret);
    Ok(found.filter(|c| {
        c.lookup_secret_hash.as_deref().is_some_and(|h| {
            use subtle::ConstantTimeEq;
            h.len() == want.len() && bool::from(h.as_bytes().ct_eq(want.as_bytes()))
        })
    }))
}

/// The citizen rates the handling (1-5 and a comment) once, after the reply.
pub fn citizen_rate(
    conn: &mut DbConnection,
    case_no: &str,
    secret: &str,
    rating: i16,
    comment: &str,
) -> Result<Case, CaseError> {
    if !(1..=5).contains(&rating) {
        return Err(invalid("rating", "must be from 1 to 5", "請選擇 1 到 5 分"));
    }
    if comment.chars().count() > 1000 {
        return Err(invalid(
            "comment",
            "at most 1000 characters",
            "最多 1000 個字",
        ));
    }
    db::write_transaction(conn, |conn| {
        let case = citizen_lookup(conn, case_no, secret)?.ok_or(AuthError::NotFound)?;
        let status = case.status;
        if !matches!(status, CaseStatus::Replied | CaseStatus::Closed) {
            return Err(invalid(
                "rating",
                "the case has not been answered yet",
                "案件尚未回覆，回覆後才能評分",
            ));
        }
        if case.citizen_rating.is_some() {
            return Err(invalid(
                "rating",
                "this case has been rated already",
                "此案件已評分過了",
            ));
        }
        diesel::update(cases::table.find(case.id))
            .set((
                cases::citizen_rating.eq(rating),
                cases::citizen_comment.eq(Some(comment.trim()).filter(|c| !c.is_empty())),
            ))
            .execute(conn)?;
        record_event(
            conn,
            case.id,
            None,
            "citizen_rating",
            (Some(status), status),
            "",
            &serde_json::json!({ "rating": rating }),
        )?;
        Ok(cases::table
            .find(case.id)
            .select(Case::as_select())
            .first(conn)?)
    })
}
