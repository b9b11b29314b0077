//! The demo's complaint register: cases of every channel and category over
//! the demo's years, made through the same functions the console and the
//! mailbox use (`register_case`, `lifecycle::apply`, `citizen_rate`), on the
//! dates they would have happened. Most are answered within their deadline,
//! some late, a few not accepted with their legal reason, some transferred,
//! some rated by the petitioner; a handful received in the last days are
//! still open, so that the dashboard has something due.

use chrono::NaiveDate;
use rand::RngExt;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand_chacha::ChaCha8Rng;

use super::DemoError;
use crate::auth::User;
use crate::calendar::{Calendar, WorkingDays};
use crate::cases::{
    self, Action, CaseChannel, CaseError, DeadlineKind, NewCase, NotAcceptedReason,
};
use crate::db::DbConnection;

/// Channels and how often cases come through them.
const CHANNELS: [(CaseChannel, u32); 11] = [
    (CaseChannel::Mailbox, 30),
    (CaseChannel::CommentBox, 18),
    (CaseChannel::PetitionWritten, 10),
    (CaseChannel::PetitionEmail, 12),
    (CaseChannel::PetitionPhone, 10),
    (CaseChannel::Hotline1999, 10),
    (CaseChannel::PetitionOral, 5),
    (CaseChannel::Transferred, 5),
    (CaseChannel::CounterSlip, 5),
    (CaseChannel::SocialMedia, 4),
    (CaseChannel::PetitionFax, 3),
];

/// Category, weight, and (subject, content) examples.
type Theme = (&'static str, u32, &'static [(&'static str, &'static str)]);

const THEMES: [Theme; 7] = [
    (
        "waiting",
        30,
        &[
            (
                "等候時間過長",
                "上午十點抽號，等了將近一個小時才輪到，現場只開兩個櫃檯，希望尖峰時段能多開窗口。",
            ),
            (
                "叫號系統常故障",
                "叫號機螢幕一直停在同一號，民眾不知道要等多久，請儘速修理並加上預估等候時間。",
            ),
            (
                "午休時間無人服務",
                "中午十二點到一點半只剩一個櫃檯，上班族只能利用午休辦事，請考慮輪班。",
            ),
        ],
    ),
    (
        "attitude",
        22,
        &[
            (
                "櫃檯人員語氣不佳",
                "詢問印鑑證明需要帶什麼文件時，承辦人員口氣很不耐煩，讓人感覺不受尊重。",
            ),
            (
                "感謝承辦人員細心協助",
                "辦理遷入登記時資料不齊，承辦人員耐心說明並協助補正，特此表達感謝。",
            ),
            (
                "服務人員未說明清楚",
                "第一次來辦結婚登記，承辦人員只說資料不對，沒有說明缺了什麼，只好再跑一趟。",
            ),
        ],
    ),
    (
        "process",
        18,
        &[
            (
                "跨區申請戶籍謄本流程太繁瑣",
                "跨區申請要填的表格太多，櫃檯又要我重填一次，希望能簡化流程。",
            ),
            (
                "補發身分證需時太久",
                "補發國民身分證要等很久，能否先發臨時證明，方便當天辦理銀行業務。",
            ),
        ],
    ),
    (
        "law",
        10,
        &[
            (
                "門牌整編疑問",
                "家門口的門牌整編後地址改變，請問需要到哪些單位辦理地址變更？",
            ),
            (
                "外籍配偶歸化規定",
                "外籍配偶申請歸化需要哪些證明文件？各機關的說法不一致，請統一說明。",
            ),
        ],
    ),
    (
        "facilities",
        10,
        &[
            (
                "無障礙坡道不便",
                "門口的無障礙坡道太陡，推輪椅的家屬很難上去，請改善。",
            ),
            (
                "等候區座位不足",
                "等候區椅子太少，長者只能站著等，建議增加座椅並設置飲水機。",
            ),
        ],
    ),
    (
        "online",
        7,
        &[
            (
                "線上預約系統無法登入",
                "使用自然人憑證登入線上預約系統一直失敗，客服電話也打不通。",
            ),
            (
                "網站申辦說明找不到",
                "網站上找不到出生登記要帶的文件清單，希望放在首頁明顯的位置。",
            ),
        ],
    ),
    (
        "other",
        3,
        &[(
            "停車位不足",
            "事務所附近停車位很少，能否與鄰近機關協調開放停車場。",
        )],
    ),
];

