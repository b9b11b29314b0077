//! The `manyi` command line: the clap tree and the dispatch; each command
//! family's body lives in its own file.

mod analyze;
mod calendar;
mod cases;
mod forms;
mod import;
mod office;
mod report;
mod serve;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{Overrides, Settings};
use crate::demo::DemoOptions;

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
    /// The government office calendar: import the official yearly CSV, show a
    /// year's days off, count a deadline in working days.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// The complaint register.
    Cases {
        #[command(subcommand)]
        command: CasesCommand,
    },
    /// Satisfaction analysis: figures per item and group with confidence
    /// intervals, significant changes, reliability, key drivers, IPA and
    /// shortfalls against the standards.
    Analyze(AnalyzeArgs),
    /// Historical data and other tools' exports:
    /// `manyi import responses FILE.csv|.xlsx|.ods --form counter [--sheet S] [--mapping MAP.toml]`,
    /// `manyi import tallies FILE.csv`.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Minimum satisfaction standards per ROC year.
    Standard {
        #[command(subcommand)]
        command: StandardCommand,
    },
    /// The analytics snapshot (a cache of the answers; safe to delete).
    Snapshot {
        #[command(subcommand)]
        command: SnapshotCommand,
    },
    /// The yearly trend and improvement report, and the improvement measures it plans.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Offices (戶政事務所): add, edit, list, import a county's from CSV, deactivate.
    Office {
        #[command(subcommand)]
        command: office::OfficeCommand,
    },
    /// An office's counters (windows).
    Counter {
        #[command(subcommand)]
        command: office::CounterCommand,
    },
    /// An office's staff members (display name and employee code only).
    Staff {
        #[command(subcommand)]
        command: office::StaffCommand,
    },
    /// The service types answers are given for (one list for every office).
    #[command(name = "service-type")]
    ServiceType {
        #[command(subcommand)]
        command: office::ServiceTypeCommand,
    },
    /// Staff accounts (the first administrator is made here).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// A consistent copy of the SQLite database while the service runs
    /// (PostgreSQL: use pg_dump). Restore by serving the copy, or copying it
    /// over the database with the service stopped.
    Backup {
        /// The copy to write (must not exist).
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
struct AnalyzeArgs {
    /// First ROC year (民國), e.g. 110.
    #[arg(long)]
    from: Option<String>,
    /// Last ROC year, e.g. 113.
    #[arg(long)]
    to: Option<String>,
    /// One office (its code).
    #[arg(long, conflicts_with = "county")]
    office: Option<String>,
    /// Every office of a county or city (金門縣).
    #[arg(long)]
    county: Option<String>,
    /// Group by any of year, quarter, month, county, office, counter, staff,
    /// service_type, channel, dimension, item (comma-separated).
    #[arg(long, default_value = "year,item")]
    by: String,
    /// The form to analyse.
    #[arg(long, default_value = "counter")]
    form: String,
    /// Only these channels (counter, web, internal; comma-separated).
    #[arg(long)]
    channel: Option<String>,
    /// Print JSON (field names are stable; see the README).
    #[arg(long)]
    json: bool,
}

impl From<&AnalyzeArgs> for crate::analytics::AnalyzeRequest {
    fn from(a: &AnalyzeArgs) -> Self {
        crate::analytics::AnalyzeRequest {
            from: a.from.clone(),
            to: a.to.clone(),
            office: a.office.clone(),
            county: a.county.clone(),
            by: a.by.clone(),
            form: a.form.clone(),
            channel: a.channel.clone(),
            json: a.json,
        }
    }
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// `manyi report annual --year 113 [--office CODE | --county NAME] [--out DIR]`:
    /// charts (PNG, SVG), HTML, PDF, ODT, XLSX, ODS and CSV.
    Annual {
        /// ROC year (113 = 2024).
        #[arg(long)]
        year: String,
        /// One office, by code.
        #[arg(long)]
        office: Option<String>,
        /// Every office of a county or city.
        #[arg(long)]
        county: Option<String>,
        /// Where to write the files (created).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Any of html, pdf, odt, xlsx, ods, csv (comma-separated; default all).
        #[arg(long, default_value = "")]
        format: String,
        /// The survey form reported on.
        #[arg(long, default_value = "counter")]
        form: String,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Record an office's improvement measure for an item or complaint
    /// category of a year's plan (an empty text removes it).
    Measure {
        #[arg(long)]
        office: String,
        #[arg(long)]
        year: String,
        /// A survey item key.
        #[arg(long)]
        item: Option<String>,
        /// A complaint category code.
        #[arg(long)]
        category: Option<String>,
        #[arg(long)]
        measure: String,
        /// The unit responsible (optional).
        #[arg(long, default_value = "")]
        responsible: String,
    },
}

#[derive(Debug, Subcommand)]
enum StandardCommand {
    /// Set the minimum satisfaction rate of a year (for every office, a county or one office).
    Set {
        #[arg(long)]
        year: String,
        /// A share, e.g. 0.92 for 92%.
        #[arg(long)]
        rate: f64,
        #[arg(long, conflicts_with = "county")]
        office: Option<String>,
        #[arg(long)]
        county: Option<String>,
    },
    /// List the standards.
    List,
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Paper-survey results and other tools' exports: one row per response
    /// (office_code, submitted_at, channel, service_type, counter, one column
    /// per 5-point item with scores 1-5 or their labels, comment). A .csv
    /// (UTF-8 or Big5), .xlsx or .ods file; dates ISO or ROC (113/05/02).
    /// All or nothing.
    Responses {
        file: PathBuf,
        #[arg(long, default_value = "counter")]
        form: String,
        /// The sheet of an XLSX or ODS workbook (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// A mapping file (TOML) from another tool's columns and answer codes
        /// to manyi's: [columns], [values.COLUMN], [constants], [ignore].
        #[arg(long)]
        mapping: Option<PathBuf>,
        #[command(flatten)]
        forms: FormsArg,
    },
    /// Aggregated tallies: the quarterly count of each answer per item, as
    /// offices kept them before manyi. One row per office, year, quarter and
    /// item: office_code, year (113 or 2024), quarter (1-4), item (key or its
    /// Chinese text), optional channel, and the counts 非常滿意, 滿意, 普通,
    /// 不滿意, 非常不滿意 (or n5 … n1). CSV (UTF-8 or Big5), XLSX or ODS. All
    /// or nothing; a row already stored is replaced.
    Tallies {
        file: PathBuf,
        #[arg(long, default_value = "counter")]
        form: String,
        /// The sheet of an XLSX or ODS workbook (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        #[command(flatten)]
        forms: FormsArg,
    },
}

#[derive(Debug, Subcommand)]
enum SnapshotCommand {
    /// Append the responses that arrived since the last refresh.
    Refresh,
    /// Delete the snapshot and read every response again.
    Rebuild,
    /// Write the snapshot (brought up to date) as Hive-partitioned Parquet,
    /// one directory per ROC year (`DIR/responses/year=113/…`), for DuckDB,
    /// Spark, Trino or polars.
    Export {
        /// The only format so far.
        #[arg(long, default_value = "parquet", value_parser = ["parquet"])]
        format: String,
        /// A directory that does not exist yet.
        dir: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum CasesCommand {
    /// Remove petitioners' personal data from cases received before a cut-off
    /// (`5y`, `18m` or `90d` ago), keeping the anonymous statistics.
    PurgePersonal {
        #[arg(long = "older-than")]
        older_than: String,
    },
}

#[derive(Debug, Subcommand)]
enum CalendarCommand {
    /// Import the official CSV (西元日期,星期,是否放假,備註; Big5 or UTF-8). All or
    /// nothing; an imported year replaces the shipped or earlier imported one.
    Import { file: PathBuf },
    /// Days off and make-up workdays of a year (Gregorian, e.g. 2025).
    Show { year: i32 },
    /// The deadline N working days after a day of receipt (YYYY-MM-DD).
    Deadline {
        received: chrono::NaiveDate,
        days: u32,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from a prompt, or from the first
    /// line of standard input when it is not a terminal; never from an argument.
    Add {
        /// Login name: 3-40 characters of a-z, 0-9, `.`, `_`, `-`.
        #[arg(long)]
        username: String,
        /// Name shown in the console (default: the username).
        #[arg(long)]
        name: Option<String>,
        /// counter_staff, research, director, county_admin or system_admin.
        #[arg(long)]
        role: String,
        /// Office code, or a unique part of its name (`金沙`), for office roles.
        #[arg(long)]
        office: Option<String>,
        /// County or city (`金門縣`), for county administrators.
        #[arg(long)]
        county: Option<String>,
    },
    /// List accounts.
    List,
    /// Set a new password (read like `add` does), end the account's sessions
    /// and clear its login throttling.
    Passwd { username: String },
    /// Clear an account's login throttling (after failed logins), audited.
    Unlock { username: String },
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
    /// Stop accepting answers given with a form version (its full hash, or a
    /// unique prefix of at least 12 characters). Its responses stay as they are.
    Retire { version: String },
}

pub fn main() -> ExitCode {
    crate::telemetry::init();
    let cli = Cli::parse();
    let outcome = run(cli);
    // No thread may be inside the database driver while the process exits.
    crate::db::stop_background();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The one way a command reaches the database: connect, apply the migrations.
fn connect(settings: &Settings) -> anyhow::Result<crate::db::PooledConnection> {
    Ok(connect_counting(settings)?.0)
}

/// [`connect`], also telling how many migrations were applied.
fn connect_counting(settings: &Settings) -> anyhow::Result<(crate::db::PooledConnection, usize)> {
    let pool = crate::db::connect_pool(&settings.database_url, 1)?;
    let mut conn = pool.get().map_err(crate::db::DbError::Pool)?;
    let applied = crate::db::run_migrations(&mut conn)?;
    Ok((conn, applied))
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
            serve::serve(&settings, args)
        }
        Command::Migrate(forms) => serve::migrate(&settings(&cli, None, forms)?),
        Command::Demo(args) => serve::demo(&settings(&cli, None, &args.forms)?, args),
        Command::Office { command } => {
            office::office_command(&settings(&cli, None, &FormsArg { forms: None })?, command)
        }
        Command::Counter { command } => {
            office::counter_command(&settings(&cli, None, &FormsArg { forms: None })?, command)
        }
        Command::Staff { command } => {
            office::staff_command(&settings(&cli, None, &FormsArg { forms: None })?, command)
        }
        Command::ServiceType { command } => {
            office::service_type_command(&settings(&cli, None, &FormsArg { forms: None })?, command)
        }
        Command::Backup { file } => {
            let settings = settings(&cli, None, &FormsArg { forms: None })?;
            let pool = crate::db::connect_pool(&settings.database_url, 1)?;
            let mut conn = pool.get().map_err(crate::db::DbError::Pool)?;
            let started = std::time::Instant::now();
            let bytes = crate::db::backup(&mut conn, file)?;
            println!(
                "{}: backed up to {} ({bytes} bytes) in {:.2} s",
                settings.database_url,
                file.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::User { command } => {
            user::user_command(&settings(&cli, None, &FormsArg { forms: None })?, command)
        }
        Command::Report { command } => {
            let settings = settings(&cli, None, &FormsArg { forms: None })?;
            match command {
                ReportCommand::Annual {
                    year,
                    office,
                    county,
                    out,
                    format,
                    form,
                    quiet,
                } => report::annual(
                    &settings,
                    report::AnnualArgs {
                        year,
                        office: office.as_deref(),
                        county: county.as_deref(),
                        out: out.clone(),
                        formats: format,
                        form,
                        quiet: *quiet,
                    },
                ),
                ReportCommand::Measure {
                    office,
                    year,
                    item,
                    category,
                    measure,
                    responsible,
                } => report::set_measure(
                    &settings,
                    report::MeasureArgs {
                        office,
                        year,
                        item: item.as_deref(),
                        category: category.as_deref(),
                        measure,
                        responsible,
                    },
                ),
            }
        }
        Command::Analyze(args) => analyze::analyze(
            &settings(&cli, None, &FormsArg { forms: None })?,
            args.into(),
        ),
        Command::Standard { command } => {
            let settings = settings(&cli, None, &FormsArg { forms: None })?;
            match command {
                StandardCommand::Set {
                    year,
                    rate,
                    office,
                    county,
                } => analyze::set_standard(
                    &settings,
                    year,
                    *rate,
                    office.as_deref(),
                    county.as_deref(),
                ),
                StandardCommand::List => analyze::list_standards(&settings),
            }
        }
        Command::Import {
            command:
                ImportCommand::Responses {
                    file,
                    form,
                    sheet,
                    mapping,
                    forms,
                },
        } => import::responses(
            &settings(&cli, None, forms)?,
            import::ResponsesArgs {
                file,
                form,
                sheet: sheet.as_deref(),
                mapping: mapping.as_deref(),
            },
        ),
        Command::Import {
            command:
                ImportCommand::Tallies {
                    file,
                    form,
                    sheet,
                    forms,
                },
        } => import::tallies(&settings(&cli, None, forms)?, file, form, sheet.as_deref()),
        Command::Snapshot { command } => {
            let settings = settings(&cli, None, &FormsArg { forms: None })?;
            match command {
                SnapshotCommand::Export { dir, .. } => analyze::snapshot_export(&settings, dir),
                SnapshotCommand::Rebuild => analyze::snapshot(&settings, true),
                SnapshotCommand::Refresh => analyze::snapshot(&settings, false),
            }
        }
        Command::Calendar { command } => {
            calendar::calendar_command(&settings(&cli, None, &FormsArg { forms: None })?, command)
        }
        Command::Cases {
            command: CasesCommand::PurgePersonal { older_than },
        } => {
            let before = cases::cutoff(older_than, chrono::Utc::now().date_naive())?;
            let settings = settings(&cli, None, &FormsArg { forms: None })?;
            cases::purge_personal(&settings, before)
        }
        Command::Forms {
            command: FormsCommand::Retire { version },
        } => forms::retire(&settings(&cli, None, &FormsArg { forms: None })?, version),
        Command::Forms {
            command: FormsCommand::Check(forms),
        } => forms::check(&settings(&cli, None, forms)?),
    }
}
