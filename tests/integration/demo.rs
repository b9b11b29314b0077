//! `manyi demo` is deterministic for a seed, on either engine.

use diesel::prelude::*;
use manyi::db::schema::{answers, responses};
use manyi::demo::{self, DemoOptions};

use crate::helpers::{Engine, TestDb, prepare};

type ResponseDump = (
    i64,
    i32,
    String,
    chrono::NaiveDateTime,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    String,
);
type AnswerDump = (i64, String, Option<i16>, Option<String>, Option<String>);

fn run_demo(engine: Engine, seed: u64) -> (Vec<ResponseDump>, Vec<AnswerDump>) {
    let db = TestDb::new(engine);
    let state = prepare(&db);
    let mut conn = state.pool.get().unwrap();
    let opts = DemoOptions {
        seed,
        responses: 3_000,
        last_roc_year: Some(113),
        years: 5,
        extra_taipei: 0,
        ..DemoOptions::default()
    };
    let summary = demo::generate(&mut conn, &state.catalog, &opts).unwrap();
    assert_eq!(summary.responses, 3_000);
    assert_eq!((summary.first_roc_year, summary.last_roc_year), (109, 113));
    let r = responses::table
        .order(responses::id)
        .select((
            responses::id,
            responses::office_id,
            responses::channel,
            responses::submitted_at,
            responses::counter_id,
            responses::staff_id,
            responses::service_type_id,
            responses::idempotency_key,
        ))
        .load::<ResponseDump>(&mut conn)
        .unwrap();
    let a = answers::table
        .order(answers::id)
        .select((
            answers::response_id,
            answers::item_key,
            answers::score,
            answers::choice,
            answers::text_value,
        ))
        .load::<AnswerDump>(&mut conn)
        .unwrap();
    assert_eq!(summary.answers, a.len());
    // Running it again on the same database is refused, not doubled.
    assert!(matches!(
        demo::generate(&mut conn, &state.catalog, &opts),
        Err(demo::DemoError::AlreadyPresent(_))
    ));
    (r, a)
}

#[test]
fn same_seed_same_data_on_both_engines() {
    let lite1 = run_demo(Engine::Sqlite, 1);
    let lite2 = run_demo(Engine::Sqlite, 1);
    assert_eq!(lite1, lite2, "seed 1 twice on SQLite");
    let pg = run_demo(Engine::Postgres, 1);
    assert_eq!(lite1, pg, "seed 1 on PostgreSQL gives the SQLite data");
    let other = run_demo(Engine::Sqlite, 2);
    assert_ne!(lite1.1, other.1, "another seed, other data");
}

#[test]
fn demo_data_is_plausible() {
    let (r, a) = run_demo(Engine::Sqlite, 1);
    // All three offices, both channels, every ROC year 109-113 (2020-2024).
    let offices: std::collections::BTreeSet<i32> = r.iter().map(|x| x.1).collect();
    assert_eq!(offices.len(), 3);
    assert!(r.iter().any(|x| x.2 == "web") && r.iter().any(|x| x.2 == "counter"));
    let years: std::collections::BTreeSet<i32> =
        r.iter().map(|x| chrono::Datelike::year(&x.3)).collect();
    assert_eq!(
        years.into_iter().collect::<Vec<_>>(),
        vec![2020, 2021, 2022, 2023, 2024]
    );
    // Satisfied share of the overall item within what offices publish (90-99 %).
    let overall: Vec<i16> = a
        .iter()
        .filter(|x| x.1 == "overall")
        .filter_map(|x| x.2)
        .collect();
    assert_eq!(overall.len(), 3_000);
    let top2 = overall.iter().filter(|&&s| s >= 4).count() as f64 / overall.len() as f64;
    assert!((0.90..0.99).contains(&top2), "top-2 share {top2}");
    // Some comments, in Traditional Chinese.
    let comments: Vec<&String> = a.iter().filter_map(|x| x.4.as_ref()).collect();
    assert!(comments.len() > 50, "{}", comments.len());
    assert!(
        comments
            .iter()
            .any(|c| c.contains("櫃檯") || c.contains("等候"))
    );
}

