//! `manyi backup FILE`: a consistent copy of a SQLite database taken while
//! submissions keep arriving, restored by serving it and compared by counts;
//! on PostgreSQL a clear refusal that points to pg_dump.

use diesel::prelude::*;
use manyi::db::schema::{answers, responses};
use manyi::db::{ConnectionManager, DatabaseUrl, DbConnection};

use crate::helpers::{
    Engine, manyi_command, on_both_engines, post_json, response_count, seed_org, spawn_app_with,
    web_submission,
};

fn counts(conn: &mut DbConnection) -> (i64, i64, i64) {
    let responses = response_count(conn);
    let answers: i64 = answers::table.count().get_result(conn).unwrap();
    // Responses stored without their answers: a transaction cut in half.
    let bare: i64 = responses::table
        .filter(diesel::dsl::not(diesel::dsl::exists(
            answers::table.filter(answers::response_id.eq(responses::id)),
        )))
        .count()
        .get_result(conn)
        .unwrap();
    (responses, answers, bare)
}

fn open(path: &std::path::Path) -> DbConnection {
    ConnectionManager::new(DatabaseUrl::sqlite_file(path))
        .connect()
        .unwrap()
}

on_both_engines! {
    async fn backup_is_consistent_under_load_and_restores(engine) {
        let app = spawn_app_with(engine, |s| s.public_rate_per_minute = 100_000).await;
        seed_org(&mut app.conn());
        let url = app.db.url.expose().to_owned();
        let url = if url.starts_with("postgres") { url } else { format!("sqlite://{url}") };
        let work = tempfile::tempdir().unwrap();
        let copy = work.path().join("manyi-backup.db");
        let client = app.client.clone();
        let submit = |from: usize, to: usize| {
            let (client, base) = (client.clone(), app.address.clone());
            async move {
                for i in from..to {
                    let res = post_json(&client, &format!("{base}/api/v1/responses"), &web_submission(&format!("backup-test-{i:05}"), 4)).await;
                    assert_eq!(res.status(), 201);
                }
            }
        };
        submit(0, 30).await;
        let before = response_count(&mut app.conn());
        assert_eq!(before, 30);

        if engine == Engine::Postgres {
            let out = manyi_command().args(["--database-url", &url, "backup"]).arg(&copy).output().unwrap();
            assert!(!out.status.success());
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("pg_dump"), "the refusal points to pg_dump: {err}");
            assert!(!copy.exists(), "nothing written");
            return;
        }

        // The copy is taken while more submissions arrive.
        let writer = actix_web::rt::spawn(submit(30, 130));
        let cmd_url = url.clone();
        let cmd_copy = copy.clone();
        let out = actix_web::rt::task::spawn_blocking(move || {
            manyi_command().args(["--database-url", &cmd_url, "backup"]).arg(&cmd_copy).output().unwrap()
        })
        .await
        .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("backed up to"));
        // A partial copy never carries the name: nothing else was left behind.
        let names: Vec<String> = std::fs::read_dir(work.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["manyi-backup.db"]);
        writer.await.unwrap();
        let after = response_count(&mut app.conn());
        assert_eq!(after, 130);

        // Consistent: an intact file, every response in it whole, between
        // what was stored before the copy began and after it ended.
        let mut backup = open(&copy);
        let check: Vec<String> = diesel::sql_query("PRAGMA integrity_check")
            .load::<IntegrityRow>(&mut backup)
            .unwrap()
            .into_iter()
            .map(|r| r.integrity_check)
            .collect();
        assert_eq!(check, ["ok"]);
        let (n, _, bare) = counts(&mut backup);
        assert!((before..=after).contains(&n), "{n} responses in the copy, {before}..={after} expected");
        assert_eq!(bare, 0, "no response without its answers");
        eprintln!("backup under load: {n} of {after} responses in the copy ({before} before it began)");
        // The file exists now: a second backup to it is refused and leaves it as it was.
        let size = std::fs::metadata(&copy).unwrap().len();
        let out = manyi_command().args(["--database-url", &url, "backup"]).arg(&copy).output().unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("exists already"));
        assert_eq!(std::fs::metadata(&copy).unwrap().len(), size);

        // Quiet now: a second copy has exactly the database's counts, and
        // serving it (the restore) shows the same.
        let quiet = work.path().join("quiet.db");
        let out = manyi_command().args(["--database-url", &url, "backup"]).arg(&quiet).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(counts(&mut open(&quiet)), counts(&mut app.conn()));
        let restored = crate::helpers::TestDb::new(Engine::Sqlite);
        std::fs::copy(&quiet, restored.url.expose()).unwrap();
        let mut conn = restored.pool().get().unwrap();
        assert_eq!(counts(&mut conn), counts(&mut app.conn()));
        // The copy keeps the idempotency keys, so a kiosk's retry after a
        // restore is recognised and not stored twice.
        let kept: i64 = responses::table
            .filter(responses::idempotency_key.eq("backup-test-00007"))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(kept, 1);
    }
}

#[derive(QueryableByName)]
struct IntegrityRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}
