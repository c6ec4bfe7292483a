//! `scanloop users ...`: accounts from the command line, for the first admin and for an
//! operator locked out of the web pages. No mail server is needed: links are printed.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;

use super::{password, password_link};
use crate::cli::UsersCommand;
use crate::db::{Db, DbError, NewUser};
use crate::domain::account::{check_password, check_role_stores};
use crate::domain::{Email, Role};

pub async fn run(command: UsersCommand) -> anyhow::Result<()> {
    match command {
        UsersCommand::Create {
            database,
            email,
            role,
            store_ids,
            no_password,
            public,
        } => {
            let db = Db::connect(&database.database_url).await?;
            let email = Email::parse(&email).map_err(|m| anyhow::anyhow!("--email {m}"))?;
            let role = Role::parse(&role).map_err(|m| anyhow::anyhow!("--role {m}"))?;
            check_role_stores(role, store_ids.len())
                .map_err(|m| anyhow::anyhow!("--store-id: {m}"))?;
            if let Some(id) = db.unknown_stores(&store_ids).await?.first() {
                anyhow::bail!("no store has id {id}");
            }
            let password_hash = if no_password {
                None
            } else {
                let password = read_password()?;
                check_password(&password, &email)
                    .map_err(|m| anyhow::anyhow!("the password {m}"))?;
                Some(password::hash(password).await?)
            };
            let user = db
                .create_user(NewUser {
                    email,
                    role,
                    password_hash,
                    store_ids,
                })
                .await
                .map_err(|err| match err {
                    DbError::Conflict(m) => anyhow::anyhow!("{m}"),
                    err => err.into(),
                })?;
            println!("user {} created: {} ({})", user.id, user.email, user.role);
            if !user.has_password {
                let (link, _) = password_link(&db, user.id, &public.public_url).await?;
                println!("they set their password at (once, within 24 hours): {link}");
            }
        }
        UsersCommand::ResetPassword {
            database,
            email,
            public,
        } => {
            let db = Db::connect(&database.database_url).await?;
            let id = user_id(&db, &email).await?;
            let (link, _) = password_link(&db, id, &public.public_url).await?;
            println!("{link}");
            eprintln!(
                "This link sets {email}'s password once, within 24 hours; earlier links stop working."
            );
        }
        UsersCommand::List { database } => {
            let db = Db::connect(&database.database_url).await?;
            let users = db
                .users(crate::db::Page {
                    after: 0,
                    limit: 500,
                })
                .await?;
            println!(
                "{:>5}  {:<32}  {:<8}  {:<8}  {:<8}  stores",
                "id", "email", "role", "password", "state"
            );
            for user in users {
                let stores: Vec<String> = user.store_ids.iter().map(i64::to_string).collect();
                println!(
                    "{:>5}  {:<32}  {:<8}  {:<8}  {:<8}  {}",
                    user.id,
                    user.email,
                    user.role,
                    if user.has_password { "set" } else { "none" },
                    if user.disabled_at.is_some() {
                        "disabled"
                    } else {
                        "enabled"
                    },
                    if stores.is_empty() {
                        "-".to_owned()
                    } else {
                        stores.join(",")
                    },
                );
            }
        }
    }
    Ok(())
}

/// The id of the user signing in as `email`; an error naming it when there is none.
pub async fn user_id(db: &Db, email: &str) -> anyhow::Result<i64> {
    let parsed = Email::parse(email).map_err(|m| anyhow::anyhow!("--email {m}"))?;
    match db.user_by_email(&parsed).await {
        Ok(user) => Ok(user.id),
        Err(DbError::NotFound) => {
            anyhow::bail!("no user signs in as {parsed}; `scanloop users list` shows who does")
        }
        Err(err) => Err(err.into()),
    }
}

/// The password: asked for twice, unechoed, on a terminal; else standard input's first line.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Again: ")?;
        if first != again {
            anyhow::bail!("the two passwords differ; nothing was created");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
