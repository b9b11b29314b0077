//! `manyi serve`, `manyi migrate` and `manyi demo`: running the web service
//! and preparing its database (migrations, form versions, demo data).

use std::time::Instant;

use anyhow::Context;

use super::{DemoArgs, ServeArgs};
use crate::config::Settings;
use crate::db::DbError;
use crate::demo::{self, DemoOptions};
use crate::forms::FormCatalog;
use crate::startup::{self, Application};
use crate::survey;

pub fn serve(settings: &Settings, args: &ServeArgs) -> anyhow::Result<()> {
    let state = startup::prepare(settings)?;
    if args.demo {
        let mut conn = state.pool.get().map_err(DbError::Pool)?;
        if survey::count_responses(&mut conn)? == 0 {
            let opts = DemoOptions::default();
            tracing::info!(
                responses = opts.responses,
                seed = opts.seed,
                "loading demo data"
            );
            let summary = demo::generate(&mut conn, &state.catalog, &opts)?;
            tracing::info!(%summary, "demo data loaded");
        } else {
            tracing::info!("the database already holds responses; demo data not loaded");
        }
    }
    {
        let mut conn = state.pool.get().map_err(DbError::Pool)?;
        if !crate::auth::any_user(&mut conn)? {
            tracing::warn!(
                "no staff account yet: create the first administrator with `manyi user add --username admin --role system_admin`, then log in at /login and create the offices (or `manyi office add` / `manyi office import FILE.csv`)"
            );
        } else if crate::offices::list_offices(&mut conn)?.is_empty() {
            tracing::warn!(
                "no offices yet: an administrator creates them at /console/offices (or `manyi office add` / `manyi office import FILE.csv`)"
            );
        }
    }
    let bind = settings.bind.clone();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::serve(&bind, state)?;
        let host = bind.rsplit_once(':').map(|(h, _)| h).unwrap_or("127.0.0.1");
        tracing::info!(
            database = %settings.database_url,
            "manyi is listening on http://{host}:{}/",
            app.port()
        );
        app.run_until_stopped().await?;
        anyhow::Ok(())
    })
}

pub fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let catalog = FormCatalog::load_dir(&settings.forms_dir)?;
    let (mut conn, applied) = super::connect_counting(settings)?;
    let ids = crate::forms::register_catalog(&mut conn, &catalog)?;
    println!(
        "{}: {applied} migration(s) applied, {} form version(s) registered",
        settings.database_url,
        ids.len()
    );
    Ok(())
}

pub fn demo(settings: &Settings, args: &DemoArgs) -> anyhow::Result<()> {
    let state = startup::prepare(settings)?;
    let mut conn = state.pool.get().map_err(DbError::Pool)?;
    let started = Instant::now();
    let summary = demo::generate(&mut conn, &state.catalog, &args.options).context("demo data")?;
    println!(
        "{}: {summary} in {:.2} s",
        settings.database_url,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
