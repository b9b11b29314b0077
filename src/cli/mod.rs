//! The `manyi` command line.

mod analyze;
mod report;

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
    /// Historical data: `manyi import responses FILE.csv --form counter`.
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
    /// Staff accounts (the first administrator is made here).
    User {
        #[command(subcommand)]
        command: UserCommand,
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
    /// Paper-survey results: one row per response (office_code, submitted_at,
    /// channel, service_type, counter, one column per 5-point item, comment).
    /// UTF-8 or Big5; dates ISO or ROC (113/05/02). All or nothing.
    Responses {
        file: PathBuf,
        #[arg(long, default_value = "counter")]
        form: String,
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
        Command::User { command } => user_command(&cli, command),
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
            command: ImportCommand::Responses { file, form, forms },
        } => {
            let settings = settings(&cli, None, forms)?;
            let state = startup::prepare(&settings)?;
            let mut conn = state.pool.get().map_err(DbError::Pool)?;
            let loaded = state
                .catalog
                .get(form)
                .with_context(|| format!("--form: no form `{form}`"))?;
            let versions = crate::forms::register_catalog(&mut conn, &state.catalog)?;
            let bytes = std::fs::read(file).with_context(|| format!("{}", file.display()))?;
            let ctx = survey::import::context(&mut conn, &loaded.form, versions[form])?;
            let name = file.display().to_string();
            let summary = survey::import::import_responses(&mut conn, &name, &bytes, &ctx)?;
            println!(
                "{name}: {} response(s) with {} answer(s) imported; {} already imported before",
                summary.responses, summary.answers, summary.already_imported
            );
            Ok(())
        }
        Command::Snapshot { command } => {
            let settings = settings(&cli, None, &FormsArg { forms: None })?;
            analyze::snapshot(&settings, matches!(command, SnapshotCommand::Rebuild))
        }
        Command::Calendar { command } => calendar_command(&cli, command),
        Command::Cases {
            command: CasesCommand::PurgePersonal { older_than },
        } => {
            let before = cutoff(older_than, chrono::Utc::now().date_naive())?;
            let settings = settings(&cli, None, &FormsArg { forms: None })?;
            let pool = db::connect_pool(&settings.database_url, 1)?;
            let mut conn = pool.get().map_err(DbError::Pool)?;
            db::run_migrations(&mut conn)?;
            let n = crate::cases::views::purge_personal(&mut conn, before)?;
            println!("personal data removed from {n} case(s) received before {before}");
            Ok(())
        }
        Command::Forms {
            command: FormsCommand::Retire { version },
        } => {
            let settings = settings(&cli, None, &FormsArg { forms: None })?;
            let pool = db::connect_pool(&settings.database_url, 1)?;
            let mut conn = pool.get().map_err(DbError::Pool)?;
            db::run_migrations(&mut conn)?;
            let row = crate::forms::retire_version(&mut conn, version)?;
            println!("retired {} version {}", row.form_key, row.version_hash);
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

fn read_password(prompt: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(prompt)?;
        let again = rpassword::prompt_password("again / 再輸入一次: ")?;
        anyhow::ensure!(first == again, "the two passwords differ");
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    crate::auth::check_password_policy(&password).context("password")?;
    Ok(password)
}

fn user_command(cli: &Cli, command: &UserCommand) -> anyhow::Result<()> {
    use crate::auth::{self, NewUser, Role};
    let settings = settings(cli, None, &FormsArg { forms: None })?;
    let pool = db::connect_pool(&settings.database_url, 1)?;
    let mut conn = pool.get().map_err(DbError::Pool)?;
    db::run_migrations(&mut conn)?;
    match command {
        UserCommand::Add {
            username,
            name,
            role,
            office,
            county,
        } => {
            let role = Role::parse(role).with_context(|| {
                format!(
                    "role: `{role}` is not one of {}",
                    Role::ALL.map(|r| r.as_str()).join(", ")
                )
            })?;
            let office_id = match office {
                Some(o) => Some(auth::resolve_office(&mut conn, o)?.id),
                None => None,
            };
            let password = read_password("password / 密碼: ")?;
            let hash = auth::hash_password(&password);
            let new = NewUser {
                username: username.trim().to_lowercase(),
                display_name: name.clone().unwrap_or_else(|| username.clone()),
                role,
                office_id,
                county_zh: county.clone(),
            };
            let user = auth::create_user(&mut conn, &new, &hash, None, None)?;
            println!("created {} ({})", user.username, user.role);
            Ok(())
        }
        UserCommand::List => {
            let offices = crate::offices::list_offices(&mut conn)?;
            for u in auth::list_users(&mut conn, &auth::Scope::All)? {
                let place = match (u.office_id, &u.county_zh) {
                    (Some(id), _) => offices
                        .iter()
                        .find(|o| o.id == id)
                        .map(|o| o.code.to_string())
                        .unwrap_or_default(),
                    (None, Some(c)) => c.clone(),
                    _ => "-".into(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    u.username,
                    u.role,
                    place,
                    u.display_name,
                    if u.active { "active" } else { "inactive" }
                );
            }
            Ok(())
        }
        UserCommand::Passwd { username } => {
            let user = auth::find_user_by_username(&mut conn, &username.to_lowercase())?
                .with_context(|| format!("no account `{username}`"))?;
            let password = read_password("new password / 新密碼: ")?;
            auth::set_password(&mut conn, &user, None, &password, None, None)?;
            println!("password changed for {}", user.username);
            Ok(())
        }
        UserCommand::Unlock { username } => {
            let user = auth::find_user_by_username(&mut conn, &username.to_lowercase())?
                .with_context(|| format!("no account `{username}`"))?;
            let cleared = auth::unlock_account(&mut conn, &user, None, None)?;
            println!(
                "login throttling cleared for {} ({cleared} counters)",
                user.username
            );
            Ok(())
        }
    }
}

fn calendar_command(cli: &Cli, command: &CalendarCommand) -> anyhow::Result<()> {
    use crate::calendar::{self, Calendar, WorkingDays};
    let settings = settings(cli, None, &FormsArg { forms: None })?;
    let pool = db::connect_pool(&settings.database_url, 1)?;
    let mut conn = pool.get().map_err(DbError::Pool)?;
    db::run_migrations(&mut conn)?;
    match command {
        CalendarCommand::Import { file } => {
            let bytes = std::fs::read(file).with_context(|| format!("{}", file.display()))?;
            let name = file.display().to_string();
            let days = calendar::parse_official_csv(&name, &bytes)?;
            let years = calendar::import_days(&mut conn, &name, &days)?;
            let holidays = days.iter().filter(|d| d.holiday).count();
            println!(
                "imported {} days ({holidays} off) for {}",
                days.len(),
                years
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(())
        }
        CalendarCommand::Show { year } => {
            let cal = Calendar::load(&mut conn)?;
            anyhow::ensure!(
                cal.has_year(*year),
                "no calendar for {year}: import the official CSV with `manyi calendar import FILE`"
            );
            let mut date = chrono::NaiveDate::from_ymd_opt(*year, 1, 1).context("year")?;
            while chrono::Datelike::year(&date) == *year {
                let day = cal.day(date).expect("a known year is whole");
                let weekend = matches!(
                    chrono::Datelike::weekday(&date),
                    chrono::Weekday::Sat | chrono::Weekday::Sun
                );
                if day.holiday != weekend || !day.description.is_empty() {
                    println!(
                        "{}\t{}\t{}",
                        date,
                        if day.holiday { "off" } else { "work" },
                        day.description
                    );
                }
                date = date.succ_opt().context("date")?;
            }
            Ok(())
        }
        CalendarCommand::Deadline { received, days } => {
            let cal = Calendar::load(&mut conn)?;
            let n = WorkingDays::new(*days).map_err(anyhow::Error::msg)?;
            let dl = cal.add_working_days(*received, n);
            if dl.assumed_weekdays {
                println!(
                    "{} (no calendar for part of the period: Monday-Friday assumed)",
                    dl.date
                );
            } else {
                println!("{}", dl.date);
            }
            Ok(())
        }
    }
}

/// `5y`, `18m`, `90d` before `today`.
fn cutoff(age: &str, today: chrono::NaiveDate) -> anyhow::Result<chrono::NaiveDate> {
    let age = age.trim();
    let (num, unit) = age.split_at(age.len().saturating_sub(1));
    let n: u32 = num
        .parse()
        .with_context(|| format!("--older-than: `{age}` is not like 5y, 18m or 90d"))?;
    let date = match unit {
        "y" => today.checked_sub_months(chrono::Months::new(12 * n)),
        "m" => today.checked_sub_months(chrono::Months::new(n)),
        "d" => today.checked_sub_days(chrono::Days::new(n as u64)),
        _ => None,
    };
    date.with_context(|| format!("--older-than: `{age}` is not like 5y, 18m or 90d"))
}

#[cfg(test)]
mod tests {
    use super::cutoff;
    use chrono::NaiveDate;

    #[test]
    fn cutoffs() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(
            cutoff("5y", today).unwrap(),
            NaiveDate::from_ymd_opt(2021, 11, 24).unwrap()
        );
        assert_eq!(
            cutoff("18m", today).unwrap(),
            NaiveDate::from_ymd_opt(2025, 5, 24).unwrap()
        );
        assert_eq!(
            cutoff("90d", today).unwrap(),
            NaiveDate::from_ymd_opt(2026, 8, 26).unwrap()
        );
        assert!(cutoff("5", today).is_err());
        assert!(cutoff("fivey", today).is_err());
    }
}
