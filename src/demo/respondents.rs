//! How a demo respondent answers: the latent-satisfaction model (item offsets,
//! busy months, score cuts), when they come (weekday office hours), which
//! service they came for and what they write.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use rand::RngExt;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::forms::{Form, ItemKind};
use crate::survey::{AnswerRow, NOT_APPLICABLE};

/// Per-item offset on the latent scale; waiting time is the usual weak point.
fn item_offset(key: &str) -> f64 {
    match key {
        "staff_attitude" => 0.15,
        "staff_expertise" => 0.1,
        "cleanliness" => 0.2,
        "waiting_time" => -0.35,
        "volunteer_attitude" => -0.05,
        "process_design" => -0.05,
        "wayfinding" => -0.05,
        "facilities" => -0.1,
        "info_findable" => -0.3,
        "online_ease" => -0.2,
        "page_speed" => -0.1,
        _ => 0.0,
    }
}

/// Busy months lower the mood, and waiting time most of all.
fn season(month: u32, item: &str) -> f64 {
    let busy = matches!(month, 1 | 2 | 7 | 8);
    match (busy, item) {
        (true, "waiting_time") => -0.45,
        (true, _) => -0.12,
        _ => 0.0,
    }
}

/// Relative visitor volume by month (more before the Lunar New Year and in summer).
pub(super) const MONTH_VOLUME: [f64; 12] =
    [1.4, 1.3, 1.0, 0.9, 0.9, 0.9, 1.3, 1.3, 1.0, 0.9, 0.9, 1.0];

/// Cuts the latent value into scale points; see the `demo` module comment.
fn to_score(v: f64) -> i16 {
    if v > 0.9 {
        5
    } else if v > -1.2 {
        4
    } else if v > -1.9 {
        3
    } else if v > -2.5 {
        2
    } else {
        1
    }
}

const POSITIVE: [&str; 10] = [
    "服務人員態度親切，辦理速度很快。",
    "櫃檯人員很有耐心解說，謝謝！",
    "環境整潔明亮，動線清楚。",
    "志工很熱心引導填寫申請書。",
    "辦理戶籍謄本很迅速，五分鐘就完成。",
    "承辦人員主動提醒應備文件，省了再跑一趟。",
    "服務很好，值得嘉獎。",
    "叫號系統清楚，等候區舒適。",
    "第一次辦理結婚登記，人員說明很詳細。",
    "印鑑證明辦理流程順暢。",
];

const NEGATIVE: [&str; 10] = [
    "等候時間太久，叫號系統應顯示預估等候時間。",
    "櫃檯人員態度冷淡，說明不清楚。",
    "停車位太少，找不到停車位。",
    "申請印鑑證明需要的文件網站上寫得不清楚。",
    "中午時段只開一個櫃檯，等了四十分鐘。",
    "冷氣太冷，等候區座位不足。",
    "同一件事被要求補件兩次，流程應該簡化。",
    "身分證換發要等很久，人手不足。",
    "電話一直打不通，無人接聽。",
    "服務人員講話太快，長輩聽不懂。",
];

const SUGGESTIONS: [&str; 6] = [
    "建議增設線上預約服務。",
    "希望週末也能開放辦理。",
    "希望提供英文版申請表。",
    "建議增加哺集乳室及兒童遊戲區。",
    "戶口名簿遺失補發流程可以再簡化。",
    "希望網站上有各項業務所需時間說明。",
];

const WEB_COMMENTS: [&str; 6] = [
    "網站資訊找不到，搜尋功能不好用。",
    "線上申請戶籍謄本很方便。",
    "手機版網頁字太小。",
    "線上預約系統很好用，節省時間。",
    "申辦進度查詢常常無法登入。",
    "書表下載的檔案格式希望提供 ODF。",
];

/// Service type codes and how often each is the reason for a visit.
pub(super) const SERVICE_MIX: [(&str, f64); 11] = [
    ("transcript", 30.0),
    ("migration", 18.0),
    ("id_card", 12.0),
    ("seal", 10.0),
    ("birth", 6.0),
    ("marriage", 5.0),
    ("death", 4.0),
    ("divorce", 2.0),
    ("house_number", 3.0),
    ("nationality", 1.0),
    ("other", 9.0),
];

