//! The `manyi` command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::config::{Overrides, Settings};
use crate::db::{self, DbError};
use crate::demo::{self, DemoOptions};
use crate::forms::FormCatalog;
use crate::startup::{self, Application};
use crate::survey;

#[derive(Debug, Parser)]
#[command(
    name = "manyi",
    version,
    about = "滿意 manyi：戶政事務所服務滿意度調查與民意回饋分析 / satisfaction surveys and feedback analytics for household registration offices"
)]
pub struct Cli {
    /// Configuration file (TOML); default: ./manyi.toml when present.
    #[arg(long, global = true, env = "MANYI_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL: postgres://… or sqlite://PATH (default sqlite://data/manyi.db).
    #[arg(long = "database-url", global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web service (applies migrations and loads the survey forms first).
    Serve(ServeArgs),
    /// Apply pending database migrations and register the current form versions.
    Migrate(FormsArg),
    /// Fill the database with realistic demo data (3 offices, 5 ROC years).
    Demo(DemoArgs),
    /// Survey forms: check the files without touching a database.
    Forms {
        #[command(subcommand)]
        command: FormsCommand,
    },
}

#[derive(Debug, Args)]
struct FormsArg {
    /// Directory of survey form files (*.toml).
    #[arg(long, env = "MANYI_FORMS_DIR")]
    forms: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "MANYI_BIND")]
    bind: Option<String>,
    #[command(flatten)]
    forms: FormsArg,
    /// Load demo data first when the database has no responses yet.
    #[arg(long)]
    demo: bool,
}

#[derive(Debug, Args)]
struct DemoArgs {
    #[command(flatten)]
    forms: FormsArg,
    #[command(flatten)]
    options: DemoOptions,
}

#[derive(Debug, Subcommand)]
enum FormsCommand {
    /// Validate every form file; print each form's version, or `file:line` errors.
    Check(FormsArg),
}

pub fn main() -> ExitCode {
    crate::telemetry::init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn settings(cli: &Cli, bind: Option<&String>, forms: &FormsArg) -> anyhow::Result<Settings> {
    let overrides = Overrides {
        bind: bind.cloned(),
        database_url: cli.database_url.clone(),
        forms_dir: forms.forms.clone(),
    };
    Ok(Settings::load(cli.config.as_deref(), &overrides)?)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Serve(args) => {
            let settings = settings(&cli, args.bind.as_ref(), &args.forms)?;
            let state = startup::prepare(&settings)?;
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
        Command::Migrate(forms) => {
            let settings = settings(&cli, None, forms)?;
            let catalog = FormCatalog::load_dir(&settings.forms_dir)?;
            let pool = db::connect_pool(&settings.database_url, 1)?;
            let mut conn = pool.get().map_err(DbError::Pool)?;
            let applied = db::run_migrations(&mut conn)?;
            let ids = crate::forms::register_catalog(&mut conn, &catalog)?;
            println!(
                "{}: {applied} migration(s) applied, {} form version(s) registered",
                settings.database_url,
                ids.len()
            );
            Ok(())
        }
        Command::Demo(args) => {
            let settings = settings(&cli, None, &args.forms)?;
            let state = startup::prepare(&settings)?;
            let mut conn = state.pool.get().map_err(DbError::Pool)?;
            let started = Instant::now();
            let summary =
                demo::generate(&mut conn, &state.catalog, &args.options).context("demo data")?;
            println!(
                "{}: {summary} in {:.2} s",
                settings.database_url,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Forms {
            command: FormsCommand::Check(forms),
        } => {
            let settings = settings(&cli, None, forms)?;
            let catalog = FormCatalog::load_dir(&settings.forms_dir)?;
            for f in catalog.iter() {
                println!(
                    "{}\t{}\t{} items\t{}",
                    f.form.key,
                    f.version_hash,
                    f.form.items.len(),
                    f.source.display()
                );
            }
            Ok(())
        }
    }
}