const PETITIONERS: [&str; 10] = [
    "王小明",
    "李美玲",
    "陳志豪",
    "林淑芬",
    "張家豪",
    "黃雅婷",
    "吳建宏",
    "劉怡君",
    "蔡宗翰",
    "楊佩珊",
];

const REPLIES: [&str; 3] = [
    "感謝您的寶貴意見。本所已於尖峰時段增開櫃檯，並請同仁加強說明，造成不便敬請見諒。",
    "您反映的事項本所已查明並改善，相關說明已公告於本所網站，如有疑問歡迎來電洽詢。",
    "謝謝您的肯定，本所已轉知承辦同仁並予以表揚，將持續提供親切便民的服務。",
];

/// The office and its director, who handles the demo's cases.
pub(super) struct Handler<'a> {
    pub office_id: i32,
    pub director: &'a User,
    /// Cases a year.
    pub per_year: u32,
}

/// What the register holds afterwards.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseSummary {
    pub cases: usize,
    pub open: usize,
}

fn working_day_in(rng: &mut ChaCha8Rng, calendar: &Calendar, year: i32) -> NaiveDate {
    loop {
        let day = NaiveDate::from_yo_opt(year, rng.random_range(1..=365)).expect("a day");
        if calendar.is_working_day(day).0 {
            return day;
        }
    }
}

fn days(n: u32) -> WorkingDays {
    WorkingDays::new(n.clamp(1, u32::from(WorkingDays::MAX))).expect("1-30")
}

