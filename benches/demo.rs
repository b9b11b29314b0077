//! Demo data generation: batched inserts (what `manyi demo` does) against the
//! baseline of storing the same number of responses one transaction each
//! (what a naive loader would do). Both on a fresh SQLite file per iteration.
//! Results, as ratios, in docs/BENCHMARKS.md.

use std::collections::BTreeMap;
use std::path::PathBuf;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use manyi::config::Settings;
use manyi::db::DatabaseUrl;
use manyi::demo::{self, DemoOptions};
use manyi::forms::Channel;
use manyi::startup::{self, AppState};
use manyi::survey::{self, AnswerValue, IdempotencyKey, NewResponse};

const N: usize = 5_000;

fn fresh() -> (tempfile::TempDir, AppState) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings =
        Settings::for_database(DatabaseUrl::sqlite_file(&dir.path().join("bench.db")));
    settings.forms_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("survey-forms");
    settings.pool_size = 2;
    let state = startup::prepare(&settings).unwrap();
    (dir, state)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("demo_sqlite");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("batched", |b| {
        b.iter_batched(
            fresh,
            |(dir, state)| {
                let mut conn = state.pool.get().unwrap();
                let opts = DemoOptions {
                    seed: 1,
                    responses: N,
                    last_roc_year: Some(113),
                    years: 5,
                    extra_taipei: 0,
                    ..DemoOptions::default()
                };
                demo::generate(&mut conn, &state.catalog, &opts).unwrap();
                drop(conn);
                (dir, state)
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("one_transaction_each", |b| {
        b.iter_batched(
            || {
                let (dir, state) = fresh();
                // Offices etc. come from a 1-response demo run; then N single stores.
                let mut conn = state.pool.get().unwrap();
                let opts = DemoOptions {
                    seed: 1,
                    responses: 1,
                    last_roc_year: Some(113),
                    years: 1,
                    extra_taipei: 0,
                    ..DemoOptions::default()
                };
                demo::generate(&mut conn, &state.catalog, &opts).unwrap();
                drop(conn);
                (dir, state)
            },
            |(dir, state)| {
                let mut conn = state.pool.get().unwrap();
                let form = &state.catalog.get("counter").unwrap().form;
                let office = manyi::offices::list_offices(&mut conn).unwrap()[0].id;
                let version = state.form_version_ids["counter"];
                for i in 0..N {
                    let mut answers: BTreeMap<String, AnswerValue> = form
                        .items
                        .iter()
                        .filter(|it| matches!(it.kind, manyi::forms::ItemKind::Likert5 { .. }))
                        .map(|it| (it.key.to_string(), AnswerValue::Number(1 + (i as i64 % 5))))
                        .collect();
                    answers.insert("comment".into(), AnswerValue::Text("很好".into()));
                    let new = NewResponse {
                        idempotency_key: IdempotencyKey::parse(&format!("bench-{i:08}")).unwrap(),
                        office_id: office,
                        channel: Channel::Counter,
                        form_version_id: version,
                        submitted_at: chrono::Utc::now().naive_utc(),
                        counter_id: None,
                        staff_id: None,
                        device_id: None,
                        answers,
                        survey_token: None,
                        submitted_by: None,
                    };
                    survey::store_response(&mut conn, form, &new).unwrap();
                }
                drop(conn);
                (dir, state)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
