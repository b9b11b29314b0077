//! The analytics pipeline against a small fixture whose every figure is
//! worked out here from the literal scores (and the formulas of
//! `analytics::stats`, each tested there against scipy/statsmodels/pingouin).
//! Runs on both engines: import → snapshot → polars → results.

use diesel::prelude::*;
use manyi::analytics::metrics::MetricRow;
use manyi::analytics::stats::{self, Tally};
use manyi::analytics::{Analysis, standards};
use manyi::db::schema::{form_versions, responses};
use manyi::forms::Form;
use manyi::survey::import;
use manyi::warehouse::{Snapshot, snapshot};

use crate::fixtures::{V1, analyse, close, fixture, import, insert_case, req, t};
use crate::helpers::{TestDb, on_both_engines, prepare, seed_org};

fn row<'a>(a: &'a Analysis, year: i32, item: &str) -> &'a MetricRow {
    a.metrics
        .iter()
        .find(|r| r.group.year == Some(year) && r.group.item.as_deref() == Some(item))
        .unwrap_or_else(|| panic!("no row {year} {item}"))
}

fn check_figures(r: &MetricRow, want: &Tally) {
    let f = &r.figures;
    assert_eq!(f.n, want.n, "{:?}", r.group);
    close(f.mean.unwrap(), want.mean().unwrap());
    close(f.rate.unwrap(), want.rate().unwrap());
    close(
        f.dissatisfied_rate.unwrap(),
        want.dissatisfied_rate().unwrap(),
    );
    let w = stats::wilson(want.top2, want.n).unwrap();
    close(f.rate_ci.unwrap().low, w.low);
    close(f.rate_ci.unwrap().high, w.high);
    match stats::t_interval(want) {
        Some(ci) => {
            close(f.mean_ci.unwrap().low, ci.low);
            close(f.mean_ci.unwrap().high, ci.high);
        }
        None => assert!(f.mean_ci.is_none()),
    }
    close(
        f.sampling_error_points.unwrap(),
        stats::sampling_error_points(want.n).unwrap(),
    );
}