/// Cases of every handler's office over the Gregorian years `years`, and a
/// few open ones received in the working days before `today`.
pub(super) fn generate_cases(
    conn: &mut DbConnection,
    rng: &mut ChaCha8Rng,
    handlers: &[Handler<'_>],
    years: std::ops::RangeInclusive<i32>,
    today: NaiveDate,
) -> Result<CaseSummary, DemoError> {
    let calendar = Calendar::load(conn)?;
    let channel_pick = WeightedIndex::new(CHANNELS.iter().map(|c| c.1)).expect("weights");
    let theme_pick = WeightedIndex::new(THEMES.iter().map(|t| t.1)).expect("weights");
    let mut summary = CaseSummary::default();
    for h in handlers {
        for year in years.clone() {
            for _ in 0..h.per_year {
                let received = working_day_in(rng, &calendar, year);
                if received >= today {
                    continue;
                }
                one_case(
                    conn,
                    rng,
                    &calendar,
                    h,
                    received,
                    today,
                    &channel_pick,
                    &theme_pick,
                    false,
                )?;
                summary.cases += 1;
            }
        }
        // Open cases of the last days: some due soon, one overdue.
        for back in [1u32, 2, 3, 5, 8, 12] {
            let mut received = today;
            let mut counted = 0;
            while counted < back {
                received = received.pred_opt().expect("a day");
                if calendar.is_working_day(received).0 {
                    counted += 1;
                }
            }
            one_case(
                conn,
                rng,
                &calendar,
                h,
                received,
                today,
                &channel_pick,
                &theme_pick,
                true,
            )?;
            summary.cases += 1;
            summary.open += 1;
        }
    }
    Ok(summary)
}

#[allow(clippy::too_many_arguments)]
fn one_case(
    conn: &mut DbConnection,
    rng: &mut ChaCha8Rng,
    calendar: &Calendar,
    h: &Handler<'_>,
    received: NaiveDate,
    today: NaiveDate,
    channel_pick: &WeightedIndex<u32>,
    theme_pick: &WeightedIndex<u32>,
    open: bool,
) -> Result<(), DemoError> {
    let channel = CHANNELS[channel_pick.sample(rng)].0;
    let (category, _, examples) = THEMES[theme_pick.sample(rng)];
    let (subject, content) = examples[rng.random_range(0..examples.len())];
    let named = !matches!(channel, CaseChannel::CommentBox) || rng.random_bool(0.3);
    let secret = cases::new_secret();
    let with_secret = matches!(channel, CaseChannel::Mailbox);
    let name = PETITIONERS[rng.random_range(0..PETITIONERS.len())];
    let new = NewCase {
        office_id: h.office_id,
        channel,
        category_code: category.to_owned(),
        subject: subject.to_owned(),
        content: content.to_owned(),
        petitioner_name: named.then(|| name.to_owned()),
        petitioner_contact: named
            .then(|| format!("demo{}@example.org", rng.random_range(100..1000))),
        language: "zh-TW".into(),
        confidential: false,
        received_on: received,
        lookup_secret_hash: with_secret.then(|| cases::secret_hash(&secret)),
        idempotency_key: None,
    };
    let case = cases::register_case(conn, calendar, &new, None)?;
    let act = |conn: &mut DbConnection, action: Action, on: NaiveDate| -> Result<(), CaseError> {
        cases::apply(
            conn,
            calendar,
            h.director,
            case.id,
            &action,
            "",
            on.min(today),
        )
        .map(|_| ())
    };
    let next_day = calendar.add_working_days(received, days(1)).date;
    // A few are not accepted, with the legal reason (行政程序法 art. 173).
    if !open && rng.random_bool(0.04) {
        let reason = [
            NotAcceptedReason::NoContentOrIdentity,
            NotAcceptedReason::AlreadyAnswered,
            NotAcceptedReason::SentToSeveralAgencies,
        ][rng.random_range(0..3)];
        act(conn, Action::NotAccept { reason }, next_day)?;
        act(conn, Action::Close, next_day)?;
        return Ok(());
    }
    let deadline = match channel {
        CaseChannel::Mailbox | CaseChannel::CommentBox => DeadlineKind::Mailbox,
        _ if rng.random_bool(0.15) => DeadlineKind::Complex,
        _ => DeadlineKind::Simple,
    };
    act(conn, Action::Accept { deadline }, received)?;
    if !open && rng.random_bool(0.04) {
        act(
            conn,
            Action::Transfer {
                agency: "內政部戶政司".into(),
                notice_to_petitioner: "您陳情的事項屬內政部戶政司權責，已移請該司處理並副知您。"
                    .into(),
            },
            next_day,
        )?;
        return Ok(());
    }
    act(
        conn,
        Action::Assign {
            user_id: h.director.id,
        },
        received,
    )?;
    if open {
        return Ok(());
    }
    let accepted = cases::get_case(conn, &h.director.scope(), case.id)?;
    let allowed = calendar
        .working_days_between(received, accepted.due_on)
        .max(1) as u32;
    // Most within the deadline, about one in ten late.
    let took = if rng.random_bool(0.9) {
        rng.random_range(1..=allowed)
    } else {
        allowed + rng.random_range(1..=5)
    };
    let replied_on = calendar.add_working_days(received, days(took)).date;
    if took > 3 && rng.random_bool(0.3) {
        act(
            conn,
            Action::PreliminaryReply,
            calendar.add_working_days(received, days(2)).date,
        )?;
    }
    let reply = REPLIES[rng.random_range(0..REPLIES.len())];
    act(
        conn,
        Action::Reply {
            reply: reply.into(),
        },
        replied_on,
    )?;
    act(conn, Action::Close, replied_on)?;
    if with_secret && rng.random_bool(0.35) {
        let rating = [5i16, 5, 4, 4, 4, 3, 2, 1][rng.random_range(0..8)];
        let comment = if rating <= 2 {
            "回覆沒有解決我的問題"
        } else {
            ""
        };
        cases::citizen_rate(conn, &case.case_no, &secret, rating, comment)?;
    }
    Ok(())
}
