//! Responses: checked against the form version they were given with, stored
//! once per idempotency key, in one transaction with their answers.
//!
//! Here the error and the idempotency key; `answers.rs` checks answers against
//! their form, `storage.rs` stores and reads responses, `submit.rs` takes a
//! submission in.

use std::fmt;

use serde::Serialize;

pub use answers::{AnswerData, AnswerValue, CheckedAnswers, NOT_APPLICABLE, check_answers};
pub use storage::{
    AnswerRow, DbLookup, Lookup, NewResponse, Prepared, ResponseRow, Stored, StoredResponse,
    count_responses, insert_answers, insert_bulk, insert_responses, load_response,
    prepare_response, store_response, store_response_with, write_batch, write_response,
};
pub use submit::{MAX_QUEUE_AGE_DAYS, Submission, Submitter, prepare, submit};
pub use writer::{BatchObserver, GroupCommit, Writer, WriterError};

pub mod alerts;
mod answers;
pub mod dashboard;
pub mod devices;
pub mod import;
pub mod refcache;
mod storage;
mod submit;
pub mod tallies;
pub mod tokens;
mod writer;

#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    /// The submission does not fit its form; `field` names what is wrong.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The form does not take answers from this submitter (see [`Access`](crate::forms::Access)).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_key_shape() {
        assert!(IdempotencyKey::parse("2f1c6d2e-8a7b-4c1e-9f00-123456789abc").is_ok());
        assert!(IdempotencyKey::parse("short").is_err());
        assert!(IdempotencyKey::parse("has space in it").is_err());
        assert!(IdempotencyKey::parse(&"x".repeat(65)).is_err());
    }
}
