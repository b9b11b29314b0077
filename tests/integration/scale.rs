//! A country on one database: concurrent submissions committed in groups
//! (each stored once, retries inside a group recognised), public rate limits
//! that hold across instances, and a 不滿意 alert submitted on one instance
//! reaching a director's live stream on another at once (PostgreSQL
//! LISTEN/NOTIFY; the stream's own poll comes only every 5 s).

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::helpers::{
    Browser, Engine, on_both_engines, post_json, response_count, seed_org, spawn_app,
    spawn_app_with, web_submission,
};

/// A number read off the `/metrics` text.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} not in /metrics:\n{text}"))
}

/// Rate limits count per minute: start a test that depends on them well
/// inside one.
async fn clear_of_a_minute_boundary() {
    let second = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if second >= 48 {
        actix_web::rt::time::sleep(Duration::from_secs(61 - second)).await;
    }
}

on_both_engines! {
    async fn concurrent_submissions_are_committed_in_groups_and_each_stored_once(engine) {
        let app = spawn_app_with(engine, |s| {
            s.public_rate_per_minute = 10_000;
            // Writers wait a little for company, so that groups form even here.
            s.group_commit_wait_ms = 20;
        })
        .await;
        seed_org(&mut app.conn());
        let url = format!("{}/api/v1/responses", app.address);
        // 40 submissions at once; 8 of them also sent a second time at the
        // same moment (a kiosk's retry racing its original).
        let mut tasks = Vec::new();
        for n in 0..48 {
            let (client, url) = (app.client.clone(), url.clone());
            let key = format!("group-{:08}", n % 40);
            tasks.push(actix_web::rt::spawn(async move {
                let r = post_json(&client, &url, &web_submission(&key, 1 + n % 5)).await;
                let status = r.status().as_u16();
                let body: serde_json::Value = r.json().await.unwrap();
                (key, status, body)
            }));
        }
        let mut ids: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        let mut created = 0;
        for t in tasks {
            let (key, status, body) = t.await.unwrap();
            match status {
                201 => created += 1,
                // The same key with other answers is refused, not stored.
                200 | 409 => {}
                s => panic!("{key}: status {s}: {body}"),
            }
            if status != 409 {
                ids.entry(key).or_default().push(body["response_id"].as_i64().unwrap());
            }
        }
        assert_eq!(created, 40, "each key stored once");
        assert_eq!(response_count(&mut app.conn()), 40);
        for (key, v) in &ids {
            assert!(v.windows(2).all(|w| w[0] == w[1]), "{key}: one response, named alike: {v:?}");
        }
        // The writer's own account: every submission went through it, in fewer
        // transactions than submissions.
        let text = app.get("/metrics").await.text().await.unwrap();
        let (sum, count) = (
            metric(&text, "manyi_submission_batch_size_sum"),
            metric(&text, "manyi_submission_batch_size_count"),
        );
        assert_eq!(sum, 48.0, "{text}");
        assert!(count < 48.0, "some transactions held several submissions: {count} batches");
    }

    async fn public_rate_limits_hold_across_instances(engine) {
        clear_of_a_minute_boundary().await;
        let tune = |s: &mut manyi::config::Settings| {
            s.public_rate_per_minute = 6;
            s.rate_sync_ms = 50;
        };
        let app = spawn_app_with(engine, tune).await;
        seed_org(&mut app.conn());
        let second = app.second_instance(tune).await;
        let send = |base: String, n: u32| {
            let client = app.client.clone();
            async move {
                let body = web_submission(&format!("limit-{n:08}"), 4);
                post_json(&client, &format!("{base}/api/v1/responses"), &body).await.status().as_u16()
            }
        };
        for n in 0..3 {
            assert_eq!(send(app.address.clone(), n).await, 201);
        }
        actix_web::rt::time::sleep(Duration::from_millis(400)).await;
        for n in 3..6 {
            assert_eq!(send(second.clone(), n).await, 201);
        }
        actix_web::rt::time::sleep(Duration::from_millis(400)).await;
        // Each instance alone has let 3 of its 6 through; together they have
        // used the address's budget of the minute.
        assert_eq!(send(app.address.clone(), 6).await, 429, "the first instance counts the second's");
        assert_eq!(send(second.clone(), 7).await, 429, "and the second the first's");
        assert_eq!(response_count(&mut app.conn()), 6);
    }
}

/// Reads an event stream until `marker` has come (10 s at most per chunk).
async fn read_until(stream: &mut reqwest::Response, marker: &str) -> String {
    let mut seen = String::new();
    while !seen.contains(marker) {
        let chunk = actix_web::rt::time::timeout(Duration::from_secs(10), stream.chunk()).await;
        match chunk {
            Ok(Ok(Some(b))) => seen.push_str(&String::from_utf8_lossy(&b)),
            other => panic!("no `{marker}` on the stream: {other:?} {seen}"),
        }
    }
    seen
}

#[actix_web::test]
async fn an_alert_on_one_instance_reaches_the_live_stream_on_another_at_once() {
    let app = spawn_app(Engine::Postgres).await;
    seed_org(&mut app.conn());
    let second = app.second_instance(|_| {}).await;
    let mut director = Browser::new(&app);
    director.base = second.clone();
    director.login("dir-js").await;
    let mut stream = director.get("/console/alerts/stream").await;
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    // The first round (the badge's count) comes at once; then the stream waits.
    read_until(&mut stream, "event: count").await;
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let mut low = web_submission("notify-low-00001", 4);
    low["answers"]["overall"] = json!(1);
    let sent = Instant::now();
    let url = format!("{}/api/v1/responses", app.address);
    assert_eq!(post_json(&app.client, &url, &low).await.status(), 201);
    let seen = read_until(&mut stream, "event: alert").await;
    let took = sent.elapsed();
    assert!(seen.contains("\"lowest_score\":1"), "{seen}");
    // The stream's own poll would take 5 s; the notification takes the
    // listener's 100 ms check and a query.
    eprintln!("alert from one instance on the other's stream after {took:?}");
    assert!(
        took < Duration::from_millis(2_500),
        "the alert came by the 5 s poll, not by NOTIFY: {took:?}"
    );
}
