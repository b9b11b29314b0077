//! Setting up a real office: offices, counters, staff members and service
//! types from the command line and the domain functions, on both engines;
//! who may change what; every change audited; bad files change nothing.

use diesel::prelude::*;

use crate::helpers::{
    Engine, TestDb, code, manyi_command, on_both_engines, run_ok, seed_org, user,
};
use manyi::admin::{self, Actor, AdminError};
use manyi::auth::AuthError;
use manyi::auth::Scope;
use manyi::auth::list_audit;
use manyi::db::DbConnection;
use manyi::db::schema::offices as offices_t;
use manyi::offices::details::{
    CounterDetails, CounterInput, OfficeDetails, OfficeInput, ServiceTypeDetails, ServiceTypeInput,
    StaffDetails, StaffInput,
};
use manyi::offices::{self, Saved};

fn manyi(db: &TestDb) -> std::process::Command {
    let mut c = manyi_command();
    c.arg("--database-url").arg(db.url.expose());
    c
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn fails(cmd: &mut std::process::Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        !out.status.success(),
        "{cmd:?} succeeded:\n{}",
        stdout(&out)
    );
    String::from_utf8(out.stderr).unwrap()
}

fn office_count(conn: &mut DbConnection) -> i64 {
    offices_t::table.count().get_result(conn).unwrap()
}

fn audit_actions(conn: &mut DbConnection) -> Vec<(String, String, String)> {
    let mut rows: Vec<_> = list_audit(conn, &Scope::All, None, 1000)
        .unwrap()
        .into_iter()
        .map(|r| (r.action, r.target, r.detail))
        .collect();
    rows.reverse();
    rows
}

fn office(code: &str, name_zh: &str, county_zh: &str) -> OfficeDetails {
    OfficeDetails::parse(&OfficeInput {
        code: code.into(),
        name_zh: name_zh.into(),
        county_zh: county_zh.into(),
        ..Default::default()
    })
    .unwrap()
}

