//! The database side of the public rate limits (`web::limits` decides): per
//! key and minute, the requests every instance let through. An instance adds
//! its own since its last visit and reads back the total of all of them, so
//! that two instances behind a load balancer allow what one would, within
//! one visit's lag.

use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::db::schema::rate_counts;
use crate::db::{self, DbConnection};

/// Every instance's total so far for each of `keys` in the minute starting
/// at `window_start` (a key nobody used is left out).
pub fn totals(
    conn: &mut DbConnection,
    window_start: i64,
    keys: &[String],
) -> QueryResult<Vec<(String, i64)>> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(500) {
        out.extend(
            rate_counts::table
                .filter(rate_counts::window_start.eq(window_start))
                .filter(rate_counts::key.eq_any(chunk))
                .select((rate_counts::key, rate_counts::hits))
                .load::<(String, i64)>(conn)?,
        );
    }
    Ok(out)
}

/// Adds `hits` to each key's count in the minute starting at `window_start`
/// (Unix seconds) and returns every key's total over all instances, in the
/// order given. One transaction; rows of minutes before the previous one are
/// deleted on the way.
pub fn add_hits(
    conn: &mut DbConnection,
    window_start: i64,
    hits: &[(String, i64)],
) -> QueryResult<Vec<i64>> {
    db::write_transaction(conn, |conn| {
        diesel::delete(rate_counts::table.filter(rate_counts::window_start.lt(window_start - 60)))
            .execute(conn)?;
        let mut totals = Vec::with_capacity(hits.len());
        for (key, n) in hits {
            let total: i64 = crate::on_engine!(&mut *conn, |c| {
                diesel::insert_into(rate_counts::table)
                    .values((
                        rate_counts::key.eq(key),
                        rate_counts::window_start.eq(window_start),
                        rate_counts::hits.eq(n),
                    ))
                    .on_conflict((rate_counts::key, rate_counts::window_start))
                    .do_update()
                    .set(rate_counts::hits.eq(rate_counts::hits + excluded(rate_counts::hits)))
                    .returning(rate_counts::hits)
                    .get_result(c)
            })?;
            totals.push(total);
        }
        Ok(totals)
    })
}