/// The demo's register: every channel and category, most answered on time,
/// some late, some open, a few not accepted with their reason, some
/// transferred, some rated; made through the lifecycle (every case has events).
#[test]
fn demo_register_has_every_kind_of_case() {
    use manyi::db::schema::{case_categories, case_events, cases};
    let db = TestDb::new(Engine::Sqlite);
    let state = prepare(&db);
    let mut conn = state.pool.get().unwrap();
    let opts = DemoOptions {
        seed: 1,
        responses: 500,
        last_roc_year: Some(113),
        years: 5,
        extra_taipei: 0,
        ..DemoOptions::default()
    };
    let summary = demo::generate(&mut conn, &state.catalog, &opts).unwrap();
    assert!(summary.cases > 200, "{summary}");
    type Row = (
        i64,
        String,
        String,
        String,
        Option<chrono::NaiveDate>,
        chrono::NaiveDate,
        Option<i16>,
    );
    let rows: Vec<Row> = cases::table
        .inner_join(case_categories::table)
        .select((
            cases::id,
            cases::channel,
            case_categories::code,
            cases::status,
            cases::first_reply_on,
            cases::due_on,
            cases::citizen_rating,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(rows.len(), summary.cases);
    let channels: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    let all: std::collections::BTreeSet<&str> = manyi::cases::CaseChannel::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(channels, all, "every channel");
    let categories: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    assert_eq!(categories.len(), 7, "{categories:?}");
    let count = |f: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count();
    let replied = count(&|r| r.4.is_some());
    let late = count(&|r| r.4.is_some_and(|d| d > r.5));
    assert!(late > 0 && late * 5 < replied, "late {late} of {replied}");
    let open = count(&|r| ["received", "accepted", "assigned"].contains(&r.3.as_str()));
    assert_eq!(open, summary.open_cases);
    assert!(open >= 3);
    assert!(count(&|r| r.3 == "transferred") > 0);
    assert!(
        count(&|r| r.6.is_some()) > 5,
        "some rated by the petitioner"
    );
    let not_accepted: i64 = case_events::table
        .filter(case_events::kind.eq("not_accept"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert!(not_accepted > 0);
    // Through the lifecycle: every case has its events.
    let with_events: std::collections::BTreeSet<i64> = case_events::table
        .select(case_events::case_id)
        .load::<i64>(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(with_events.len(), summary.cases);
}

/// National-size data in small: `--offices` adds fictional offices over the
/// 22 counties and cities, `--responses-per-office-year` sizes the data by
/// office and year; every office gets answers in every year.
#[test]
fn demo_of_a_country_spreads_over_offices_counties_and_years() {
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let db = TestDb::new(engine);
        let state = prepare(&db);
        let mut conn = state.pool.get().unwrap();
        let opts = DemoOptions {
            responses_per_office_year: Some(20),
            offices: Some(40),
            years: 3,
            last_roc_year: Some(113),
            ..DemoOptions::default()
        };
        let summary = demo::generate(&mut conn, &state.catalog, &opts).unwrap();
        assert_eq!(summary.offices, 40, "{engine:?}");
        assert_eq!(summary.responses, 40 * 3 * 20, "{engine:?}");
        let offices = manyi::offices::list_offices(&mut conn).unwrap();
        assert_eq!(offices.len(), 40);
        let counties: std::collections::BTreeSet<&str> =
            offices.iter().map(|o| o.county_zh.as_str()).collect();
        assert_eq!(counties.len(), 22, "{counties:?}");
        assert!(
            offices
                .iter()
                .any(|o| o.code.as_str() == "N040" && o.name_zh.contains("示範戶政事務所"))
        );
        let with_answers: Vec<i32> = responses::table
            .select(responses::office_id)
            .distinct()
            .load(&mut conn)
            .unwrap();
        assert_eq!(with_answers.len(), 40, "every office has answers");
        // Exactly 20 per office and year.
        let per: Vec<(i32, i64)> = responses::table
            .group_by(responses::office_id)
            .select((responses::office_id, diesel::dsl::count_star()))
            .load(&mut conn)
            .unwrap();
        assert!(per.iter().all(|(_, n)| *n == 60), "{per:?}");
        let too_many = DemoOptions {
            offices: Some(5000),
            ..DemoOptions::default()
        };
        assert!(matches!(
            demo::generate(&mut conn, &state.catalog, &too_many),
            Err(demo::DemoError::Options(m)) if m.contains("--offices")
        ));
    }
}

/// The comment terms added up from the snapshot's term counts equal the terms
/// counted from every comment (the path without counts), for the whole
/// selection and for selections of years, offices and channels; on both
/// engines, over a snapshot built in several parts and compacted.
#[test]
fn terms_from_counts_equal_terms_from_comments() {
    use manyi::analytics::{Filter, RocYear, terms};
    use manyi::forms::Channel;
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let db = TestDb::new(engine);
        let state = prepare(&db);
        let mut conn = state.pool.get().unwrap();
        let opts = DemoOptions {
            seed: 7,
            responses: 6_000,
            last_roc_year: Some(113),
            years: 3,
            extra_taipei: 0,
            ..DemoOptions::default()
        };
        demo::generate(&mut conn, &state.catalog, &opts).unwrap();
        let settings = crate::helpers::settings(&db);
        let source = settings.analytics_source();
        let offices: Vec<i32> = manyi::offices::list_offices(&mut conn)
            .unwrap()
            .iter()
            .map(|o| o.id)
            .collect();
        let year = |y| Some(RocYear::new(y).unwrap());
        let filters = [
            Filter::form("counter"),
            Filter {
                from: year(112),
                to: year(113),
                ..Filter::form("counter")
            },
            Filter {
                offices: vec![offices[0]],
                channels: vec![Channel::Counter],
                ..Filter::form("counter")
            },
            Filter {
                from: year(113),
                to: year(113),
                offices: vec![offices[1], offices[2]],
                ..Filter::form("counter")
            },
            // Another form (few of the demo's answers: the two paths must
            // agree, whatever they find).
            Filter::form("web"),
        ];
        for filter in filters {
            let rich = filter.form == "counter";
            let p =
                manyi::warehouse::prepare(&mut conn, &source, filter.clone(), &offices).unwrap();
            let input = &p.input;
            let counts = input.term_counts_by_overall();
            assert!(
                counts.is_some(),
                "{engine:?} {filter:?}: the snapshot has term counts"
            );
            let run = |counts| {
                terms::terms(
                    input.responses.clone(),
                    input.comments.clone(),
                    input.items.overall.as_deref(),
                    counts,
                    20,
                )
                .unwrap()
            };
            let (fast, full) = (run(counts), run(None));
            assert_eq!(fast, full, "{engine:?} {filter:?}");
            if !rich {
                continue;
            }
            assert!(
                fast.dissatisfied_comments > 0 && fast.satisfied_comments > 0,
                "{filter:?}"
            );
            assert!(!fast.periods.is_empty() && !fast.periods[0].top.is_empty());
            assert!(
                fast.dissatisfied.iter().any(|d| !d.examples.is_empty()),
                "{filter:?}: {:?}",
                fast.dissatisfied
            );
        }
    }
}