on_both_engines! {
    fn the_command_line_sets_up_an_office_from_nothing(engine) {
        let db = TestDb::new(engine);
        let out = run_ok(manyi(&db).args([
            "office", "add", "--code", "ks", "--name-zh", "金湖鎮戶政事務所",
            "--name-en", "Jinhu Household Registration Office", "--county-zh", "金門縣",
            "--county-en", "Kinmen County", "--phone", "082-332-011",
        ]));
        assert!(stdout(&out).starts_with("created office KS 金湖鎮戶政事務所"), "{}", stdout(&out));
        // The code is taken now.
        let err = fails(manyi(&db).args([
            "office", "add", "--code", "KS", "--name-zh", "x", "--county-zh", "金門縣",
        ]));
        assert!(err.contains("--code: office `KS` exists already"), "{err}");
        for (c, zh) in [("1", "1 號櫃檯"), ("2", "2 號櫃檯")] {
            run_ok(manyi(&db).args(["counter", "add", "--office", "ks", "--code", c, "--name-zh", zh]));
        }
        for (c, name) in [("E01", "陳小姐"), ("E02", "林先生"), ("E03", "王小姐")] {
            run_ok(manyi(&db).args(["staff", "add", "--office", "KS", "--code", c, "--name", name]));
        }
        let out = run_ok(manyi(&db).args([
            "service-type", "add", "--code", "adoption", "--name-zh", "收養登記",
            "--name-en", "Adoption registration",
        ]));
        assert_eq!(stdout(&out).trim(), "service type adoption: created");
        run_ok(manyi(&db).args(["staff", "deactivate", "--office", "KS", "E03"]));
        let out = run_ok(manyi(&db).args(["office", "edit", "KS", "--address", "金門縣金湖鎮新市里復興路1號"]));
        assert_eq!(stdout(&out).trim(), "office KS: updated (address)");

        let pool = db.pool();
        let conn = &mut pool.get().unwrap();
        let ks = offices::find_office_by_code(conn, &code("KS")).unwrap().unwrap();
        assert_eq!(
            (ks.name_en.as_str(), ks.county_en.as_str(), ks.phone.as_str(), ks.address.as_str()),
            ("Jinhu Household Registration Office", "Kinmen County", "082-332-011", "金門縣金湖鎮新市里復興路1號")
        );
        let counters: Vec<(String, String, String)> = offices::counters_of(conn, ks.id)
            .unwrap()
            .into_iter()
            .map(|c| (c.code, c.name_zh, c.name_en))
            .collect();
        assert_eq!(counters, [
            ("1".into(), "1 號櫃檯".into(), "1 號櫃檯".into()),
            ("2".into(), "2 號櫃檯".into(), "2 號櫃檯".into()),
        ]);
        let staff: Vec<(String, bool)> = offices::staff_of(conn, ks.id)
            .unwrap()
            .into_iter()
            .map(|s| (s.code, s.active))
            .collect();
        assert_eq!(staff, [("E01".into(), true), ("E02".into(), true), ("E03".into(), false)]);
        // The new type is offered after the shipped ones, before 其他.
        let types: Vec<String> = offices::service_types(conn).unwrap().into_iter().map(|t| t.code).collect();
        assert_eq!(&types[types.len() - 2..], ["adoption", "other"]);
        // Every change is in the audit log, by the system.
        let actions = audit_actions(conn);
        let expected: Vec<(&str, &str, &str)> = vec![
            ("office_created", "office:KS", ""),
            ("counter_created", "counter:KS/1", ""),
            ("counter_created", "counter:KS/2", ""),
            ("staff_member_created", "staff:KS/E01", ""),
            ("staff_member_created", "staff:KS/E02", ""),
            ("staff_member_created", "staff:KS/E03", ""),
            ("service_type_created", "service_type:adoption", ""),
            ("staff_member_deactivated", "staff:KS/E03", ""),
            ("office_updated", "office:KS", "address"),
        ];
        let got: Vec<(&str, &str, &str)> = actions
            .iter()
            .map(|(a, t, d)| (a.as_str(), t.as_str(), d.as_str()))
            .collect();
        assert_eq!(got, expected);
        let entries = list_audit(conn, &Scope::All, None, 1).unwrap();
        assert_eq!(entries[0].actor, "system");

        // The lists read back what was set.
        let out = run_ok(manyi(&db).args(["counter", "list", "--office", "KS"]));
        assert_eq!(stdout(&out), "1\t1 號櫃檯\t1 號櫃檯\tactive\n2\t2 號櫃檯\t2 號櫃檯\tactive\n");

        // Bad input names the flag and writes nothing.
        let before = audit_actions(conn).len();
        let err = fails(manyi(&db).args(["counter", "add", "--office", "KS", "--code", "一", "--name-zh", ""]));
        assert!(err.contains("--code: `一` is no code") && err.contains("--name-zh: must not be empty"), "{err}");
        let err = fails(manyi(&db).args(["counter", "add", "--office", "ZZ", "--code", "3", "--name-zh", "3"]));
        assert!(err.contains("office: no office `ZZ`"), "{err}");
        let err = fails(manyi(&db).args(["staff", "add", "--office", "KS", "--code", "E9", "--name", ""]));
        assert!(err.contains("--name: must not be empty"), "{err}");
        let err = fails(manyi(&db).args(["service-type", "add", "--code", "birth2", "--name-zh", "出生登記"]));
        assert!(err.contains("--name-zh: `出生登記` is the name of the service type `birth` already"), "{err}");
        let err = fails(manyi(&db).args(["service-type", "add", "--code", "a b", "--name-zh", "x", "--order", "x"]));
        assert!(err.contains("--code: ") && err.contains("--order: `x` is not a whole number"), "{err}");
        assert_eq!(audit_actions(conn).len(), before);
        // Adding a known code again with only its Chinese name keeps its English name.
        let out = run_ok(manyi(&db).args(["service-type", "add", "--code", "birth", "--name-zh", "出生登記"]));
        assert_eq!(stdout(&out).trim(), "service type birth: unchanged");
        let out = run_ok(manyi(&db).args(["counter", "add", "--office", "KS", "--code", "1", "--name-zh", "1 號櫃檯", "--name-en", "Counter 1"]));
        assert_eq!(stdout(&out).trim(), "counter KS/1: updated (name_en)");
        let out = run_ok(manyi(&db).args(["counter", "add", "--office", "KS", "--code", "1", "--name-zh", "一號櫃檯"]));
        assert_eq!(stdout(&out).trim(), "counter KS/1: updated (name_zh)", "the English name stays");
    }

    fn a_county_imports_its_offices_all_or_nothing(engine) {
        let db = TestDb::new(engine);
        let dir = tempfile::tempdir().unwrap();
        let csv = "代碼,名稱,英文名稱,縣市,縣市英文,地址,電話\n\
                   JS,金門縣金沙鎮戶政事務所,Jinsha,金門縣,Kinmen County,金沙鎮五福街2號,082-352141\n\
                   JC,金門縣金城鎮戶政事務所,Jincheng,金門縣,Kinmen County,,082-325040\n";
        // Big5, as Excel saves a CSV on a Traditional Chinese Windows.
        let (big5, _, unmappable) = encoding_rs::BIG5.encode(csv);
        assert!(!unmappable);
        let file = dir.path().join("kinmen.csv");
        std::fs::write(&file, &big5).unwrap();
        let out = run_ok(manyi(&db).args(["office", "import"]).arg(&file));
        assert!(stdout(&out).ends_with(": 2 office(s) created, 0 updated, 0 unchanged\n"), "{}", stdout(&out));
        // Again: nothing changes.
        let out = run_ok(manyi(&db).args(["office", "import"]).arg(&file));
        assert!(stdout(&out).ends_with(": 0 office(s) created, 0 updated, 2 unchanged\n"), "{}", stdout(&out));
        // A changed phone updates that office only.
        std::fs::write(&file, csv.replace("082-325040", "082-325041")).unwrap();
        let out = run_ok(manyi(&db).args(["office", "import"]).arg(&file));
        assert!(stdout(&out).ends_with(": 0 office(s) created, 1 updated, 1 unchanged\n"), "{}", stdout(&out));

        let pool = db.pool();
        let conn = &mut pool.get().unwrap();
        let js = offices::find_office_by_code(conn, &code("JS")).unwrap().unwrap();
        assert_eq!((js.address.as_str(), js.phone.as_str()), ("金沙鎮五福街2號", "082-352141"));
        let jc = offices::find_office_by_code(conn, &code("JC")).unwrap().unwrap();
        assert_eq!(jc.phone, "082-325041");
        let audits = audit_actions(conn);
        assert_eq!(audits.iter().filter(|a| a.0 == "office_created").count(), 2);
        let updated: Vec<_> = audits.iter().filter(|a| a.0 == "office_updated").collect();
        assert_eq!(updated.len(), 1);
        assert_eq!((updated[0].1.as_str(), updated[0].2.as_str()), ("office:JC", "phone"));

        // Bad files: every row named, nothing written.
        let before = (office_count(conn), audit_actions(conn).len());
        let bad = [
            (
                "code,name_zh,county_zh\nJY,金寧鄉戶政事務所,金門縣\n1Y,烈嶼,金門縣\nJY,重複,金門縣\n",
                vec![
                    "row 3, column code: `1Y` is no office code",
                    "row 4, column code: `JY` is on row 2 already",
                ],
            ),
            ("code,name_zh\nJY,金寧\n", vec!["row 1: the column `county_zh` is missing"]),
            ("code,name_zh,county_zh,phone\nJY,金寧,金門縣,call\n", vec!["row 2, column phone: digits"]),
            // A county that is none of Taiwan's; invisible characters in a name.
            ("code,name_zh,county_zh\nJY,金寧,火星市\nJZ,金\u{202e}寧,金門縣\n", vec!["row 2, column county_zh: `火星市` is not one of Taiwan's counties and cities", "row 3, column name_zh: holds invisible or direction-changing characters"]),
        ];
        for (text, wants) in bad {
            std::fs::write(&file, text).unwrap();
            let err = fails(manyi(&db).args(["office", "import"]).arg(&file));
            assert!(err.contains("kinmen.csv: the file was not imported"), "{err}");
            for want in wants {
                assert!(err.contains(want), "expected `{want}` in:\n{err}");
            }
        }
        std::fs::write(&file, b"code,name_zh,county_zh\nJY,\xff\xff\xff,x\n").unwrap();
        let err = fails(manyi(&db).args(["office", "import"]).arg(&file));
        assert!(err.contains("the file is neither UTF-8 nor Big5"), "{err}");
        assert_eq!((office_count(conn), audit_actions(conn).len()), before);
    }

    fn who_may_change_what(engine) {
        let db = TestDb::new(engine);
        let pool = db.pool();
        let conn = &mut pool.get().unwrap();
        seed_org(conn);
        let (admin_u, kinmen, dir_js, res_js) =
            (user(conn, "admin"), user(conn, "kinmen"), user(conn, "dir-js"), user(conn, "res-js"));
        let as_ = |u| Actor::staff(u, Some("192.0.2.7"));

        // A county administrator sets up offices of their county only.
        let (jh, saved) = admin::save_office(conn, as_(&kinmen), &office("JH", "金湖鎮戶政事務所", "金門縣")).unwrap();
        assert_eq!(saved, Saved::Created);
        assert!(matches!(
            admin::save_office(conn, as_(&kinmen), &office("TP", "臺北", "臺北市")),
            Err(AdminError::OutsideCounty(c)) if c == "金門縣"
        ));
        // Nor may they move another county's office into theirs.
        assert!(matches!(
            admin::save_office(conn, as_(&kinmen), &office("DA", "大安", "金門縣")),
            Err(AdminError::OutsideCounty(_))
        ));
        assert!(matches!(
            admin::set_office_active(conn, as_(&kinmen), &code("DA"), false),
            Err(AdminError::Auth(AuthError::NotFound))
        ));
        // Directors keep their own counters and staff, not offices.
        assert!(matches!(
            admin::save_office(conn, as_(&dir_js), &office("JS", "金沙", "金門縣")),
            Err(AdminError::Auth(AuthError::Forbidden))
        ));
        let counter = CounterDetails::parse(&CounterInput { code: "9".into(), name_zh: "9 號櫃檯".into(), ..Default::default() }).unwrap();
        let (c, _) = admin::save_counter(conn, as_(&dir_js), &code("JS"), &counter).unwrap();
        assert_eq!(c.name_zh, "9 號櫃檯");
        assert!(matches!(
            admin::save_counter(conn, as_(&dir_js), &code("DA"), &counter),
            Err(AdminError::Auth(AuthError::NotFound))
        ));
        let member = StaffDetails::parse(&StaffInput { code: "E77".into(), display_name: "周小姐".into() }).unwrap();
        assert!(matches!(
            admin::save_staff(conn, as_(&res_js), &code("JS"), &member),
            Err(AdminError::Auth(AuthError::Forbidden))
        ));
        admin::save_staff(conn, as_(&kinmen), &code("JH"), &member).unwrap();
        // Service types: system administrators only.
        let st = ServiceTypeDetails::parse(&ServiceTypeInput { code: "adoption".into(), name_zh: "收養登記".into(), ..Default::default() }).unwrap();
        assert!(matches!(
            admin::save_service_type(conn, as_(&kinmen), &st),
            Err(AdminError::Auth(AuthError::Forbidden))
        ));
        admin::save_service_type(conn, as_(&admin_u), &st).unwrap();
        let adoption = offices::details::find_any_service_type(conn, "adoption").unwrap().unwrap();
        admin::set_service_type_active(conn, as_(&admin_u), "adoption", false).unwrap();
        assert!(offices::find_service_type(conn, "adoption").unwrap().is_none());
        assert!(!offices::details::find_any_service_type(conn, "adoption").unwrap().unwrap().active);
        assert_eq!(adoption.name_en, "收養登記");

        // The audit log names who, from where, for which office.
        let entries = list_audit(conn, &Scope::All, None, 100).unwrap();
        let created = entries.iter().find(|e| e.action == "office_created").unwrap();
        assert_eq!(
            (created.actor.as_str(), created.office_id, created.client_addr.as_deref()),
            ("kinmen", Some(jh.id), Some("192.0.2.7"))
        );
        assert!(entries.iter().any(|e| e.action == "counter_created" && e.actor == "dir-js" && e.target == "counter:JS/9"));
        assert!(entries.iter().any(|e| e.action == "service_type_deactivated" && e.actor == "admin"));
        // Refused changes left no trace.
        assert!(!entries.iter().any(|e| e.target.starts_with("office:TP") || e.target == "staff:JS/E77"));
    }
}