on_both_engines! {
    fn figures_per_year_and_item(engine) {
        let mut f = fixture(engine);
        let a = analyse(&mut f, req("year,item"));
        assert_eq!(a.responses, 15);
        // 112: JS only.
        check_figures(row(&a, 112, "staff_attitude"), &t(&[5, 4, 3, 2]));
        check_figures(row(&a, 112, "waiting_time"), &t(&[4, 3, 3, 1]));
        check_figures(row(&a, 112, "overall"), &t(&[5, 4, 3, 2]));
        // 113: both offices and both form versions.
        let sa113 = t(&[5, 5, 4, 4, 1, 4, 4, 4, 5, 3]);
        check_figures(row(&a, 113, "staff_attitude"), &sa113);
        // Missing answer (DA 113/09/09) and the item dropped by version 2.
        check_figures(row(&a, 113, "waiting_time"), &t(&[5, 4, 4, 2, 1, 4, 4]));
        // Only version 2 asks it.
        check_figures(row(&a, 113, "queue_system"), &t(&[4, 2]));
        assert!(a.metrics.iter().all(|r| !(r.group.year == Some(112)
            && r.group.item.as_deref() == Some("queue_system"))));
        // The same figures as a frame (for exports).
        let frame = manyi::analytics::metrics::metrics_frame(&a.metrics).unwrap();
        assert_eq!(frame.height(), a.metrics.len());
        let n: Vec<u64> = frame.column("n").unwrap().u64().unwrap().into_no_null_iter().collect();
        assert_eq!(n, a.metrics.iter().map(|r| r.figures.n).collect::<Vec<_>>());
        // Hand check of one row: 113 staff attitude, 10 answers summing to 39.
        let r = row(&a, 113, "staff_attitude");
        close(r.figures.mean.unwrap(), 3.9);
        close(r.figures.rate.unwrap(), 0.8);
        close(r.figures.dissatisfied_rate.unwrap(), 0.1);
        assert_eq!(r.group.label_zh.as_deref(), Some("櫃檯人員服務態度"));
        // n = 1: a mean, no interval; its Wilson interval is statsmodels' (0.0, 0.7935)
        // for 0 of 1 satisfied.
        let one = row(&a, 114, "overall");
        assert_eq!(one.figures.n, 1);
        assert_eq!(one.figures.mean, Some(3.0));
        assert!(one.figures.mean_ci.is_none());
        assert!(one.figures.sd.is_none());
        // Items nobody answered have no rows (n = 0), e.g. facilities.
        assert!(!a.metrics.iter().any(|r| r.group.item.as_deref() == Some("facilities")));
        // Rows come in key order: year, then form order of items.
        let order: Vec<(i32, String)> = a
            .metrics
            .iter()
            .map(|r| (r.group.year.unwrap(), r.group.item.clone().unwrap()))
            .collect();
        assert_eq!(order[0], (112, "staff_attitude".to_string()));
        let mut sorted = order.clone();
        sorted.sort_by_key(|(y, _)| *y);
        assert_eq!(order, sorted);
    }

    fn offices_counties_dimensions_and_equal_answers(engine) {
        let mut f = fixture(engine);
        let mut r = req("year,office");
        r.from = Some("113".into());
        r.to = Some("113".into());
        let a = analyse(&mut f, r);
        let da = a.metrics.iter().find(|m| m.group.office.as_deref() == Some("DA")).unwrap();
        // All answers equal (4, 4, 4): sd 0, interval collapses to the mean.
        check_figures(da, &t(&[4, 4, 4]));
        assert_eq!(da.figures.sd, Some(0.0));
        let ci = da.figures.mean_ci.unwrap();
        assert_eq!((ci.low, ci.high), (4.0, 4.0));
        // Without `item` the figures are those of the overall item.
        let js = a.metrics.iter().find(|m| m.group.office.as_deref() == Some("JS")).unwrap();
        check_figures(js, &t(&[5, 5, 4, 4, 1, 5, 3]));
        assert!(a.notes.iter().any(|n| n.contains("overall")));

        // Counties: Kinmen (JS) and Taipei (DA) from offices.
        let mut r = req("county");
        r.from = Some("113".into());
        r.to = Some("113".into());
        let a = analyse(&mut f, r);
        let km = a.metrics.iter().find(|m| m.group.county.as_deref() == Some("金門縣")).unwrap();
        check_figures(km, &t(&[5, 5, 4, 4, 1, 5, 3]));

        // Dimensions pool their items' answers: efficiency = staff_efficiency +
        // waiting_time (+ queue_system in version 2), 113.
        let mut r = req("year,dimension");
        r.from = Some("113".into());
        r.to = Some("113".into());
        let a = analyse(&mut f, r);
        let eff = a
            .metrics
            .iter()
            .find(|m| m.group.dimension.as_deref() == Some("efficiency"))
            .unwrap();
        let mut want = t(&[5, 4, 4, 3, 2, 4, 5, 4, 5, 4]);
        want.add(&t(&[5, 4, 4, 2, 1, 4, 4]));
        want.add(&t(&[4, 2]));
        check_figures(eff, &want);
        assert_eq!(eff.group.label_zh.as_deref(), Some("服務效率"));

        // A year without responses: no rows, no error (n = 0).
        let mut r = req("year,item");
        r.from = Some("100".into());
        r.to = Some("101".into());
        let a = analyse(&mut f, r);
        assert_eq!(a.responses, 0);
        assert!(a.metrics.is_empty() && a.changes.is_empty() && a.drivers.is_empty());
    }

    fn changes_are_tested_and_holm_adjusted(engine) {
        let mut f = fixture(engine);
        let a = analyse(&mut f, req("year,item"));
        let items = [
            ("staff_attitude", t(&[5, 4, 3, 2]), t(&[5, 5, 4, 4, 1, 4, 4, 4, 5, 3])),
            ("staff_efficiency", t(&[5, 4, 4, 2]), t(&[5, 4, 4, 3, 2, 4, 5, 4, 5, 4])),
            ("waiting_time", t(&[4, 3, 3, 1]), t(&[5, 4, 4, 2, 1, 4, 4])),
            ("overall", t(&[5, 4, 3, 2]), t(&[5, 5, 4, 4, 1, 4, 4, 4, 5, 3])),
        ];
        let p_rates: Vec<Option<f64>> = items
            .iter()
            .map(|(_, then, now)| {
                stats::two_proportion_z(now.top2, now.n, then.top2, then.n).map(|r| r.p_value)
            })
            .collect();
        let p_means: Vec<Option<f64>> = items
            .iter()
            .map(|(_, then, now)| stats::welch_t(now, then).map(|r| r.p_value))
            .collect();
        let (adj_r, adj_m) = (stats::holm(&p_rates), stats::holm(&p_means));
        for (i, (key, then, now)) in items.iter().enumerate() {
            let c = a
                .changes
                .iter()
                .find(|c| c.period == "113" && c.group.item.as_deref() == Some(*key))
                .unwrap_or_else(|| panic!("no change for {key}"));
            assert_eq!(c.previous, "112");
            assert_eq!((c.n, c.n_previous), (now.n, then.n));
            close(c.rate_diff.unwrap(), now.rate().unwrap() - then.rate().unwrap());
            close(c.rate_test.unwrap().p_value, p_rates[i].unwrap());
            close(c.rate_p_adjusted.unwrap(), adj_r[i].unwrap());
            close(c.mean_test.unwrap().p_value, p_means[i].unwrap());
            close(c.mean_p_adjusted.unwrap(), adj_m[i].unwrap());
            assert_eq!(c.rate_significant, adj_r[i].unwrap() < 0.05);
        }
        // queue_system has no 112 answers: no change row. 114 vs 113 exists (n = 1:
        // a z-test, but no Welch test without a variance).
        assert!(!a.changes.iter().any(|c| c.group.item.as_deref() == Some("queue_system")));
        let c = a
            .changes
            .iter()
            .find(|c| c.period == "114" && c.group.item.as_deref() == Some("overall"))
            .unwrap();
        assert!(c.mean_test.is_none());
        assert!(c.rate_test.is_some());

        // Quarter over quarter: 113Q1 vs 112Q4 for the overall item.
        let a = analyse(&mut f, req("year,quarter"));
        let q = a
            .changes
            .iter()
            .find(|c| c.period == "113Q1" && c.group.item.as_deref() == Some("overall"))
            .unwrap();
        assert_eq!(q.previous, "112Q4");
        // 112Q4: JS 112-11-20 (2); 113Q1: JS 5, 5 and DA 4.
        assert_eq!((q.n, q.n_previous), (3, 1));
    }

    fn reliability_drivers_and_ipa(engine) {
        let mut f = fixture(engine);
        let a = analyse(&mut f, req("year,item"));
        // Scale: the items required in both versions and answered, i.e.
        // staff_attitude and staff_efficiency (waiting_time is not in version 2).
        let r113 = a.reliability.iter().find(|r| r.year == 113).unwrap();
        assert_eq!(r113.items, ["staff_attitude", "staff_efficiency"]);
        assert_eq!(r113.n, 10);
        // pingouin 0.5 cronbach_alpha on the 10 (staff_attitude, staff_efficiency)
        // pairs of 113: 0.8672086720867209
        close(r113.alpha.unwrap(), 0.867_208_672_086_720_9);
        assert!(!r113.below_floor);

        // Importance = Pearson's r with overall (scipy pearsonr on the pairs).
        let d = |item: &str| {
            a.drivers
                .iter()
                .find(|d| d.year == 113 && d.item == item)
                .unwrap()
        };
        // staff_attitude equals overall in every 113 response: r = 1.
        close(d("staff_attitude").importance.unwrap(), 1.0);
        // scipy pearsonr([5,4,4,3,2,4,5,4,5,4], [5,5,4,4,1,4,4,4,5,3]) = 0.7874992309581577
        close(d("staff_efficiency").importance.unwrap(), 0.787_499_230_958_157_7);
        assert_eq!(d("staff_attitude").rank, Some(1));
        // waiting_time: 7 complete pairs; queue_system: 2 pairs (r undefined below 3).
        assert_eq!(d("waiting_time").pairs, 7);
        assert!(d("queue_system").importance.is_none());
        // IPA: split at the means over the items with both axes.
        let scored: Vec<_> = a
            .drivers
            .iter()
            .filter(|d| d.year == 113 && d.importance.is_some())
            .collect();
        let gi = scored.iter().map(|d| d.importance.unwrap()).sum::<f64>() / scored.len() as f64;
        let gp = scored.iter().map(|d| d.performance.unwrap()).sum::<f64>() / scored.len() as f64;
        for d in &scored {
            close(d.grand_importance.unwrap(), gi);
            let want = manyi::analytics::drivers::Quadrant::of(
                d.importance.unwrap(),
                d.performance.unwrap(),
                gi,
                gp,
            );
            assert_eq!(d.quadrant, Some(want));
        }
        // staff_attitude: the strongest driver, mean 3.9 against the items' mean.
        assert_eq!(d("staff_attitude").performance, Some(3.9));
    }

    fn standards_and_shortfalls(engine) {
        let mut f = fixture(engine);
        let year = manyi::analytics::RocYear::new(113).unwrap();
        manyi::plans::standards::set(&mut f.conn, year, &standards::StandardScope::All, 0.9, "test").unwrap();
        let a = analyse(&mut f, req("year,item"));
        // JS 113 overall: 5,5,4,4,1,5,3 → 5/7 satisfied; DA 113: 3/3 (not listed).
        let s = a
            .shortfalls
            .iter()
            .find(|s| s.office == "JS" && s.item == "overall" && s.year == 113)
            .unwrap();
        assert!(s.overall);
        close(s.rate, 5.0 / 7.0);
        close(s.gap_points, (0.9 - 5.0 / 7.0) * 100.0);
        close(s.dissatisfied_rate, 1.0 / 7.0);
        close(s.below_test.unwrap().p_value, stats::below_standard(5, 7, 0.9).unwrap().p_value);
        assert!(!a.shortfalls.iter().any(|s| s.office == "DA" && s.year == 113));
        // No standard for 112: nothing listed for it.
        assert!(!a.shortfalls.iter().any(|s| s.year == 112));
        // A county standard wins over the general one; an office's over both.
        manyi::plans::standards::set(
            &mut f.conn,
            year,
            &standards::StandardScope::County("金門縣".into()),
            0.7,
            "test",
        )
        .unwrap();
        let a = analyse(&mut f, req("year,item"));
        assert!(!a.shortfalls.iter().any(|s| s.office == "JS" && s.item == "overall"));
        // Standards are kept or raised: a lower one the next year is refused.
        let next = manyi::analytics::RocYear::new(114).unwrap();
        let err = manyi::plans::standards::set(&mut f.conn, next, &standards::StandardScope::All, 0.8, "test")
            .unwrap_err()
            .to_string();
        assert!(err.contains("rate:") && err.contains("previous year"), "{err}");
        assert_eq!(manyi::plans::standards::list(&mut f.conn).unwrap().len(), 2);
    }

    fn snapshot_takes_a_late_commit_once_and_rereads_nothing_else(engine) {
        let mut f = fixture(engine);
        let _ = analyse(&mut f, req("year,item"));
        let fp = snapshot::fingerprint(&f.settings.database_url);
        let dir = f.settings.snapshot_dir.clone();
        let newest: i64 = responses::table
            .select(diesel::dsl::max(responses::id))
            .first::<Option<i64>>(&mut f.conn)
            .unwrap()
            .unwrap();
        // A copy of the newest response (and its answers) under another id.
        let copy = |conn: &mut manyi::db::DbConnection, id: i64| {
            diesel::sql_query(
                "INSERT INTO responses (id, office_id, channel, form_version_id, submitted_at, \
                 received_at, counter_id, staff_id, service_type_id, device_id, idempotency_key) \
                 SELECT $1, office_id, channel, form_version_id, submitted_at, received_at, \
                 counter_id, staff_id, service_type_id, device_id, 'late-' || CAST($1 AS TEXT) \
                 FROM responses WHERE id = $2",
            )
            .bind::<diesel::sql_types::BigInt, _>(id)
            .bind::<diesel::sql_types::BigInt, _>(newest)
            .execute(conn)
            .unwrap();
            diesel::sql_query(
                "INSERT INTO answers (response_id, item_key, score, choice, text_value) \
                 SELECT $1, item_key, score, choice, text_value FROM answers WHERE response_id = $2",
            )
            .bind::<diesel::sql_types::BigInt, _>(id)
            .bind::<diesel::sql_types::BigInt, _>(newest)
            .execute(conn)
            .unwrap();
        };
        // A response commits with a higher id first...
        copy(&mut f.conn, newest + 3);
        let (_, stats) = Snapshot::refresh(&mut f.conn, &dir, &fp).unwrap();
        assert_eq!((stats.added, stats.total), (1, 16));
        // ...with nothing late, a refresh adds nothing...
        let (_, stats) = Snapshot::refresh(&mut f.conn, &dir, &fp).unwrap();
        assert_eq!((stats.added, stats.total), (0, 16));
        if engine == crate::helpers::Engine::Postgres {
            // ...then one whose id another transaction drew before it: on
            // PostgreSQL ids may commit out of order, and the refresh looks
            // back over the window for them. (SQLite gives ids under its one
            // write lock: nothing commits below the newest.)
            copy(&mut f.conn, newest + 2);
            let (snap, stats) = Snapshot::refresh(&mut f.conn, &dir, &fp).unwrap();
            assert_eq!((stats.added, stats.total), (1, 17));
            let ids = snap.read_all().unwrap();
            let ids = ids.column("response_id").unwrap().i64().unwrap();
            let unique: std::collections::HashSet<i64> = ids.into_no_null_iter().collect();
            assert_eq!((ids.len(), unique.len()), (17, 17), "each response once");
            assert!(unique.contains(&(newest + 2)) && unique.contains(&(newest + 3)));
            drop(snap);
            let (_, stats) = Snapshot::refresh(&mut f.conn, &dir, &fp).unwrap();
            assert_eq!((stats.added, stats.total), (0, 17));
        }
        let in_db: i64 = responses::table.count().get_result(&mut f.conn).unwrap();
        let (snap, _) = Snapshot::refresh(&mut f.conn, &dir, &fp).unwrap();
        assert_eq!(snap.read_all().unwrap().height() as i64, in_db);
    }

    fn snapshot_is_incremental_and_a_cache(engine) {
        let mut f = fixture(engine);
        let first = analyse(&mut f, req("year,item"));
        let again = analyse(&mut f, req("year,item"));
        // Identical input, identical output, order included.
        assert_eq!(
            serde_json::to_string(&first).unwrap(),
            serde_json::to_string(&again).unwrap()
        );
        let fp = snapshot::fingerprint(&f.settings.database_url);
        let dir = f.settings.snapshot_dir.clone();
        let (snap, stats) = Snapshot::refresh(&mut f.conn, &dir, &fp).unwrap();
        assert_eq!((stats.added, stats.total, stats.rebuilt), (0, 15, false));
        // Partitioned by ROC year: each year its own files.
        let years: Vec<i32> = snap.years().iter().map(|(y, _, _)| *y).collect();
        assert!(years.len() >= 2, "{years:?}");
        let older = snap.files_of(i32::MIN..=113);
        let of_114 = snap.files_of(114..=114);
        let in_114 = snap.responses_of(114..=114).unwrap().collect().unwrap().height();
        assert!(!older.is_empty() && older.iter().all(|f| !of_114.contains(f)), "{older:?}");
        assert_eq!(
            snap.years().iter().map(|(_, _, n)| n).sum::<u64>(),
            15,
            "every response in one year's part"
        );
        drop(snap);
        // New responses are appended, not re-read.
        let form = {
            let json: String = form_versions::table
                .filter(form_versions::form_key.eq("counter"))
                .order(form_versions::id)
                .select(form_versions::definition)
                .first(&mut f.conn)
                .unwrap();
            serde_json::from_str::<Form>(&json).unwrap()
        };
        let v1_id: i32 = form_versions::table
            .filter(form_versions::form_key.eq("counter"))
            .order(form_versions::id)
            .select(form_versions::id)
            .first(&mut f.conn)
            .unwrap();
        let more = "office_code,submitted_at,channel,service_type,counter,overall,comment\nDA,114/03/03,counter,,,5,\n";
        assert_eq!(import(&mut f.conn, &form, v1_id, more).responses, 1);
        let (snap, stats) = Snapshot::refresh(&mut f.conn, &dir, &fp).unwrap();
        assert_eq!((stats.added, stats.total, stats.rebuilt), (1, 16, false));
        assert_eq!(snap.read_all().unwrap().height(), 16);
        // A response of 114 adds a part of 114; the other years' files are untouched.
        assert_eq!(snap.files_of(i32::MIN..=113), older, "earlier years not rewritten");
        assert_eq!(snap.files_of(114..=114).len(), of_114.len() + 3, "one more part (responses, comments, terms) for 114");
        assert_eq!(snap.responses_of(114..=114).unwrap().collect().unwrap().height(), in_114 + 1);

        // The snapshot holds its directory's lock until dropped.
        drop(snap);
        let after = analyse(&mut f, req("year,item"));
        check_figures(row(&after, 114, "overall"), &t(&[3, 5]));
        // Deleting the snapshot loses nothing: it is rebuilt with the same results.
        std::fs::remove_dir_all(&dir).unwrap();
        let rebuilt = analyse(&mut f, req("year,item"));
        assert_eq!(
            serde_json::to_string(&after).unwrap(),
            serde_json::to_string(&rebuilt).unwrap()
        );
        let (_, stats) = Snapshot::refresh(&mut f.conn, &dir, &fp).unwrap();
        assert_eq!((stats.added, stats.total), (0, 16));
        // The snapshot's row count is the database's.
        let in_db: i64 = responses::table.count().get_result(&mut f.conn).unwrap();
        assert_eq!(in_db, 16);
        // Day after day of 114: its parts are merged once they are many, and
        // no earlier year's file is rewritten.
        let (snap, _) = Snapshot::refresh(&mut f.conn, &dir, &fp).unwrap();
        let older = snap.files_of(i32::MIN..=113);
        let base = snap.years().iter().find(|(y, _, _)| *y == 114).unwrap().2;
        drop(snap);
        for day in 4..14 {
            let csv = format!("office_code,submitted_at,channel,service_type,counter,overall,comment\nDA,114/03/{day:02},counter,,,4,\n");
            assert_eq!(import(&mut f.conn, &form, v1_id, &csv).responses, 1);
            let (snap, _) = Snapshot::refresh(&mut f.conn, &dir, &fp).unwrap();
            let (_, parts, rows) = *snap.years().iter().find(|(y, _, _)| *y == 114).unwrap();
            assert!(parts <= 8, "114 in {parts} parts");
            assert_eq!(rows, base + day as u64 - 3);
            assert_eq!(snap.files_of(i32::MIN..=113), older);
        }
    }

    fn comment_terms(engine) {
        let mut f = fixture(engine);
        let a = analyse(&mut f, req("year,item"));
        let terms = &a.terms;
        // Comments: 112 two, 113 three; dissatisfied (overall ≤ 2): 112-11-20 and
        // 113/06/11; satisfied (≥ 4): 112/03/15 and 113/02/01; 113/10/10 is neutral.
        assert_eq!((terms.dissatisfied_comments, terms.satisfied_comments), (2, 2));
        let y113 = terms.periods.iter().find(|p| p.year == 113).unwrap();
        assert_eq!(y113.comments, 3);
        // 叫號 appears in two 113 comments (once twice): df 2, count 3.
        let jiao = y113.top.iter().find(|t| t.term == "叫號").unwrap();
        assert_eq!((jiao.comments, jiao.count), (2, 2 + 1));
        assert_eq!(y113.top[0].term, "叫號");
        // Over-represented among the dissatisfied: 叫號 (2 of their terms, none
        // among the satisfied), with the comments as examples.
        let d = terms.dissatisfied.iter().find(|t| t.term == "叫號").unwrap();
        assert_eq!((d.dissatisfied_count, d.satisfied_count), (2, 0));
        assert!(d.log_odds_weighted > 0.0);
        // Its examples are comments with the term, each once; spread over the
        // terms, so two comments are not quoted under every term.
        assert!(!d.examples.is_empty() && d.examples.len() <= 2, "{:?}", d.examples);
        assert!(d.examples.iter().all(|e| e.contains("叫號")), "{:?}", d.examples);
        let quoted = terms.dissatisfied.iter().flat_map(|t| t.examples.iter()).filter(|e| e.contains("等太久了")).count();
        assert!(quoted < terms.dissatisfied.len().max(3), "one comment quoted under every term");
        // A satisfied-only term is not listed.
        assert!(!terms.dissatisfied.iter().any(|t| t.term == "服務親切"));
    }

    fn import_is_all_or_nothing(engine) {
        let db = TestDb::new(engine);
        let state = prepare(&db);
        let mut conn = state.pool.get().unwrap();
        seed_org(&mut conn);
        let form = state.catalog.get("counter").unwrap().form.clone();
        let vid = state.form_version_ids["counter"];
        let ctx = import::context(&mut conn, &form, vid).unwrap();
        let bad = "\
office_code,submitted_at,channel,service_type,counter,staff_attitude,overall,comment
JS,113/05/02,counter,,,5,5,ok
XX,113/13/02,phone,nosuch,,6,4,
DA,2099-01-01,counter,,9,,,
";
        let err = import::import_responses(&mut conn, "bad.csv", bad.as_bytes(), &ctx)
            .unwrap_err()
            .to_string();
        for want in [
            "bad.csv: the file was not imported",
            "row 3, column office_code: no office `XX`",
            "row 3, column submitted_at: `113/13/02`: no such day",
            "row 3, column channel: `phone` is not counter, web or internal",
            "row 3, column service_type: no service type `nosuch`",
            "row 3, column staff_attitude: `6` is not a score 1-5",
            "row 4, column submitted_at: in the future",
            "row 4, column counter: office `DA` has no counter `9`",
            "row 4: no scores",
        ] {
            assert!(err.contains(want), "missing `{want}` in:\n{err}");
        }
        assert_eq!(crate::helpers::response_count(&mut conn), 0, "nothing stored");
        // A header naming something that is not an item of the form.
        let err = import::import_responses(
            &mut conn,
            "h.csv",
            "office_code,submitted_at,channel,service_type,counter,colour,comment\n".as_bytes(),
            &ctx,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("row 1, column colour: not a 5-point item of form `counter`"), "{err}");
        // Big5 with ROC dates imports; the same file again stores nothing new.
        let good = "office_code,submitted_at,channel,service_type,counter,staff_attitude,overall,comment\r\nJS,113/05/02,counter,戶籍謄本,,5,4,櫃檯人員很親切\r\n";
        let (big5, _, _) = encoding_rs::BIG5.encode(good);
        let s = import::import_responses(&mut conn, "big5.csv", &big5, &ctx).unwrap();
        assert_eq!((s.responses, s.answers, s.already_imported), (1, 3, 0));
        let s = import::import_responses(&mut conn, "big5.csv", &big5, &ctx).unwrap();
        assert_eq!((s.responses, s.already_imported), (0, 1));
        assert_eq!(crate::helpers::response_count(&mut conn), 1);
        let text: Option<String> = manyi::db::schema::answers::table
            .filter(manyi::db::schema::answers::item_key.eq("comment"))
            .select(manyi::db::schema::answers::text_value)
            .first(&mut conn)
            .unwrap();
        assert_eq!(text.as_deref(), Some("櫃檯人員很親切"));
        // 113/05/02 with no time is noon Taipei, 04:00 UTC.
        let at: chrono::NaiveDateTime = responses::table
            .select(responses::submitted_at)
            .first(&mut conn)
            .unwrap();
        assert_eq!(at.to_string(), "2024-05-02 04:00:00");
    }
}

