//! `manyi office | counter | staff | service-type`: the reference data a
//! real office is set up with, from the command line (as the system; every
//! change audited).

use std::path::Path;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::admin::{self, Actor, AdminError};
use crate::config::Settings;
use crate::offices::details::{
    CounterDetails, CounterInput, OfficeDetails, OfficeInput, ServiceTypeDetails, ServiceTypeInput,
    StaffDetails, StaffInput,
};
use crate::offices::{self, OfficeCode, Saved};

#[derive(Debug, Subcommand)]
pub enum OfficeCommand {
    /// Create an office (its code must be new; `edit` changes one).
    Add(OfficeArgs),
    /// Change an office's details: only the options given change.
    Edit(OfficeEditArgs),
    /// Every office, its county and whether it is open.
    List,
    /// Create or update offices from a CSV file (UTF-8 or Big5), one row per
    /// office, header `code,name_zh,name_en,county_zh,county_en,address,phone`
    /// (or 代碼,名稱,英文名稱,縣市,縣市英文,地址,電話; any order; code, name_zh
    /// and county_zh required); or a sheet of an XLSX or ODS workbook. All or
    /// nothing; a known code is updated.
    Import {
        file: std::path::PathBuf,
        /// The sheet of an XLSX or ODS workbook (default: the first).
        #[arg(long)]
        sheet: Option<String>,
    },
    /// Close an office: no more web answers or petitions (its enrolled kiosks
    /// answer until revoked in the console); its data stays.
    Deactivate { code: String },
    /// Open a closed office again.
    Activate { code: String },
}

#[derive(Debug, Args)]
pub struct OfficeArgs {
    /// A-Z, digits and `-`, starting with a letter (`JS`, `TPE-01`).
    #[arg(long)]
    code: String,
    /// 金沙鎮戶政事務所
    #[arg(long = "name-zh")]
    name_zh: String,
    /// Kinsha Household Registration Office (default: the Chinese name).
    #[arg(long = "name-en", default_value = "")]
    name_en: String,
    /// 金門縣
    #[arg(long = "county-zh")]
    county_zh: String,
    /// Kinmen County (default: the Chinese name).
    #[arg(long = "county-en", default_value = "")]
    county_en: String,
    #[arg(long, default_value = "")]
    address: String,
    #[arg(long, default_value = "")]
    phone: String,
}