mod a_new_office_takes_answers_at_once {
    use super::*;

    async fn run(engine: Engine) {
        // The default reference cache, as a real server runs.
        let app = crate::helpers::spawn_app_with(engine, |s| s.reference_cache_seconds = 300).await;
        let url = format!("{}/api/v1/responses", app.address);
        {
            let conn = &mut app.conn();
            seed_org(conn);
        }
        // A first answer fills the cache.
        let first = crate::helpers::post_json(
            &app.client,
            &url,
            &crate::helpers::web_submission("key-first-answer", 5),
        )
        .await;
        assert!(
            first.status().is_success(),
            "{}",
            first.text().await.unwrap()
        );
        {
            let conn = &mut app.conn();
            admin::save_office(
                conn,
                Actor::system(),
                &office("JH", "金湖鎮戶政事務所", "金門縣"),
            )
            .unwrap();
        }
        let mut body = crate::helpers::web_submission("key-new-office-answer", 4);
        body["office"] = "jh".into();
        let res = crate::helpers::post_json(&app.client, &url, &body).await;
        assert!(res.status().is_success(), "{}", res.text().await.unwrap());
        // Its mailbox takes petitions too.
        let page = app.get("/mailbox/JH").await;
        assert_eq!(page.status(), 200);
    }

    #[actix_web::test]
    async fn sqlite() {
        run(Engine::Sqlite).await
    }

