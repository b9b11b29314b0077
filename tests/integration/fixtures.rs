//! Shared fixtures: the analytics fixture (two versions of the counter form,
//! 15 responses whose every figure the analytics and report tests work out by
//! hand), the analysis call, and cases written straight into the register.

use diesel::prelude::*;
use manyi::analytics::stats::Tally;
use manyi::analytics::{Analysis, AnalyzeRequest};
use manyi::db::DbConnection;
use manyi::db::schema::form_versions;
use manyi::forms::{Form, Item, ItemKind, LikertScale, Text};
use manyi::survey::import::{self, ImportSummary};

use crate::helpers::{Engine, TestDb, prepare, seed_org, settings};

/// Counter form, version 1: staff_attitude, staff_efficiency, waiting_time, overall.
pub(crate) const V1: &str = "\
office_code,submitted_at,channel,service_type,counter,staff_attitude,staff_efficiency,waiting_time,overall,comment
JS,112/03/15 09:30,counter,,,5,5,4,5,櫃檯人員服務親切，效率很好
JS,112/05/02,counter,,,4,4,3,4,
JS,2023-08-01T02:00:00Z,counter,,,3,4,3,3,
JS,112-11-20 14:30,counter,,,2,2,1,2,叫號很慢，等候很久
JS,113/02/01,counter,,,5,5,5,5,服務親切
JS,113/03/03,counter,,,5,4,4,5,
JS,113/04/10,counter,,,4,4,4,4,
JS,2024/5/20 下午 12:00,counter,,,4,3,2,4,
JS,113/06/11,counter,,,1,2,1,1,等太久了，叫號系統很慢，態度不佳
DA,113/01/05,counter,,1,4,4,4,4,
DA,113/07/07,counter,,1,4,5,4,4,
DA,113/09/09,counter,,,4,4,,4,
DA,114/02/02,counter,,,3,3,3,3,
";

/// Version 2 (from August 113): waiting_time replaced by queue_system.
pub(crate) const V2: &str = "\
office_code,submitted_at,channel,service_type,counter,staff_attitude,staff_efficiency,queue_system,overall,comment
JS,113/08/01,counter,,,5,5,4,5,
JS,113/10/10,counter,,,3,4,2,3,叫號機常故障，叫號很慢
";

pub(crate) fn t(scores: &[u8]) -> Tally {
    Tally::from_scores(scores.iter().copied())
}

pub(crate) fn v2_form(v1: &Form) -> Form {
    let mut f = v1.clone();
    f.items.retain(|i| i.key != "waiting_time");
    let at = f.items.iter().position(|i| i.key == "overall").unwrap();
    f.items.insert(
        at,
        Item {
            key: manyi::forms::ItemKey::parse("queue_system").unwrap(),
            text: Text::new("叫號系統", "Queue ticket system"),
            help: None,
            required: true,
            dimension: Some("efficiency".into()),
            overall: false,
            kind: ItemKind::Likert5 {
                scale: LikertScale::Satisfaction,
                allow_na: false,
            },
        },
    );
    f
}

pub(crate) fn register(conn: &mut DbConnection, form: &Form) -> i32 {
    diesel::insert_into(form_versions::table)
        .values((
            form_versions::form_key.eq(&form.key),
            form_versions::version_hash.eq(form.version_hash()),
            form_versions::title_zh.eq(&form.title.zh_tw),
            form_versions::title_en.eq(&form.title.en),
            form_versions::definition.eq(form.canonical_json()),
            form_versions::first_loaded_at.eq(chrono::Utc::now().naive_utc()),
            form_versions::retired.eq(false),
        ))
        .returning(form_versions::id)
        .get_result(conn)
        .unwrap()
}

pub(crate) fn import(
    conn: &mut DbConnection,
    form: &Form,
    version: i32,
    csv: &str,
) -> ImportSummary {
    let ctx = import::context(conn, form, version).unwrap();
    import::import_responses(conn, "fixture.csv", csv.as_bytes(), &ctx).unwrap()
}

pub(crate) struct Fixture {
    _db: TestDb,
    pub(crate) settings: manyi::config::Settings,
    pub(crate) conn: manyi::db::PooledConnection,
    _snap_dir: tempfile::TempDir,
}

impl Fixture {
    /// A fixture over a database the caller filled.
    pub(crate) fn new(
        db: TestDb,
        settings: manyi::config::Settings,
        conn: manyi::db::PooledConnection,
        snap_dir: tempfile::TempDir,
    ) -> Self {
        Fixture {
            _db: db,
            settings,
            conn,
            _snap_dir: snap_dir,
        }
    }
}

pub(crate) fn fixture(engine: Engine) -> Fixture {
    let db = TestDb::new(engine);
    let state = prepare(&db);
    let mut conn = state.pool.get().unwrap();
    seed_org(&mut conn);
    let v1 = state.catalog.get("counter").unwrap().form.clone();
    let v1_id = state.form_version_ids["counter"];
    let s = import(&mut conn, &v1, v1_id, V1);
    assert_eq!((s.responses, s.already_imported), (13, 0));
    let v2 = v2_form(&v1);
    let v2_id = register(&mut conn, &v2);
    assert_eq!(import(&mut conn, &v2, v2_id, V2).responses, 2);
    let snap_dir = tempfile::tempdir().unwrap();
    let mut settings = settings(&db);
    settings.snapshot_dir = snap_dir.path().join("snap");
    Fixture::new(db, settings, conn, snap_dir)
}

pub(crate) fn analyse(f: &mut Fixture, req: AnalyzeRequest) -> Analysis {
    let offices = manyi::offices::list_offices(&mut f.conn).unwrap();
    manyi::warehouse::run_request(
        &mut f.conn,
        &f.settings.analytics_source(),
        &f.settings.analytics_options(),
        &req,
        &offices,
    )
    .unwrap()
}

pub(crate) fn req(by: &str) -> AnalyzeRequest {
    AnalyzeRequest {
        by: by.into(),
        form: "counter".into(),
        ..AnalyzeRequest::default()
    }
}

pub(crate) fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} vs {b}");
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_case(
    conn: &mut DbConnection,
    no: &str,
    office: &str,
    channel: &str,
    category: &str,
    status: &str,
    dates: (&str, &str, Option<&str>, Option<&str>),
) {
    use manyi::db::schema::{case_categories, cases, offices};
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let office_id: i32 = offices::table
        .filter(offices::code.eq(office))
        .select(offices::id)
        .first(conn)
        .unwrap();
    let category_id: i32 = case_categories::table
        .filter(case_categories::code.eq(category))
        .select(case_categories::id)
        .first(conn)
        .unwrap();
    diesel::insert_into(cases::table)
        .values((
            cases::case_no.eq(no),
            cases::office_id.eq(office_id),
            cases::channel.eq(channel),
            cases::category_id.eq(category_id),
            cases::subject.eq("主旨"),
            cases::content.eq("內容"),
            cases::language.eq("zh-TW"),
            cases::confidential.eq(false),
            cases::status.eq(status),
            cases::deadline_kind.eq("mailbox"),
            cases::received_on.eq(d(dates.0)),
            cases::due_on.eq(d(dates.1)),
            cases::due_assumed.eq(false),
            cases::first_reply_on.eq(dates.2.map(d)),
            cases::closed_on.eq(dates.3.map(d)),
            cases::created_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .execute(conn)
        .unwrap();
}
