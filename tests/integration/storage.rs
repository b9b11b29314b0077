//! Storage on both engines: schema parity, round trips, idempotency, atomicity.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use manyi::db::schema::{answers, form_versions, responses};
use manyi::db::{self, DbConnection};
use manyi::forms::Channel;
use manyi::offices::{self, NewCounter, NewOffice, NewStaff};
use manyi::survey::{self, AnswerValue, IdempotencyKey, NewResponse, SurveyError};

use crate::helpers::{Engine, TestDb, catalog, on_both_engines, prepare};

#[test]
fn schemas_of_both_engines_have_the_same_tables_and_columns() {
    let lite = TestDb::new(Engine::Sqlite);
    let pg = TestDb::new(Engine::Postgres);
    let a = db::describe_schema(&mut lite.pool().get().unwrap()).unwrap();
    let b = db::describe_schema(&mut pg.pool().get().unwrap()).unwrap();
    let names: Vec<&String> = a.keys().collect();
    for expected in [
        "offices",
        "counters",
        "staff",
        "service_types",
        "form_versions",
        "devices",
        "responses",
        "answers",
        "users",
        "audit_log",
    ] {
        assert!(
            a.contains_key(expected),
            "SQLite lacks {expected}: {names:?}"
        );
    }
    assert_eq!(a, b, "SQLite and PostgreSQL schemas differ");
}

struct Fixture {
    office_id: i32,
    counter_id: i32,
    staff_id: i32,
    counter_version: i32,
    /// The counter's kiosk: the counter form takes answers from kiosks only.
    device_id: i32,
}