on_both_engines! {
    fn snapshot_of_a_recreated_database_is_rebuilt(engine) {
        // Two databases under one fingerprint: what a database dropped and
        // created again under the same URL looks like to the snapshot.
        let mut a = fixture(engine);
        let b = TestDb::new(engine);
        let state = prepare(&b);
        let mut conn_b = state.pool.get().unwrap();
        seed_org(&mut conn_b);
        let form = state.catalog.get("counter").unwrap().form.clone();
        let one = "office_code,submitted_at,channel,service_type,counter,overall,comment\nJS,113/03/03,counter,,,4,\n";
        import(&mut conn_b, &form, state.form_version_ids["counter"], one);
        let dir = tempfile::tempdir().unwrap();
        let (snap, stats) = Snapshot::refresh(&mut a.conn, dir.path(), "same").unwrap();
        assert_eq!((stats.rebuilt, stats.total), (true, 15));
        drop(snap);
        let (snap, stats) = Snapshot::refresh(&mut conn_b, dir.path(), "same").unwrap();
        assert!(stats.rebuilt, "the newest response's key differs: rebuilt");
        assert_eq!(stats.total, 1);
        assert_eq!(snap.read_all().unwrap().height(), 1);
        drop(snap);
        // Unchanged database: appended to, not rebuilt.
        let (_, stats) = Snapshot::refresh(&mut conn_b, dir.path(), "same").unwrap();
        assert_eq!((stats.rebuilt, stats.added, stats.total), (false, 0, 1));
    }
}

