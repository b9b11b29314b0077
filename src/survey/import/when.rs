//! The times of `submitted_at`, as exports write them.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// A time as exports write it, as Taipei local time:
/// - an instant with its offset (RFC 3339, seconds optional):
///   `2021-11-26T14:13:00+08:00`, `2021-11-26T06:13Z`, `2021-11-26 14:13:00.5+08:00`;
/// - a local time: `2024-05-02`, `2024-05-02 14:30[:00]`, `2024-05-02T14:30:00`,
///   `2024/5/2`, ROC `113/05/02`, `113-05-02 14:30`;
/// - the zh-TW spreadsheet form `2024/5/2 下午 2:30:15` (上午 / 下午), or
///   `2024/5/2 2:30:15 PM`.
///
/// A date alone is noon.
pub fn parse_when(s: &str) -> Result<NaiveDateTime, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty".into());
    }
    if let Some(instant) = parse_instant(s) {
        return Ok(crate::calendar::taipei::local(instant.naive_utc()));
    }
    let (date_part, time_part) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d.trim(), Some(t.trim())),
        None => (s, None),
    };
    let sep = if date_part.contains('/') { '/' } else { '-' };
    let fields: Vec<&str> = date_part.split(sep).collect();
    let [y, m, d] = fields.as_slice() else {
        return Err(format!("`{s}` is not a date like 2024-05-02 or 113/05/02"));
    };
    let bad = || format!("`{s}` is not a date like 2024-05-02 or 113/05/02");
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    let d: u32 = d.parse().map_err(|_| bad())?;
    // Three digits or fewer: a ROC year (民國).
    let year = if y < 1000 { y + 1911 } else { y };
    let date = NaiveDate::from_ymd_opt(year, m, d).ok_or_else(|| format!("`{s}`: no such day"))?;
    let time = match time_part {
        None => NaiveTime::from_hms_opt(12, 0, 0).expect("noon"),
        Some(t) => parse_clock(t).ok_or_else(|| {
            format!("`{t}` is not a time like 14:30, 14:30:15, 下午 2:30 or 2:30 PM")
        })?,
    };
    Ok(date.and_time(time))
}

/// An instant with an offset or `Z` (RFC 3339; seconds and their fraction
/// optional; `T` or a space between date and time).
fn parse_instant(s: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    let s = match s.strip_suffix(['Z', 'z']) {
        Some(rest) => format!("{rest}+00:00"),
        None => s.to_owned(),
    };
    [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M%:z",
    ]
    .iter()
    .find_map(|f| chrono::DateTime::parse_from_str(&s, f).ok())
}

/// `14:30`, `14:30:15`, `下午 2:30[:15]` / `上午 …`, `2:30[:15] PM` / `AM`.
fn parse_clock(t: &str) -> Option<NaiveTime> {
    let t = t.trim();
    let upper = t.to_ascii_uppercase();
    let (afternoon, clock) = if let Some(rest) = t.strip_prefix("上午") {
        (Some(false), rest)
    } else if let Some(rest) = t.strip_prefix("下午") {
        (Some(true), rest)
    } else if upper.ends_with("AM") {
        (Some(false), &t[..t.len() - 2])
    } else if upper.ends_with("PM") {
        (Some(true), &t[..t.len() - 2])
    } else {
        (None, t)
    };
    let clock = clock.trim();
    let time = NaiveTime::parse_from_str(clock, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(clock, "%H:%M"))
        .ok()?;
    let Some(afternoon) = afternoon else {
        return Some(time);
    };
    // On a 12-hour clock: 上午 12:05 is 00:05, 下午 12:05 is 12:05, 下午 2:30 is 14:30.
    let hour = time.hour();
    if !(1..=12).contains(&hour) {
        return None;
    }
    let hour24 = (hour % 12) + if afternoon { 12 } else { 0 };
    time.with_hour(hour24)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_iso_and_roc() {
        let d = |y, m, dd, h, mi| {
            NaiveDate::from_ymd_opt(y, m, dd)
                .unwrap()
                .and_hms_opt(h, mi, 0)
                .unwrap()
        };
        assert_eq!(parse_when("113/05/02").unwrap(), d(2024, 5, 2, 12, 0));
        assert_eq!(
            parse_when("113-05-02 14:30").unwrap(),
            d(2024, 5, 2, 14, 30)
        );
        assert_eq!(parse_when("2024-05-02").unwrap(), d(2024, 5, 2, 12, 0));
        assert_eq!(
            parse_when("2024-05-02T08:05:00").unwrap(),
            d(2024, 5, 2, 8, 5)
        );
        assert_eq!(parse_when("99/12/31").unwrap(), d(2010, 12, 31, 12, 0));
        assert!(parse_when("113/02/30").is_err());
        assert!(parse_when("113/05").is_err());
        assert!(parse_when("113-05-02 25:00").is_err());
        assert!(parse_when("").is_err());
    }

    #[test]
    fn instants_with_offsets_and_spreadsheet_times() {
        let d = |y, m, dd, h, mi, s| {
            NaiveDate::from_ymd_opt(y, m, dd)
                .unwrap()
                .and_hms_opt(h, mi, s)
                .unwrap()
        };
        let cases = [
            // RFC 3339: the Taipei local time of the instant.
            ("2021-11-26T14:13:00+08:00", d(2021, 11, 26, 14, 13, 0)),
            ("2021-11-26T06:13:00Z", d(2021, 11, 26, 14, 13, 0)),
            ("2021-11-26T06:13z", d(2021, 11, 26, 14, 13, 0)),
            ("2021-11-26T14:13+08:00", d(2021, 11, 26, 14, 13, 0)),
            ("2021-11-26 14:13:00+08:00", d(2021, 11, 26, 14, 13, 0)),
            // Another offset, and a fraction of a second.
            (
                "2021-11-25T23:13:07.250-07:00",
                d(2021, 11, 26, 14, 13, 7)
                    .with_nanosecond(250_000_000)
                    .unwrap(),
            ),
            // The zh-TW spreadsheet form, single-digit month and day; 12-hour clocks.
            ("2024/5/2 下午 2:30:15", d(2024, 5, 2, 14, 30, 15)),
            ("2024/5/2 上午 9:05", d(2024, 5, 2, 9, 5, 0)),
            ("2024/5/2 上午 12:05", d(2024, 5, 2, 0, 5, 0)),
            ("2024/5/2 下午 12:05", d(2024, 5, 2, 12, 5, 0)),
            ("2024/5/2 2:30:15 PM", d(2024, 5, 2, 14, 30, 15)),
            ("2024/5/2", d(2024, 5, 2, 12, 0, 0)),
        ];
        for (given, want) in cases {
            assert_eq!(parse_when(given), Ok(want), "{given}");
        }
        // Refused, with the reason.
        assert!(parse_when("2024/5/2 下午 13:00").is_err());
        assert!(parse_when("2024/5/2 上午 0:30").is_err());
        assert!(parse_when("2021-11-26T14:13:00+25:00").is_err());
        let e = parse_when("2024/5/2 午後 2:30").unwrap_err();
        assert!(e.contains("is not a time like"), "{e}");
    }
}
