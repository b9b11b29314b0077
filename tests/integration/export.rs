//! `manyi snapshot export --format parquet DIR` is read as is by an engine
//! manyi does not control: DuckDB (PyPI `duckdb`, installed by scripts/test)
//! reads the Hive-partitioned files and gets manyi's own counts per ROC year
//! and item, exactly.

use std::collections::BTreeMap;

use crate::helpers::{TestDb, forms_dir, manyi_command, on_both_engines, run_ok};

/// DuckDB's counts of answered 5-point items per year, of the counter form.
const DUCKDB: &str = r#"
import duckdb, json, sys
root = sys.argv[1]
con = duckdb.connect()
rel = f"read_parquet('{root}/responses/*/*.parquet', hive_partitioning = true)"
cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]
items = [c for c in cols if c.startswith("i:")]
out = {}
for item in items:
    q = f'SELECT year, count("{item}") FROM {rel} WHERE form = \'counter\' GROUP BY year'
    for year, n in con.execute(q).fetchall():
        if n:
            out.setdefault(str(year), {})[item[2:]] = n
total = con.execute(f"SELECT count(*) FROM {rel}").fetchone()[0]
comments = con.execute(
    f"SELECT count(*) FROM read_parquet('{root}/comments/*/*.parquet', hive_partitioning = true)"
).fetchone()[0]
print(json.dumps({"items": out, "total": total, "comments": comments}))
"#;

on_both_engines! {
    fn duckdb_reads_the_parquet_export_and_counts_what_manyi_counts(engine) {
        let db = TestDb::new(engine);
        let work = tempfile::tempdir().unwrap();
        let snap = work.path().join("snap");
        let manyi = |args: &[&str]| {
            let mut c = manyi_command();
            c.current_dir(work.path())
                .env("MANYI_SNAPSHOT_DIR", &snap)
                .arg("--database-url")
                .arg(db.url.expose())
                .args(args);
            String::from_utf8(run_ok(&mut c).stdout).unwrap()
        };
        let forms = forms_dir();
        let forms = forms.to_str().unwrap();
        manyi(&["demo", "--responses", "3000", "--years", "3", "--last-year", "113", "--forms", forms]);
        let export = work.path().join("export");
        let out = manyi(&["snapshot", "export", "--format", "parquet", export.to_str().unwrap()]);
        assert!(out.contains("year=113"), "{out}");
        for y in ["111", "112", "113"] {
            assert!(export.join(format!("responses/year={y}/part-0.parquet")).is_file(), "{out}");
        }
        // Again into the same directory: refused, nothing overwritten.
        let mut again = manyi_command();
        again.current_dir(work.path()).env("MANYI_SNAPSHOT_DIR", &snap)
            .arg("--database-url").arg(db.url.expose())
            .args(["snapshot", "export", export.to_str().unwrap()]);
        let refused = again.output().unwrap();
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("exists already"));

        // manyi's own figures: n per year and item of the counter form.
        let analysis: serde_json::Value = serde_json::from_str(&manyi(&[
            "analyze", "--from", "111", "--to", "113", "--by", "year,item", "--json",
        ]))
        .unwrap();
        let mut expected: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for row in analysis["metrics"].as_array().unwrap() {
            let n = row["n"].as_i64().unwrap();
            if n > 0 {
                expected
                    .entry(row["year"].to_string())
                    .or_default()
                    .insert(row["item"].as_str().unwrap().to_owned(), n);
            }
        }
        assert_eq!(expected.len(), 3, "{analysis}");

        let py = run_ok(std::process::Command::new("python3").arg("-c").arg(DUCKDB).arg(&export));
        let got: serde_json::Value = serde_json::from_slice(&py.stdout).unwrap();
        let got_items: BTreeMap<String, BTreeMap<String, i64>> =
            serde_json::from_value(got["items"].clone()).unwrap();
        assert_eq!(got_items, expected, "DuckDB's counts against manyi's");
        assert_eq!(got["total"], 3000, "every response, of every form, exported once");
        assert!(got["comments"].as_i64().unwrap() > 0);
    }
}