on_both_engines! {
    fn complaint_figures_by_hand(engine) {
        let mut f = fixture(engine);
        // March 2024 (ROC 113), ordinary working weeks on the office calendar.
        let c = &mut f.conn;
        // Answered in 2 working days (Wed), closed in 4 (Fri): on time.
        insert_case(c, "JS-113-1", "JS", "mailbox", "waiting", "closed",
            ("2024-03-04", "2024-03-07", Some("2024-03-06"), Some("2024-03-08")));
        // Answered the next Monday: 5 working days, after the due date: late.
        insert_case(c, "JS-113-2", "JS", "mailbox", "waiting", "replied",
            ("2024-03-04", "2024-03-07", Some("2024-03-11"), None));
        // Accepted, never answered, long past due: late and overdue.
        insert_case(c, "JS-113-3", "JS", "petition_written", "attitude", "accepted",
            ("2024-03-05", "2024-03-08", None, None));
        // Not accepted: received, but not timed.
        insert_case(c, "JS-113-4", "JS", "mailbox", "attitude", "not_accepted",
            ("2024-03-05", "2024-03-08", None, None));
        // Another office: answered and closed the next day.
        insert_case(c, "DA-113-1", "DA", "mailbox", "waiting", "closed",
            ("2024-03-06", "2024-03-11", Some("2024-03-07"), Some("2024-03-07")));
        let mut r = req("year");
        r.from = Some("113".into());
        r.to = Some("113".into());
        let a = analyse(&mut f, r);
        let c = a.complaints.as_ref().unwrap();
        let row = |cat: &str| {
            c.rows
                .iter()
                .find(|r| r.group["category"] == cat && r.group["year"] == "113")
                .unwrap()
        };
        let w = row("waiting");
        assert_eq!((w.received, w.accepted, w.timed, w.on_time, w.overdue), (3, 3, 3, 2, 0));
        close(w.on_time_rate.unwrap(), 2.0 / 3.0);
        // Days to first reply 2, 5, 1: median 2, p90 (nearest rank ⌈0.9·3⌉ = 3rd) 5.
        assert_eq!(w.median_days_to_first_reply, Some(2.0));
        assert_eq!(w.p90_days_to_first_reply, Some(5));
        // Days to closure 4, 1: median 2.5, p90 (⌈1.8⌉ = 2nd) 4.
        assert_eq!(w.median_days_to_close, Some(2.5));
        assert_eq!(w.p90_days_to_close, Some(4));
        let at = row("attitude");
        assert_eq!((at.received, at.accepted, at.timed, at.on_time, at.overdue), (2, 1, 1, 0, 1));
        assert_eq!(at.on_time_rate, Some(0.0));
        assert_eq!(at.median_days_to_first_reply, None);
        let review: Vec<(&str, &str, &str, u64)> = c
            .review
            .iter()
            .map(|r| (r.category.as_str(), r.outcome.as_str(), r.timeliness.as_str(), r.count))
            .collect();
        assert_eq!(
            review,
            [
                ("attitude", "not_accepted", "not_applicable", 1),
                ("attitude", "open", "late", 1),
                ("waiting", "answered", "late", 1),
                ("waiting", "answered", "on_time", 2),
            ]
        );
        // By office and channel: JS's mailbox cases only.
        let mut r = req("year,office,channel");
        r.office = Some("JS".into());
        let a = analyse(&mut f, r);
        let rows = &a.complaints.as_ref().unwrap().rows;
        let mailbox_waiting = rows
            .iter()
            .find(|r| r.group["channel"] == "mailbox" && r.group["category"] == "waiting")
            .unwrap();
        assert_eq!(mailbox_waiting.group["office"], "JS");
        assert_eq!(mailbox_waiting.received, 2);
        assert!(!rows.iter().any(|r| r.group["office"] == "DA"));
    }
}