#[derive(Debug, Args)]
pub struct OfficeEditArgs {
    code: String,
    #[arg(long = "name-zh")]
    name_zh: Option<String>,
    #[arg(long = "name-en")]
    name_en: Option<String>,
    #[arg(long = "county-zh")]
    county_zh: Option<String>,
    #[arg(long = "county-en")]
    county_en: Option<String>,
    #[arg(long)]
    address: Option<String>,
    #[arg(long)]
    phone: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CounterCommand {
    /// Create a counter (window) of an office, or rename the one with this code.
    Add {
        #[arg(long)]
        office: String,
        /// 1 to 16 letters, digits, `-` or `_` (`1`, `C2`).
        #[arg(long)]
        code: String,
        /// 1 號櫃檯
        #[arg(long = "name-zh")]
        name_zh: String,
        /// Counter 1 (default: the Chinese name).
        #[arg(long = "name-en", default_value = "")]
        name_en: String,
    },
    /// An office's counters.
    List {
        #[arg(long)]
        office: String,
    },
    /// No longer offer the counter for new kiosks and links.
    Deactivate {
        #[arg(long)]
        office: String,
        code: String,
    },
    Activate {
        #[arg(long)]
        office: String,
        code: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create a staff member of an office (display name and employee code
    /// only), or rename the one with this code.
    Add {
        #[arg(long)]
        office: String,
        /// The employee code (1 to 16 letters, digits, `-` or `_`).
        #[arg(long)]
        code: String,
        /// The name shown on the kiosk's courtesy vote and in the figures.
        #[arg(long)]
        name: String,
    },
    /// An office's staff members.
    List {
        #[arg(long)]
        office: String,
    },
    /// Mark a staff member as gone (their figures stay).
    Deactivate {
        #[arg(long)]
        office: String,
        code: String,
    },
    Activate {
        #[arg(long)]
        office: String,
        code: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ServiceTypeCommand {
    /// Create a service type, or update the one with this code.
    Add {
        /// a-z, digits and `_` (`adoption`).
        #[arg(long)]
        code: String,
        /// 收養登記
        #[arg(long = "name-zh")]
        name_zh: String,
        #[arg(long = "name-en", default_value = "")]
        name_en: String,
        /// Position in the lists (default: after the others, before 其他).
        #[arg(long, default_value = "")]
        order: String,
    },
    /// Every service type, offered or not.
    List,
    /// No longer offer the service type (its answers keep it).
    Deactivate {
        code: String,
    },
    Activate {
        code: String,
    },
}

fn office_code(given: &str) -> anyhow::Result<OfficeCode> {
    Ok(OfficeCode::parse(given)?)
}

/// A refused change as the command line says it: the flag rather than the field.
fn said(e: AdminError) -> anyhow::Error {
    match e {
        AdminError::Invalid(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| format!("--{}: {}", e.field.replace('_', "-"), e.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        e => e.into(),
    }
}

fn saved_word(saved: &Saved) -> String {
    match saved {
        Saved::Created => "created".into(),
        Saved::Updated(fields) => format!("updated ({})", fields.join(", ")),
        Saved::Unchanged => "unchanged".into(),
    }
}

fn on_off(active: bool) -> &'static str {
    if active { "active" } else { "inactive" }
}

pub fn office_command(settings: &Settings, command: &OfficeCommand) -> anyhow::Result<()> {
    let mut conn = super::connect(settings)?;
    let conn = &mut *conn;
    match command {
        OfficeCommand::Add(a) => {
            let d = OfficeDetails::parse(&OfficeInput {
                code: a.code.clone(),
                name_zh: a.name_zh.clone(),
                name_en: a.name_en.clone(),
                county_zh: a.county_zh.clone(),
                county_en: a.county_en.clone(),
                address: a.address.clone(),
                phone: a.phone.clone(),
            })
            .map_err(|e| said(e.into()))?;
            let office = admin::create_office(conn, Actor::system(), &d).map_err(|e| match e {
                AdminError::Taken { code, .. } => anyhow::anyhow!(
                    "--code: office `{code}` exists already (`manyi office edit {code}` changes it)"
                ),
                e => said(e),
            })?;
            println!("created office {} {}", office.code, office.name_zh);
            println!(
                "next: counters (`manyi counter add --office {0} --code 1 --name-zh '1 號櫃檯'`), staff members (`manyi staff add --office {0} …`) and a director (`manyi user add --role director --office {0} …`)",
                office.code
            );
        }
        OfficeCommand::Edit(a) => {
            let code = office_code(&a.code)?;
            let old = offices::find_office_by_code(conn, &code)?
                .with_context(|| format!("no office `{code}`"))?;
            let pick = |new: &Option<String>, old: &str| new.clone().unwrap_or(old.to_owned());
            let d = OfficeDetails::parse(&OfficeInput {
                code: old.code.to_string(),
                name_zh: pick(&a.name_zh, &old.name_zh),
                name_en: pick(&a.name_en, &old.name_en),
                county_zh: pick(&a.county_zh, &old.county_zh),
                county_en: pick(&a.county_en, &old.county_en),
                address: pick(&a.address, &old.address),
                phone: pick(&a.phone, &old.phone),
            })
            .map_err(|e| said(e.into()))?;
            let (office, saved) = admin::save_office(conn, Actor::system(), &d).map_err(said)?;
            println!("office {}: {}", office.code, saved_word(&saved));
        }
        OfficeCommand::List => {
            for o in offices::list_offices(conn)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    o.code,
                    o.name_zh,
                    o.county_zh,
                    o.phone,
                    on_off(o.active)
                );
            }
        }
        OfficeCommand::Import { file, sheet } => import(conn, file, sheet.as_deref())?,
        OfficeCommand::Deactivate { code } | OfficeCommand::Activate { code } => {
            let active = matches!(command, OfficeCommand::Activate { .. });
            let o = admin::set_office_active(conn, Actor::system(), &office_code(code)?, active)
                .map_err(said)?;
            println!("office {}: {}", o.code, on_off(o.active));
        }
    }
    Ok(())
}

fn import(
    conn: &mut crate::db::DbConnection,
    file: &Path,
    sheet: Option<&str>,
) -> anyhow::Result<()> {
    let format = crate::tabular::Format::of(file)?;
    let bytes = std::fs::read(file).with_context(|| file.display().to_string())?;
    let name = file.display().to_string();
    let source = crate::tabular::Source {
        name: &name,
        bytes: &bytes,
        format,
        sheet,
    };
    let done = admin::import_offices(conn, Actor::system(), &source).map_err(said)?;
    println!(
        "{name}: {} office(s) created, {} updated, {} unchanged",
        done.created, done.updated, done.unchanged
    );
    Ok(())
}

pub fn counter_command(settings: &Settings, command: &CounterCommand) -> anyhow::Result<()> {
    let mut conn = super::connect(settings)?;
    let conn = &mut *conn;
    match command {
        CounterCommand::Add {
            office,
            code,
            name_zh,
            name_en,
        } => {
            let d = CounterDetails::parse(&CounterInput {
                code: code.clone(),
                name_zh: name_zh.clone(),
                name_en: name_en.clone(),
            })
            .map_err(|e| said(e.into()))?;
            let office = office_code(office)?;
            let (c, saved) =
                admin::save_counter(conn, Actor::system(), &office, &d).map_err(said)?;
            println!("counter {office}/{}: {}", c.code, saved_word(&saved));
        }
        CounterCommand::List { office } => {
            let o = office_in(conn, office)?;
            for c in offices::counters_of(conn, o.id)? {
                println!(
                    "{}\t{}\t{}\t{}",
                    c.code,
                    c.name_zh,
                    c.name_en,
                    on_off(c.active)
                );
            }
        }
        CounterCommand::Deactivate { office, code } | CounterCommand::Activate { office, code } => {
            let active = matches!(command, CounterCommand::Activate { .. });
            let office = office_code(office)?;
            let c = admin::set_counter_active(conn, Actor::system(), &office, code, active)
                .map_err(said)?;
            println!("counter {office}/{}: {}", c.code, on_off(c.active));
        }
    }
    Ok(())
}

fn office_in(conn: &mut crate::db::DbConnection, given: &str) -> anyhow::Result<offices::Office> {
    let code = office_code(given)?;
    offices::find_office_by_code(conn, &code)?
        .with_context(|| format!("--office: no office `{code}`"))
}

pub fn staff_command(settings: &Settings, command: &StaffCommand) -> anyhow::Result<()> {
    let mut conn = super::connect(settings)?;
    let conn = &mut *conn;
    match command {
        StaffCommand::Add { office, code, name } => {
            let d = StaffDetails::parse(&StaffInput {
                code: code.clone(),
                display_name: name.clone(),
            })
            .map_err(|e| {
                said(AdminError::Invalid(
                    e.into_iter()
                        .map(|mut f| {
                            if f.field == "display_name" {
                                f.field = "name";
                            }
                            f
                        })
                        .collect(),
                ))
            })?;
            let office = office_code(office)?;
            let (s, saved) = admin::save_staff(conn, Actor::system(), &office, &d).map_err(said)?;
            println!("staff member {office}/{}: {}", s.code, saved_word(&saved));
        }
        StaffCommand::List { office } => {
            let o = office_in(conn, office)?;
            for s in offices::staff_of(conn, o.id)? {
                println!("{}\t{}\t{}", s.code, s.display_name, on_off(s.active));
            }
        }
        StaffCommand::Deactivate { office, code } | StaffCommand::Activate { office, code } => {
            let active = matches!(command, StaffCommand::Activate { .. });
            let office = office_code(office)?;
            let s = admin::set_staff_active(conn, Actor::system(), &office, code, active)
                .map_err(said)?;
            println!("staff member {office}/{}: {}", s.code, on_off(s.active));
        }
    }
    Ok(())
}

pub fn service_type_command(
    settings: &Settings,
    command: &ServiceTypeCommand,
) -> anyhow::Result<()> {
    let mut conn = super::connect(settings)?;
    let conn = &mut *conn;
    match command {
        ServiceTypeCommand::Add {
            code,
            name_zh,
            name_en,
            order,
        } => {
            let d = ServiceTypeDetails::parse(&ServiceTypeInput {
                code: code.clone(),
                name_zh: name_zh.clone(),
                name_en: name_en.clone(),
                sort_order: order.clone(),
            })
            .map_err(|e| {
                said(AdminError::Invalid(
                    e.into_iter()
                        .map(|mut f| {
                            if f.field == "sort_order" {
                                f.field = "order";
                            }
                            f
                        })
                        .collect(),
                ))
            })?;
            let (s, saved) = admin::save_service_type(conn, Actor::system(), &d).map_err(said)?;
            println!("service type {}: {}", s.code, saved_word(&saved));
        }
        ServiceTypeCommand::List => {
            for s in offices::details::all_service_types(conn)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    s.code,
                    s.name_zh,
                    s.name_en,
                    s.sort_order,
                    on_off(s.active)
                );
            }
        }
        ServiceTypeCommand::Deactivate { code } | ServiceTypeCommand::Activate { code } => {
            let active = matches!(command, ServiceTypeCommand::Activate { .. });
            let s = admin::set_service_type_active(conn, Actor::system(), code, active)
                .map_err(said)?;
            println!("service type {}: {}", s.code, on_off(s.active));
        }
    }
    Ok(())
}
