//! Load benchmark of `POST /api/v1/responses` (scripts/bench-load.sh runs it).
//!
//! For each engine it starts, in this process, the real manyi app (group
//! commit on, as by default), the same app writing each submission in its
//! own transaction (`group_commit_max = 1`), and a "ceiling" actix server
//! whose only handler does a bare single-row INSERT on the same database
//! through the same pool, then measures all three the same way, in turn:
//!
//! * sustained throughput: 1, 8, 32 and 128 clients sending back to back
//!   (`LOAD_CLIENTS`), `LOAD_SECONDS` each;
//! * latency at a fixed rate (open loop, 2,000 submissions/s by default): each
//!   request is due at its slot and its latency counts from that slot, so a
//!   stalled server cannot hide its queue (no coordinated omission).
//!
//! Output: one line per measurement and the ratios app/ceiling. Client and
//! servers share the machine's cores equally in both runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use manyi::config::Settings;
use manyi::db::{self, DatabaseUrl, Pool};
use manyi::startup::Application;

diesel::table! {
    bench_ceiling (k) {
        k -> Text,
    }
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Stats {
    ok: u64,
    failed: u64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn stats(mut lat: Vec<f64>, failed: u64, elapsed: Duration) -> Stats {
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Stats {
        ok: lat.len() as u64,
        failed,
        per_second: lat.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: percentile(&lat, 0.50),
        p99_ms: percentile(&lat, 0.99),
    }
}

fn body(n: u64, run: &str) -> String {
    serde_json::json!({
        "form": "web", "idempotency_key": format!("load-{run}-{n:012}"), "channel": "web", "office": "LD",
        "answers": {
            "services_used": ["booking"], "info_complete": 5, "info_findable": 4, "online_ease": 4,
            "page_speed": 5, "accessibility": 4, "overall": 5, "recommend": 9,
            "comment": "線上預約很方便"
        }
    })
    .to_string()
}

async fn send(client: &reqwest::Client, url: &str, n: u64, run: &str) -> bool {
    match client
        .post(url)
        .header("content-type", "application/json")
        .body(body(n, run))
        .send()
        .await
    {
        Ok(r) => r.status().is_success(),
        Err(_) => false,
    }
}

/// Closed loop: `conns` workers back to back for `secs`.
async fn saturate(url: &str, conns: usize, secs: u64, run: &str) -> Stats {
    let client = reqwest::Client::new();
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let end = started + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (client, url, counter, run) = (
            client.clone(),
            url.to_owned(),
            counter.clone(),
            run.to_owned(),
        );
        tasks.push(actix_web::rt::spawn(async move {
            let mut lat = Vec::new();
            let mut failed = 0;
            while Instant::now() < end {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                if send(&client, &url, n, &run).await {
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                } else {
                    failed += 1;
                }
            }
            (lat, failed)
        }));
    }
    let mut lat = Vec::new();
    let mut failed = 0;
    for t in tasks {
        let (l, f) = t.await.unwrap();
        lat.extend(l);
        failed += f;
    }
    stats(lat, failed, started.elapsed())
}

/// Open loop: one request due every 1/rate s for `secs`; latency from its due time.
async fn fixed_rate(url: &str, rate: u64, secs: u64, run: &str) -> Stats {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let total = rate * secs;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        let due = started + Duration::from_secs_f64(n as f64 / rate as f64);
        let now = Instant::now();
        if due > now {
            actix_web::rt::time::sleep(due - now).await;
        }
        let (client, url, run) = (client.clone(), url.to_owned(), run.to_owned());
        tasks.push(actix_web::rt::spawn(async move {
            let ok = send(&client, &url, n, &run).await;
            (ok, due.elapsed().as_secs_f64() * 1000.0)
        }));
    }
    let mut lat = Vec::new();
    let mut failed = 0;
    for t in tasks {
        let (ok, ms) = t.await.unwrap();
        if ok {
            lat.push(ms);
        } else {
            failed += 1;
        }
    }
    stats(lat, failed, started.elapsed())
}

async fn ceiling(pool: web::Data<Pool>, body: web::Bytes) -> HttpResponse {
    // Read the body like the app does, then one INSERT: nothing else.
    let k = format!("{}", body.len());
    let pool = pool.into_inner();
    let done = web::block(move || {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        diesel::insert_into(bench_ceiling::table)
            .values(bench_ceiling::k.eq(k))
            .execute(&mut conn)
            .map_err(|e| e.to_string())
    })
    .await;
    match done {
        Ok(Ok(_)) => HttpResponse::Created().finish(),
        _ => HttpResponse::InternalServerError().finish(),
    }
}