/// A weekday instant between 08:00 and 17:00 Taipei time (UTC+8), stored as UTC.
pub(super) fn office_hours_instant(rng: &mut ChaCha8Rng, year: i32, month: u32) -> NaiveDateTime {
    let days = days_in_month(year, month);
    loop {
        let day = rng.random_range(1..=days);
        let date = NaiveDate::from_ymd_opt(year, month, day).expect("valid day of month");
        if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            continue;
        }
        let seconds = rng.random_range(0..9 * 3600);
        // 08:00 Taipei is 00:00 UTC.
        let time = NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0).expect("in range");
        return date.and_time(time);
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.expect("valid date")
        .pred_opt()
        .expect("valid date")
        .day()
}

pub(super) fn demo_answers(
    rng: &mut ChaCha8Rng,
    form: &Form,
    person: f64,
    month: u32,
    service_pick: &WeightedIndex<f64>,
) -> (Vec<AnswerRow>, Option<&'static str>) {
    let mut rows = Vec::new();
    let mut service = None;
    let mut lowest = 5;
    for item in &form.items {
        let mut row = AnswerRow {
            response_id: 0,
            item_key: item.key.to_string(),
            score: None,
            choice: None,
            text_value: None,
        };
        match &item.kind {
            ItemKind::Likert5 { allow_na, .. } => {
                if *allow_na && rng.random_bool(0.3) {
                    row.choice = Some(NOT_APPLICABLE.to_owned());
                } else {
                    let noise: f64 = rng.sample(StandardNormal);
                    let sd = if item.overall { 0.35 } else { 0.6 };
                    let v = person + item_offset(&item.key) + season(month, &item.key) + sd * noise;
                    let s = to_score(v);
                    lowest = lowest.min(s);
                    row.score = Some(s);
                }
            }
            ItemKind::Nps => {
                let noise: f64 = rng.sample(StandardNormal);
                let v = 7.5 + 1.8 * (person - 0.9) + 1.2 * noise;
                row.score = Some(v.round().clamp(0.0, 10.0) as i16);
            }
            ItemKind::ServiceType => {
                if rng.random_bool(0.85) {
                    service = Some(SERVICE_MIX[service_pick.sample(rng)].0);
                }
                continue;
            }
            ItemKind::Multiple {
                options,
                max_choices,
            } => {
                let mut chosen: Vec<&str> = options
                    .iter()
                    .filter(|_| rng.random_bool(0.35))
                    .map(|o| o.key.as_str())
                    .collect();
                if let Some(m) = max_choices {
                    chosen.truncate(*m as usize);
                }
                if chosen.is_empty() {
                    continue;
                }
                row.choice = Some(chosen.join(","));
            }
            ItemKind::Single { options } => {
                row.choice = Some(options[rng.random_range(0..options.len())].key.clone());
            }
            ItemKind::Points { max, levels } => {
                row.score = Some(if levels.is_empty() {
                    rng.random_range(*max / 2..=*max)
                } else {
                    levels[rng.random_range(0..levels.len())].points
                });
            }
            ItemKind::Text { .. } => {
                // Unhappy respondents write far more often.
                let p = if lowest <= 2 { 0.4 } else { 0.06 };
                if !rng.random_bool(p) {
                    continue;
                }
                let pool: &[&str] = if form.key == "web" {
                    &WEB_COMMENTS
                } else if lowest <= 2 {
                    &NEGATIVE
                } else if rng.random_bool(0.7) {
                    &POSITIVE
                } else {
                    &SUGGESTIONS
                };
                row.text_value = Some(pool[rng.random_range(0..pool.len())].to_owned());
            }
        }
        rows.push(row);
    }
    (rows, service)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn score_cuts_are_ordered() {
        assert_eq!(to_score(2.0), 5);
        assert_eq!(to_score(0.0), 4);
        assert_eq!(to_score(-1.5), 3);
        assert_eq!(to_score(-2.0), 2);
        assert_eq!(to_score(-3.0), 1);
    }

    #[test]
    fn office_hours_are_weekdays_in_taipei_daytime() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..500 {
            let t = office_hours_instant(&mut rng, 2024, 2);
            assert!(!matches!(t.weekday(), Weekday::Sat | Weekday::Sun));
            assert!(t.hour() < 9, "08:00-17:00 Taipei is 00:00-09:00 UTC");
            assert_eq!(t.month(), 2);
        }
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2025, 2), 28);
        assert_eq!(days_in_month(2025, 12), 31);
    }

    use chrono::Timelike;
}
