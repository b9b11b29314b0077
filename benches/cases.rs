//! The complaint register's dashboard numbers (open cases per office and due
//! state) over 1,000,000 cases, against a bare SQL count of the same open rows
//! (the floor), on SQLite and PostgreSQL. Ratios go to docs/BENCHMARKS.md.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use manyi::auth::Scope;
use manyi::calendar::Calendar;
use manyi::cases::views;
use manyi::db::{self, DatabaseUrl, DbConnection};

const N: u32 = 1_000_000;

/// 1M cases over 3 offices and 5 years; one in twenty still open.
fn fill(conn: &mut DbConnection) {
    let (date_expr, false_lit) = match conn {
        DbConnection::Sqlite(_) => ("date('2020-01-01', '+' || (i % 1800) || ' days')", "0"),
        DbConnection::Postgresql(_) => ("DATE '2020-01-01' + (i % 1800)", "FALSE"),
    };
    let due_expr = match conn {
        DbConnection::Sqlite(_) => "date('2020-01-06', '+' || (i % 1800) || ' days')",
        DbConnection::Postgresql(_) => "DATE '2020-01-06' + (i % 1800)",
    };
    let sql = format!(
        "INSERT INTO offices (code, name_zh, name_en, county_zh, county_en, created_at) VALUES \
           ('B1','一','One','縣','C','2024-01-01 00:00:00'), ('B2','二','Two','縣','C','2024-01-01 00:00:00'), \
           ('B3','三','Three','縣','C','2024-01-01 00:00:00');
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {N})
         INSERT INTO cases (case_no, office_id, channel, category_id, subject, content, language,
                            confidential, status, deadline_kind, received_on, due_on, due_assumed, created_at)
         SELECT 'B-' || i, (SELECT min(id) FROM offices) + (i % 3), 'mailbox', 1, '主旨', '內容', 'zh-TW',
                {false_lit}, CASE WHEN i % 20 = 0 THEN 'accepted' ELSE 'closed' END, 'simple',
                {date_expr}, {due_expr}, {false_lit}, '2024-01-01 00:00:00'
         FROM n;"
    );
    conn.batch_execute(&sql).unwrap();
    if let DbConnection::Postgresql(_) = conn {
        conn.batch_execute("ANALYZE cases").unwrap();
    }
}

fn run(c: &mut Criterion, name: &str, url: DatabaseUrl) {
    let pool = db::connect_pool(&url, 2).unwrap();
    let mut conn = pool.get().unwrap();
    db::run_migrations(&mut conn).unwrap();
    fill(&mut conn);
    let cal = Calendar::shipped();
    let today = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
    let mut g = c.benchmark_group(format!("cases_1m_{name}"));
    g.sample_size(10);
    g.bench_function("floor_bare_count_of_open_cases", |b| {
        b.iter(|| {
            let n: i64 = manyi::db::schema::cases::table
                .filter(manyi::db::schema::cases::status.eq_any([
                    "received",
                    "accepted",
                    "assigned",
                    "preliminary_reply",
                ]))
                .count()
                .get_result(&mut conn)
                .unwrap();
            black_box(n)
        })
    });
    g.bench_function("due_summary", |b| {
        b.iter(|| black_box(views::due_summary(&mut conn, &Scope::All, &cal, today).unwrap()))
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    run(
        c,
        "sqlite",
        DatabaseUrl::sqlite_file(&dir.path().join("cases.db")),
    );
    let admin = std::env::var("MANYI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("manyi_cases_bench_{}", std::process::id());
    let mut a = diesel::PgConnection::establish(&admin).unwrap();
    a.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let base = admin.rsplit_once('/').unwrap().0;
    run(
        c,
        "postgres",
        DatabaseUrl::parse(&format!("{base}/{name}")).unwrap(),
    );
    let _ = a.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"));
}

criterion_group!(benches, bench);
criterion_main!(benches);