    #[actix_web::test]
    async fn postgres() {
        run(Engine::Postgres).await
    }
}

mod console {
    use super::*;
    use crate::helpers::{Browser, spawn_app};

    on_both_engines! {
        async fn administrators_set_up_offices_in_the_console(engine) {
            let app = spawn_app(engine).await;
            seed_org(&mut app.conn());
            // A county administrator: a new office of their county, its counter and staff.
            let b = Browser::new(&app);
            b.login("kinmen").await;
            let html = b.get("/console/offices").await.text().await.unwrap();
            assert!(html.contains("新增事務所") && html.contains("value=\"金門縣\" readonly"), "{html}");
            let csrf = b.csrf().await;
            let res = b.post("/console/offices", &[
                ("csrf", &csrf), ("code", "jh"), ("name_zh", "金門縣金湖鎮戶政事務所"),
                ("name_en", "Jinhu"), ("county_zh", "金門縣"), ("county_en", "Kinmen County"),
                ("address", "金湖鎮復興路1號"), ("phone", "082-332011"),
            ]).await;
            assert_eq!(res.status(), 303);
            assert_eq!(res.headers()["location"], "/console/offices/JH?done=created");
            for (code, name) in [("1", "1 號櫃檯"), ("2", "2 號櫃檯")] {
                let res = b.post("/console/offices/JH/counters", &[("csrf", &csrf), ("code", code), ("name_zh", name), ("name_en", "")]).await;
                assert_eq!(res.status(), 303);
            }
            let res = b.post("/console/offices/JH/staff", &[("csrf", &csrf), ("code", "E01"), ("display_name", "陳小姐")]).await;
            assert_eq!(res.status(), 303);
            let html = b.get("/console/offices/JH?done=created").await.text().await.unwrap();
            for want in ["金門縣金湖鎮戶政事務所", "1 號櫃檯", "2 號櫃檯", "陳小姐", "金湖鎮復興路1號 · 082-332011", "事務所已建立"] {
                assert!(html.contains(want), "`{want}` missing");
            }
            // Another county's office: refused, nothing written.
            let res = b.post("/console/offices", &[("csrf", &csrf), ("code", "TP"), ("name_zh", "臺北"), ("county_zh", "臺北市")]).await;
            assert_eq!(res.status(), 400);
            let text = res.text().await.unwrap();
            assert!(text.contains("county_zh") && text.contains("金門縣"), "{text}");
            // An existing code: refused, not overwritten.
            let res = b.post("/console/offices", &[("csrf", &csrf), ("code", "JS"), ("name_zh", "改名"), ("county_zh", "金門縣")]).await;
            assert_eq!(res.status(), 400);
            assert!(res.text().await.unwrap().contains("`JS` exists already"));
            // A bad field is named.
            let res = b.post("/console/offices/JH/counters", &[("csrf", &csrf), ("code", "一號"), ("name_zh", "x")]).await;
            assert_eq!(res.status(), 400);
            assert!(res.text().await.unwrap().contains("code"));
            // Another county's office page and forms: 404.
            assert_eq!(b.get("/console/offices/DA").await.status(), 404);
            let res = b.post("/console/offices/DA/staff", &[("csrf", &csrf), ("code", "E9"), ("display_name", "x")]).await;
            assert_eq!(res.status(), 404);
            // Closing the office.
            let res = b.post("/console/offices/JH/active", &[("csrf", &csrf), ("active", "0")]).await;
            assert_eq!(res.status(), 303);
            {
                let conn = &mut app.conn();
                let jh = offices::find_office_by_code(conn, &code("JH")).unwrap().unwrap();
                assert!(!jh.active);
                let js = offices::find_office_by_code(conn, &code("JS")).unwrap().unwrap();
                assert_eq!(js.name_zh, "金門縣金沙鎮戶政事務所");
                assert_eq!(office_count(conn), 4);
                let actions: Vec<String> = audit_actions(conn).into_iter().map(|a| a.0).filter(|a| ["office_", "counter_", "staff_member_"].iter().any(|p| a.starts_with(p))).collect();
                assert_eq!(actions, ["office_created", "counter_created", "counter_created", "staff_member_created", "office_deactivated"]);
            }

            // A director keeps counters and staff of their office, not offices or service types.
            let d = Browser::new(&app);
            d.login("dir-js").await;
            let csrf = d.csrf().await;
            let html = d.get("/console/offices/JS").await.text().await.unwrap();
            assert!(html.contains("id=\"counter-form\"") && !html.contains("id=\"office-form\""));
            let res = d.post("/console/offices", &[("csrf", &csrf), ("code", "XX"), ("name_zh", "x"), ("county_zh", "金門縣")]).await;
            assert_eq!(res.status(), 403);
            assert_eq!(d.get("/console/service-types").await.status(), 403);
            let res = d.post("/console/offices/JS/staff", &[("csrf", &csrf), ("code", "E42"), ("display_name", "黃先生")]).await;
            assert_eq!(res.status(), 303);
            // Without the CSRF token nothing happens.
            let res = d.post("/console/offices/JS/staff", &[("code", "E43"), ("display_name", "x")]).await;
            assert_eq!(res.status(), 403);
            // The staff member leaves; a counter is taken out of use; both audited.
            let res = d.post("/console/offices/JS/staff/E42/active", &[("csrf", &csrf), ("active", "0")]).await;
            assert_eq!(res.headers()["location"], "/console/offices/JS?done=saved#staff");
            let res = d.post("/console/offices/JS/counters/9/active", &[("csrf", &csrf), ("active", "0")]).await;
            assert_eq!(res.status(), 404, "JS has no counter 9");
            {
                let conn = &mut app.conn();
                let js = offices::find_office_by_code(conn, &code("JS")).unwrap().unwrap();
                let e42 = offices::staff_of(conn, js.id).unwrap().into_iter().find(|s| s.code == "E42").unwrap();
                assert!(!e42.active);
                assert!(audit_actions(conn).iter().any(|a| a.0 == "staff_member_deactivated" && a.1 == "staff:JS/E42"));
            }

            // A system administrator keeps the service types.
            let a = Browser::new(&app);
            a.login("admin").await;
            let csrf = a.csrf().await;
            let res = a.post("/console/service-types", &[("csrf", &csrf), ("code", "adoption"), ("name_zh", "收養登記"), ("name_en", "Adoption registration"), ("sort_order", "")]).await;
            assert_eq!(res.status(), 303);
            let res = a.post("/console/service-types/adoption/active", &[("csrf", &csrf), ("active", "0")]).await;
            assert_eq!(res.status(), 303);
            let html = a.get("/console/service-types").await.text().await.unwrap();
            assert!(html.contains("收養登記") && html.contains("已停止提供"));
            let conn = &mut app.conn();
            assert!(offices::find_service_type(conn, "adoption").unwrap().is_none());
            assert!(offices::details::find_any_service_type(conn, "adoption").unwrap().is_some());
        }

        async fn a_fresh_installation_says_what_to_do(engine) {
            let app = spawn_app(engine).await;
            let html = app.get("/").await.text().await.unwrap();
            assert!(html.contains("manyi user add --username admin --role system_admin"), "{html}");
            {
                let conn = &mut app.conn();
                let hash = manyi::auth::hash_password(crate::helpers::PASSWORD);
                let new = manyi::auth::NewUser {
                    username: "root".into(),
                    display_name: "Root".into(),
                    role: manyi::auth::Role::SystemAdmin,
                    office_id: None,
                    county_zh: None,
                };
                manyi::auth::create_user(conn, &new, &hash, None, None).unwrap();
            }
            let html = app.get("/").await.text().await.unwrap();
            assert!(!html.contains("manyi user add") && html.contains("尚無事務所"), "{html}");
            let b = Browser::new(&app);
            b.login("root").await;
            let html = b.get("/console").await.text().await.unwrap();
            assert!(html.contains("id=\"first-run\"") && html.contains("/console/offices#new-office"));
            let html = b.get("/console/offices").await.text().await.unwrap();
            assert!(html.contains("開始使用：設定第一個事務所") && html.contains("id=\"office-form\""));
        }
    }
}
