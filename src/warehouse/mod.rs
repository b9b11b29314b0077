//! The database turned into frames for the analytics: the columnar snapshot
//! of the answers, the reference data and the cases. `analytics` itself reads
//! no database; this module feeds it.

use crate::analytics::{self, Analysis, AnalyticsError, AnalyzeRequest, Options, Source};
use crate::db::DbConnection;
use crate::offices::Office;

/// Checks a request against the offices the caller may see and runs it: the
/// one analysis call of the JSON API and the command line.
pub fn run_request(
    conn: &mut DbConnection,
    source: &Source,
    options: &Options,
    req: &AnalyzeRequest,
    visible: &[Office],
) -> Result<Analysis, AnalyticsError> {
    let checked = req.check(visible)?;
    let allowed: Vec<i32> = visible.iter().map(|o| o.id).collect();
    analytics::run(conn, source, checked.filter, &allowed, &checked.by, options)
}