mod http {
    use serde_json::Value;

    use super::*;
    use crate::helpers::{Browser, on_both_engines, spawn_app};

    on_both_engines! {
        async fn api_is_scoped_by_role_and_office(engine) {
            let app = spawn_app(engine).await;
            {
                let mut conn = app.conn();
                seed_org(&mut conn);
                let json: String = form_versions::table
                    .filter(form_versions::form_key.eq("counter"))
                    .select(form_versions::definition)
                    .first(&mut conn)
                    .unwrap();
                let form: Form = serde_json::from_str(&json).unwrap();
                let id: i32 = form_versions::table
                    .filter(form_versions::form_key.eq("counter"))
                    .select(form_versions::id)
                    .first(&mut conn)
                    .unwrap();
                import(&mut conn, &form, id, V1);
            }
            // Not logged in: 401.
            let res = app.get("/api/v1/analytics/metrics?by=year,office").await;
            assert_eq!(res.status(), 401);

            // A director sees their office only; asking for another is "not found".
            let b = Browser::new(&app);
            b.login("dir-js").await;
            let res = b.get("/api/v1/analytics/metrics?by=year,office&from=113&to=113").await;
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
            let rows = body["metrics"].as_array().unwrap();
            assert_eq!(rows.len(), 1, "{body}");
            assert_eq!(rows[0]["office"], "JS");
            assert_eq!(rows[0]["year"], 113);
            // JS 113 overall: 5, 5, 4, 4, 1.
            assert_eq!(rows[0]["n"], 5);
            assert!((rows[0]["mean"].as_f64().unwrap() - 3.8).abs() < 1e-12);
            assert!((rows[0]["rate"].as_f64().unwrap() - 0.8).abs() < 1e-12);
            let res = b.get("/api/v1/analytics/metrics?office=DA").await;
            assert_eq!(res.status(), 404);
            // Bad input: 400 naming the field.
            let res = b.get("/api/v1/analytics/metrics?by=year,colour").await;
            assert_eq!(res.status(), 400);
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"]["field"], "by");
            let res = b.get("/api/v1/analytics/metrics?form=counter&colour=red").await;
            assert_eq!(res.status(), 400);
            assert!(res.text().await.unwrap().contains("colour"));
            let res = b.get("/api/v1/analytics/nonsense").await;
            assert_eq!(res.status(), 404);

            // The county administrator sees Kinmen's offices (JS; JC has no data), not Taipei's.
            let b = Browser::new(&app);
            b.login("kinmen").await;
            let body: Value = b
                .get("/api/v1/analytics/metrics?by=office")
                .await
                .json()
                .await
                .unwrap();
            let offices: Vec<&str> = body["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["office"].as_str().unwrap())
                .collect();
            assert_eq!(offices, ["JS"]);
            // The system administrator sees both, and every part of the analysis.
            let b = Browser::new(&app);
            b.login("admin").await;
            let body: Value = b.get("/api/v1/analytics/all?by=office").await.json().await.unwrap();
            let offices: Vec<&str> = body["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["office"].as_str().unwrap())
                .collect();
            // In office order (JS was registered before DA).
            assert_eq!(offices, ["JS", "DA"]);
            for key in ["metrics", "changes", "reliability", "drivers", "shortfalls", "terms", "complaints", "notes"] {
                assert!(body.get(key).is_some(), "missing {key}");
            }
            // Counter staff see none of it.
            let b = Browser::new(&app);
            b.login("ctr-js").await;
            assert_eq!(b.get("/api/v1/analytics/metrics").await.status(), 403);
        }
    }
}
