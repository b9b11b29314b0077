//! What an office plans, per year: the minimum satisfaction standards
//! (`standards`) and the improvement measures of the yearly report
//! (`measures`).

pub mod measures;
pub mod standards;

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl PlanError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        PlanError::Invalid {
            field,
            message: message.into(),
        }
    }
}
