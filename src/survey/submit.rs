//! Every rule of taking a questionnaire in, whoever sends it (the kiosk, the
//! web questionnaire, an internal survey): when it may be dated, which form
//! version it was given with (current, or an older one a queued answer was
//! given with, never a retired one), which office it belongs to (the kiosk's,
//! or the one named), who may answer the form, and then the checked, stored
//! response. The web layer parses the request, applies its rate limits and
//! finds out who is sending; it then calls [`submit`].

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::devices::Device;
use super::refcache::RefCache;
use super::{AnswerValue, IdempotencyKey, NewResponse, Prepared, Stored, SurveyError};
use crate::auth::{AuthError, User};
use crate::db::DbConnection;
use crate::forms::{self, Access, Channel, Form, FormCatalog};

/// How far back a queued (offline) answer may be dated.
pub const MAX_QUEUE_AGE_DAYS: i64 = 7;
/// How far ahead of the server's clock a device's clock may run.
const MAX_CLOCK_SKEW_MINUTES: i64 = 5;

/// A questionnaire as submitted, its fields parsed.
#[derive(Debug, Clone)]
pub struct Submission {
    pub form: String,
    /// The version hash it was shown with; the current one when absent.
    pub version: Option<String>,
    pub idempotency_key: IdempotencyKey,
    pub channel: Channel,
    /// The office code (web and internal surveys; a kiosk has its own).
    pub office: Option<String>,
    /// When the citizen answered; now when absent.
    pub answered_at: Option<DateTime<Utc>>,
    pub answers: BTreeMap<String, AnswerValue>,
    pub survey_token: Option<String>,
}

/// Who sends it, as the web layer found out.
#[derive(Debug, Clone)]
pub enum Submitter {
    /// An enrolled kiosk (counter answers come from these only).
    Kiosk(Device),
    /// A logged-in staff member (forms with `access = "staff"`).
    Staff(User),
    Anonymous,
}

/// Checks and stores a submission received at `now`, in its own transaction.
pub fn submit(
    conn: &mut DbConnection,
    catalog: &FormCatalog,
    refs: &RefCache,
    submission: Submission,
    by: &Submitter,
    now: DateTime<Utc>,
) -> Result<Stored, SurveyError> {
    let prepared = prepare(conn, catalog, refs, submission, by, now)?;
    super::write_response(conn, &prepared)
}

/// Checks a submission received at `now` and prepares its rows; nothing is
/// written (a [`Writer`](super::Writer) or [`write_response`](super::write_response) writes it).
pub fn prepare(
    conn: &mut DbConnection,
    catalog: &FormCatalog,
    refs: &RefCache,
    submission: Submission,
    by: &Submitter,
    now: DateTime<Utc>,
) -> Result<Prepared, SurveyError> {
    let answered_at = match submission.answered_at {
        Some(t) if t > now + Duration::minutes(MAX_CLOCK_SKEW_MINUTES) => {
            return Err(SurveyError::invalid("answered_at", "lies in the future"));
        }
        Some(t) if t < now - Duration::days(MAX_QUEUE_AGE_DAYS) => {
            return Err(SurveyError::invalid(
                "answered_at",
                format!("is more than {MAX_QUEUE_AGE_DAYS} days old"),
            ));
        }
        Some(t) => t,
        None => now,
    };
    let form_key = submission.form.as_str();
    let current = catalog
        .get(form_key)
        .ok_or_else(|| SurveyError::invalid("form", format!("no form `{form_key}`")))?;
    let refs = refs.get(conn)?;
    // The form version: current, or an older one a queued answer was given with.
    let hash = submission
        .version
        .as_deref()
        .unwrap_or(&current.version_hash);
    let info = refs.version(conn, hash)?.ok_or_else(|| {
        SurveyError::invalid("version", format!("unknown version of form `{form_key}`"))
    })?;
    if info.form_key != form_key {
        return Err(SurveyError::invalid(
            "version",
            format!("is not a version of form `{form_key}`"),
        ));
    }
    if info.retired {
        return Err(SurveyError::invalid(
            "version",
            "this form version is retired",
        ));
    }
    let older: Form;
    let form: &Form = if hash == current.version_hash {
        &current.form
    } else {
        let mut f = forms::find_version(conn, hash)?
            .ok_or_else(|| SurveyError::invalid("version", "unknown version"))?
            .form()
            .map_err(|e| SurveyError::invalid("version", format!("cannot be read: {e}")))?;
        // Who may answer is the current file's policy.
        f.access = current.form.access;
        older = f;
        &older
    };
    let (office_id, counter_id, device_id) = match (submission.channel, by) {
        (Channel::Counter, Submitter::Kiosk(device)) => {
            (device.office_id, device.counter_id, Some(device.id))
        }
        (Channel::Counter, _) => {
            return Err(SurveyError::not_allowed(
                "channel",
                "counter responses come from an enrolled kiosk device only",
            ));
        }
        (Channel::Web | Channel::Internal, _) => {
            let code = submission
                .office
                .as_deref()
                .ok_or_else(|| SurveyError::invalid("office", "an office code is required"))?;
            let office = refs
                .office(conn, code)?
                .filter(|o| o.active)
                .ok_or_else(|| SurveyError::invalid("office", format!("no office `{code}`")))?;
            (office.id, None, None)
        }
    };
    // A `staff` form: the logged-in staff member, if the office is in their scope.
    let submitted_by = match (form.access, by) {
        (Access::Staff, Submitter::Staff(user)) => {
            match user.scope().check_office(conn, office_id) {
                Ok(()) => Some(user.id),
                Err(AuthError::Db(e)) => return Err(e.into()),
                Err(_) => None,
            }
        }
        _ => None,
    };
    let new = NewResponse {
        idempotency_key: submission.idempotency_key,
        office_id,
        channel: submission.channel,
        form_version_id: info.id,
        submitted_at: answered_at.naive_utc(),
        counter_id,
        staff_id: None,
        device_id,
        answers: submission.answers,
        survey_token: submission.survey_token,
        submitted_by,
    };
    super::prepare_response(conn, form, &new, &*refs)
}