fn fixture(conn: &mut DbConnection) -> Fixture {
    let office = offices::create_office(
        conn,
        &NewOffice::new(
            &crate::helpers::code("JS"),
            "金門縣金沙鎮戶政事務所",
            "Jinsha Office",
            "金門縣",
            "Kinmen County",
        ),
    )
    .unwrap();
    let counters = offices::create_counters(
        conn,
        &[
            NewCounter {
                office_id: office.id,
                code: "1",
                name_zh: "1 號櫃檯",
                name_en: "Counter 1",
            },
            NewCounter {
                office_id: office.id,
                code: "2",
                name_zh: "2 號櫃檯",
                name_en: "Counter 2",
            },
        ],
    )
    .unwrap();
    let staff = offices::create_staff(
        conn,
        &[NewStaff {
            office_id: office.id,
            code: "S01",
            display_name: "陳雅婷",
        }],
    )
    .unwrap();
    let counter_version = form_versions::table
        .filter(form_versions::form_key.eq("counter"))
        .select(form_versions::id)
        .first(conn)
        .unwrap();
    let device_id = diesel::insert_into(manyi::db::schema::devices::table)
        .values((
            manyi::db::schema::devices::office_id.eq(office.id),
            manyi::db::schema::devices::counter_id.eq(counters[1].id),
            manyi::db::schema::devices::label.eq("2 號櫃檯平板"),
            manyi::db::schema::devices::created_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .returning(manyi::db::schema::devices::id)
        .get_result(conn)
        .unwrap();
    Fixture {
        office_id: office.id,
        counter_id: counters[1].id,
        staff_id: staff[0].id,
        counter_version,
        device_id,
    }
}

type Answers = BTreeMap<String, AnswerValue>;
type Mutation = fn(&mut Answers);

fn full_answers() -> Answers {
    let mut a: BTreeMap<String, AnswerValue> = [
        "staff_attitude",
        "staff_efficiency",
        "waiting_time",
        "staff_expertise",
        "process_design",
        "facilities",
        "cleanliness",
        "wayfinding",
        "overall",
    ]
    .iter()
    .enumerate()
    .map(|(i, k)| (k.to_string(), AnswerValue::Number(1 + (i as i64 % 5))))
    .collect();
    a.insert("volunteer_attitude".into(), AnswerValue::Text("na".into()));
    a.insert("service_type".into(), AnswerValue::Text("seal".into()));
    a.insert(
        "comment".into(),
        AnswerValue::Text("等候時間太久，叫號系統應顯示預估時間。".into()),
    );
    a
}

fn submission(f: &Fixture, key: &str, answers: BTreeMap<String, AnswerValue>) -> NewResponse {
    NewResponse {
        idempotency_key: IdempotencyKey::parse(key).unwrap(),
        office_id: f.office_id,
        channel: Channel::Counter,
        form_version_id: f.counter_version,
        submitted_at: NaiveDate::from_ymd_opt(2024, 3, 5)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap(),
        counter_id: Some(f.counter_id),
        staff_id: Some(f.staff_id),
        device_id: Some(f.device_id),
        answers,
        survey_token: None,
        submitted_by: None,
    }
}

fn counts(conn: &mut DbConnection) -> (i64, i64) {
    (
        responses::table.count().get_result(conn).unwrap(),
        answers::table.count().get_result(conn).unwrap(),
    )
}

on_both_engines! {
    async fn offices_and_reference_data_round_trip(engine) {
        let db = TestDb::new(engine);
        let state = prepare(&db);
        let mut conn = state.pool.get().unwrap();
        let f = fixture(&mut conn);
        let listed = offices::list_offices(&mut conn).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, f.office_id);
        assert_eq!(listed[0].name_zh, "金門縣金沙鎮戶政事務所");
        assert_eq!(listed[0].county_zh, "金門縣");
        let found = offices::find_office_by_code(&mut conn, &crate::helpers::code("JS")).unwrap().unwrap();
        assert_eq!(found, listed[0]);
        let counters = offices::counters_of(&mut conn, f.office_id).unwrap();
        assert_eq!(counters.iter().map(|c| c.name_zh.as_str()).collect::<Vec<_>>(), ["1 號櫃檯", "2 號櫃檯"]);
        let types = offices::service_types(&mut conn).unwrap();
        assert_eq!(types.len(), 11);
        assert_eq!(types[0].name_zh, "出生登記");
        assert_eq!(types.last().unwrap().name_zh, "其他");
        // Unique office codes are enforced by the database.
        let dup = offices::create_office(
            &mut conn,
            &NewOffice::new(&crate::helpers::code("JS"), "重複", "Duplicate", "金門縣", "Kinmen County"),
        );
        assert!(matches!(dup, Err(e) if db::is_unique_violation(&e)));
    }

    async fn response_and_answers_round_trip(engine) {
        let db = TestDb::new(engine);
        let state = prepare(&db);
        let mut conn = state.pool.get().unwrap();
        let f = fixture(&mut conn);
        let form = &state.catalog.get("counter").unwrap().form;
        let new = submission(&f, "0b6f3c1e-5a2d-4f7e-9a10-000000000001", full_answers());
        let stored = survey::store_response(&mut conn, form, &new).unwrap();
        assert!(!stored.duplicate);
        let back = survey::load_response(&mut conn, stored.response_id).unwrap().unwrap();
        assert_eq!(back.office_id, f.office_id);
        assert_eq!(back.channel, "counter");
        assert_eq!(back.counter_id, Some(f.counter_id));
        assert_eq!(back.staff_id, Some(f.staff_id));
        assert_eq!(back.submitted_at, new.submitted_at);
        assert_eq!(back.form_version_id, f.counter_version);
        let seal = offices::find_service_type(&mut conn, "seal").unwrap().unwrap();
        assert_eq!(back.service_type_id, Some(seal.id));
        // 11 answer rows: 10 likert items (one "na") and the comment; service type is on the response.
        assert_eq!(back.answers.len(), 11);
        let by_key: BTreeMap<_, _> = back.answers.iter().map(|a| (a.item_key.as_str(), a)).collect();
        assert_eq!(by_key["staff_attitude"].score, Some(1));
        assert_eq!(by_key["overall"].score, Some(4));
        assert_eq!(by_key["volunteer_attitude"].score, None);
        assert_eq!(by_key["volunteer_attitude"].choice.as_deref(), Some("na"));
        assert_eq!(
            by_key["comment"].text_value.as_deref(),
            Some("等候時間太久，叫號系統應顯示預估時間。")
        );
    }

    async fn idempotency_key_stores_once(engine) {
        let db = TestDb::new(engine);
        let state = prepare(&db);
        let mut conn = state.pool.get().unwrap();
        let f = fixture(&mut conn);
        let form = &state.catalog.get("counter").unwrap().form;
        let new = submission(&f, "retry-key-0001", full_answers());
        let first = survey::store_response(&mut conn, form, &new).unwrap();
        let before = counts(&mut conn);
        let again = survey::store_response(&mut conn, form, &new).unwrap();
        assert!(again.duplicate);
        assert_eq!(again.response_id, first.response_id);
        assert_eq!(counts(&mut conn), before);
        // The database itself refuses a second row with the key.
        let row = survey::ResponseRow {
            office_id: f.office_id,
            channel: "counter".into(),
            form_version_id: f.counter_version,
            submitted_at: new.submitted_at,
            received_at: new.submitted_at,
            counter_id: None,
            staff_id: None,
            service_type_id: None,
            device_id: None,
            idempotency_key: "retry-key-0001".into(),
        };
        let err = survey::insert_responses(&mut conn, &[row]).unwrap_err();
        assert!(db::is_unique_violation(&err), "{err:?}");
        assert_eq!(counts(&mut conn), before);
    }

    async fn concurrent_retries_store_once(engine) {
        let db = TestDb::new(engine);
        let state = prepare(&db);
        let f = fixture(&mut state.pool.get().unwrap());
        let form = state.catalog.get("counter").unwrap().form.clone();
        let new = submission(&f, "race-key-000001", full_answers());
        let ids: Vec<i64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..6)
                .map(|_| {
                    let pool = state.pool.clone();
                    let (form, new) = (&form, &new);
                    s.spawn(move || {
                        let mut conn = pool.get().unwrap();
                        survey::store_response(&mut conn, form, new).unwrap().response_id
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
        assert_eq!(counts(&mut state.pool.get().unwrap()), (1, 11));
    }

    async fn invalid_response_writes_nothing(engine) {
        let db = TestDb::new(engine);
        let state = prepare(&db);
        let mut conn = state.pool.get().unwrap();
        let f = fixture(&mut conn);
        let form = &state.catalog.get("counter").unwrap().form;
        let cases: Vec<(&str, Mutation)> = vec![
            ("answers.waiting_time", |a: &mut Answers| { a.insert("waiting_time".into(), AnswerValue::Number(6)); }),
            ("answers.overall", |a: &mut Answers| { a.remove("overall"); }),
            ("answers.colour", |a: &mut Answers| { a.insert("colour".into(), AnswerValue::Number(1)); }),
            ("answers.service_type", |a: &mut Answers| { a.insert("service_type".into(), AnswerValue::Text("tax".into())); }),
        ];
        for (i, (field, mutate)) in cases.iter().enumerate() {
            let mut a = full_answers();
            mutate(&mut a);
            let new = submission(&f, &format!("bad-answer-{i:04}"), a);
            match survey::store_response(&mut conn, form, &new) {
                Err(SurveyError::Invalid { field: got, .. }) => assert_eq!(&got, field),
                other => panic!("{field}: expected a validation error, got {other:?}"),
            }
            assert_eq!(counts(&mut conn), (0, 0), "{field} wrote something");
        }
        // A web-only channel check: the counter form does not take web responses.
        let mut new = submission(&f, "bad-channel-0001", full_answers());
        new.channel = Channel::Web;
        assert!(matches!(
            survey::store_response(&mut conn, form, &new),
            Err(SurveyError::Invalid { field, .. }) if field == "channel"
        ));
        assert_eq!(counts(&mut conn), (0, 0));
    }

    async fn failed_answer_insert_rolls_back_the_response(engine) {
        let db = TestDb::new(engine);
        let state = prepare(&db);
        let mut conn = state.pool.get().unwrap();
        let f = fixture(&mut conn);
        // An answer pointing at a response that does not exist breaks the foreign key
        // half-way through the transaction: the response inserted before it must go too.
        let outcome = db::write_transaction(&mut conn, |conn| {
            let row = survey::ResponseRow {
                office_id: f.office_id,
                channel: "counter".into(),
                form_version_id: f.counter_version,
                submitted_at: chrono::Utc::now().naive_utc(),
                received_at: chrono::Utc::now().naive_utc(),
                counter_id: None,
                staff_id: None,
                service_type_id: None,
                device_id: None,
                idempotency_key: "atomic-0000001".into(),
            };
            survey::insert_responses(conn, &[row])?;
            survey::insert_answers(conn, &[survey::AnswerRow {
                response_id: 987_654,
                item_key: "overall".into(),
                score: Some(5),
                choice: None,
                text_value: None,
            }])
        });
        assert!(outcome.is_err());
        assert_eq!(counts(&mut conn), (0, 0));
    }

    async fn changed_form_makes_a_new_version_and_keeps_the_old(engine) {
        let db = TestDb::new(engine);
        let state = prepare(&db);
        let old_hash = state.catalog.get("counter").unwrap().version_hash.clone();
        let mut conn = state.pool.get().unwrap();
        let n_before: i64 = form_versions::table.count().get_result(&mut conn).unwrap();
        assert_eq!(n_before, 5);

        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(crate::helpers::forms_dir()).unwrap() {
            let p = entry.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap();
            let text = text.replace("櫃檯人員服務態度", "櫃檯人員服務態度與禮貌");
            std::fs::write(dir.path().join(p.file_name().unwrap()), text).unwrap();
        }
        let mut settings = crate::helpers::settings(&db);
        settings.forms_dir = dir.path().to_owned();
        let again = manyi::startup::prepare(&settings).unwrap();
        let new_hash = again.catalog.get("counter").unwrap().version_hash.clone();
        assert_ne!(new_hash, old_hash);
        let rows: Vec<(String, String)> = form_versions::table
            .filter(form_versions::form_key.eq("counter"))
            .order(form_versions::id)
            .select((form_versions::version_hash, form_versions::definition))
            .load(&mut conn)
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, old_hash);
        assert!(rows[0].1.contains("\"櫃檯人員服務態度\""), "old definition unchanged");
        assert_eq!(rows[1].0, new_hash);
        let old = manyi::forms::find_version(&mut conn, &old_hash).unwrap().unwrap();
        // The same meaning; who may answer comes from the current file, not the version.
        let current = &state.catalog.get("counter").unwrap().form;
        assert_eq!(manyi::forms::Form { access: current.access, ..old.form().unwrap() }, *current);
        // Loading the same files again adds nothing.
        manyi::startup::prepare(&settings).unwrap();
        let n_after: i64 = form_versions::table.count().get_result(&mut conn).unwrap();
        assert_eq!(n_after, 6);
        drop(catalog());
    }
}

on_both_engines! {
    async fn a_batch_is_one_transaction_where_a_bad_response_fails_alone(engine) {
        let db = TestDb::new(engine);
        let state = prepare(&db);
        let mut conn = state.pool.get().unwrap();
        let f = fixture(&mut conn);
        let form = &state.catalog.get("counter").unwrap().form;
        let prep = |conn: &mut DbConnection, new: &NewResponse| {
            survey::prepare_response(conn, form, new, &survey::DbLookup).unwrap()
        };
        let first = submission(&f, "batch-key-00001", full_answers());
        let second = submission(&f, "batch-key-00002", full_answers());
        let mut changed = full_answers();
        changed.insert("overall".into(), AnswerValue::Number(5));
        let reused = submission(&f, "batch-key-00001", changed);
        // Checked against its form, but of an office that does not exist:
        // the database refuses it (foreign key) inside the batch.
        let mut fives = full_answers();
        for v in fives.values_mut() {
            if let AnswerValue::Number(n) = v {
                *n = 5;
            }
        }
        let mut orphan = submission(&f, "batch-key-00003", fives);
        orphan.office_id = f.office_id + 1000;

        // Without a bad one: the same key twice in one batch stores once.
        let before = counts(&mut conn);
        let batch = vec![prep(&mut conn, &first), prep(&mut conn, &second), prep(&mut conn, &first)];
        let results = survey::write_batch(&mut conn, &batch);
        let stored: Vec<survey::Stored> = results.into_iter().map(Result::unwrap).collect();
        assert!(!stored[0].duplicate && !stored[1].duplicate);
        assert!(stored[2].duplicate, "the key's second copy in the batch is a retry");
        assert_eq!(stored[2].response_id, stored[0].response_id);
        assert_ne!(stored[0].response_id, stored[1].response_id);
        assert!(stored[0].alert_id.is_some() && stored[1].alert_id.is_some(), "scores of 1 raise alerts");
        let after = counts(&mut conn);
        assert_eq!((after.0 - before.0, after.1 - before.1), (2, 22), "2 responses, 11 answers each");
        let back = survey::load_response(&mut conn, stored[1].response_id).unwrap().unwrap();
        assert_eq!(back.idempotency_key, "batch-key-00002");
        assert_eq!(back.answers.len(), 11);

        // With a bad one: it fails alone, its neighbours are stored, retries
        // and a reused key are recognised as without a batch.
        let third = submission(&f, "batch-key-00004", full_answers());
        let batch = vec![
            prep(&mut conn, &third),
            prep(&mut conn, &orphan),
            prep(&mut conn, &second),
            prep(&mut conn, &reused),
        ];
        let results = survey::write_batch(&mut conn, &batch);
        assert_eq!(results.len(), 4);
        let stored_third = results[0].as_ref().unwrap();
        assert!(!stored_third.duplicate);
        assert!(matches!(&results[1], Err(SurveyError::Db(_))), "{:?}", results[1]);
        let again = results[2].as_ref().unwrap();
        assert!(again.duplicate);
        assert_eq!(again.response_id, stored[1].response_id);
        assert!(
            matches!(&results[3], Err(SurveyError::KeyReused { response_id }) if *response_id == stored[0].response_id),
            "{:?}", results[3]
        );
        let last = counts(&mut conn);
        assert_eq!((last.0 - after.0, last.1 - after.1), (1, 11), "only the good new one");
        assert!(survey::load_response(&mut conn, stored_third.response_id).unwrap().is_some());
    }
}