fn print(label: &str, s: &Stats) {
    println!(
        "{label:<44} ok {:>7}  failed {:>4}  {:>8.0}/s  p50 {:>7.2} ms  p99 {:>7.2} ms",
        s.ok, s.failed, s.per_second, s.p50_ms, s.p99_ms
    );
}

async fn start_app(settings: &Settings) -> String {
    let app = Application::build(settings.clone()).await.expect("app");
    let url = format!("http://127.0.0.1:{}/api/v1/responses", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    url
}

async fn run_engine(name: &str, url: DatabaseUrl, secs: u64, rate: u64) {
    let mut settings = Settings::for_database(url.clone());
    settings.bind = "127.0.0.1:0".into();
    settings.forms_dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("survey-forms");
    settings.public_rate_per_minute = u32::MAX;
    // The app as configured by default (group commit on), and the same app
    // writing each submission in its own transaction, for comparison.
    let app_url = start_app(&settings).await;
    let mut single = settings.clone();
    single.group_commit_max = 1;
    let single_url = start_app(&single).await;

    let pool = db::connect_pool(&url, settings.pool_size).expect("pool");
    {
        let mut conn = pool.get().unwrap();
        conn.batch_execute("CREATE TABLE IF NOT EXISTS bench_ceiling (k TEXT NOT NULL)")
            .unwrap();
        manyi::offices::create_office(
            &mut conn,
            &manyi::offices::NewOffice::new(
                &manyi::offices::OfficeCode::parse("LD").unwrap(),
                "壓測戶政事務所",
                "Load test office",
                "測試縣",
                "Test County",
            ),
        )
        .unwrap();
    }
    let data = web::Data::new(pool);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/ceiling", web::post().to(ceiling))
    })
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    let ceiling_url = format!("http://127.0.0.1:{port}/ceiling");
    let targets = [
        ("manyi", app_url.as_str()),
        ("manyi, one transaction each", single_url.as_str()),
        ("ceiling", ceiling_url.as_str()),
    ];

    // Warm all up.
    for (label, url) in targets {
        saturate(url, 8, 1, &format!("{name}-warm-{label}")).await;
    }
    println!("== {name}");
    let levels: Vec<u64> = std::env::var("LOAD_CLIENTS")
        .unwrap_or_else(|_| "1,8,32,128".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    for conns in levels {
        // Interleaved: each target in turn at this concurrency.
        let mut got = Vec::new();
        for (i, (label, url)) in targets.iter().enumerate() {
            let s = saturate(url, conns as usize, secs, &format!("{name}-c{conns}-{i}")).await;
            print(&format!("{label}, {conns} clients"), &s);
            got.push(s);
        }
        println!(
            "ratio to the ceiling at {conns} clients: manyi {:.2}, one transaction each {:.2}",
            got[0].per_second / got[2].per_second,
            got[1].per_second / got[2].per_second
        );
    }
    let mut got = Vec::new();
    for (i, (label, url)) in targets.iter().enumerate() {
        let s = fixed_rate(url, rate, secs, &format!("{name}-rate-{i}")).await;
        print(&format!("{label}, {rate}/s open loop"), &s);
        got.push(s);
    }
    println!(
        "p99 at {rate}/s: manyi {:.2} ms, one transaction each {:.2} ms, ceiling {:.2} ms",
        got[0].p99_ms, got[1].p99_ms, got[2].p99_ms
    );
}

fn main() {
    // `cargo bench` passes --bench; a plain `cargo test --benches` run passes nothing: skip then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let secs = env_num("LOAD_SECONDS", 5);
    let rate = env_num("LOAD_RATE", 2000);
    let pg_admin = std::env::var("MANYI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    actix_web::rt::System::new().block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        run_engine(
            "SQLite",
            DatabaseUrl::sqlite_file(&dir.path().join("load.db")),
            secs,
            rate,
        )
        .await;
        let name = format!("manyi_load_{}", std::process::id());
        let mut admin =
            diesel::PgConnection::establish(&pg_admin).expect("PostgreSQL for the load test");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let base = pg_admin.rsplit_once('/').unwrap().0;
        run_engine(
            "PostgreSQL",
            DatabaseUrl::parse(&format!("{base}/{name}")).unwrap(),
            secs,
            rate,
        )
        .await;
        let _ = admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"));
    });
    // No thread inside libpq (and its TLS library) while the process exits.
    db::stop_background();
}
