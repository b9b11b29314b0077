//! `manyi user add | list | passwd | unlock`: staff accounts, and reading a
//! password from a prompt or standard input.

use anyhow::Context;

use super::UserCommand;
use crate::config::Settings;

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

pub fn user_command(settings: &Settings, command: &UserCommand) -> anyhow::Result<()> {
    use crate::auth::{self, NewUser, Role};
    let mut conn = super::connect(settings)?;
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
