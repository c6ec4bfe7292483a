use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use scanloop::cli::{BatchCommand, Cli, Command, KeysCommand, LogFormat, RollupsCommand};
use scanloop::config::{Config, redact_url};
use scanloop::db::{Db, DbError, generate_key};
use scanloop::startup::{App, shutdown_signal};

/// glibc's allocator was a sixth of the redirect's time (many small, short-lived
/// allocations across threads); mimalloc handles that pattern with thread-local pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // The chain of causes on one line; no backtrace for a person at a terminal.
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    start_logging(cli.log_format);
    let command = cli.command.unwrap_or_else(|| {
        // `scanloop` alone serves with defaults and SCANLOOP_* variables.
        match Cli::parse_from(["scanloop", "serve"]).command {
            Some(command) => command,
            None => unreachable!("serve was given"),
        }
    });
    match command {
        Command::Serve { config, demo } => serve(config, demo, cli.log_format).await,
        Command::Demo { config } => serve(config, true, cli.log_format).await,
        Command::Migrate { config } => {
            Db::connect(&config.database_url).await?;
            println!("migrations applied to {}", redact_url(&config.database_url));
            Ok(())
        }
        Command::Keys { command } => keys(command).await,
        Command::Users { command } => scanloop::accounts::command::run(command).await,
        Command::Batch {
            command: BatchCommand::Export(args),
        } => scanloop::export::command::run(*args).await,
        Command::Rollups {
            command: RollupsCommand::Rebuild { database, campaign },
        } => {
            let db = Db::connect(&database.database_url).await?;
            let started = std::time::Instant::now();
            let rebuilt = db.rebuild_rollups(campaign).await?;
            match rebuilt.from {
                None => println!("no raw scans are kept: nothing to rebuild"),
                Some(from) => println!(
                    "rebuilt {} campaign(s) from {} raw scans since {} ({} transactions) in {:.1} s",
                    rebuilt.campaigns,
                    rebuilt.scans,
                    utc(from),
                    rebuilt.chunks,
                    started.elapsed().as_secs_f64()
                ),
            }
            Ok(())
        }
    }
}

/// Log lines go to standard output; colours only when it is a terminal, so a file or a
/// pipe gets no escape codes.
fn start_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => logs.with_ansi(std::io::stdout().is_terminal()).init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
}

async fn keys(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create {
            database,
            name,
            user,
        } => {
            let db = Db::connect(&database.database_url).await?;
            let owner = match user {
                Some(email) => scanloop::accounts::command::user_id(&db, &email).await?,
                None => db.first_admin().await.map_err(|_| {
                    anyhow::anyhow!("no enabled admin to own the key; name one with --user")
                })?,
            };
            let key = generate_key();
            db.ensure_api_key(owner, &name, &key).await?;
            println!("{key}");
            eprintln!("Store this key now: only its hash is kept, it cannot be shown again.");
        }
        KeysCommand::List { database } => {
            let db = Db::connect(&database.database_url).await?;
            let keys = db.api_keys(None).await?;
            if keys.is_empty() {
                eprintln!("No API keys yet: `scanloop keys create --name NAME` makes one.");
            }
            println!(
                "{:>5}  {:<24}  {:<8}  {:<28}  {:<20}  revoked",
                "id", "name", "starts", "user", "created"
            );
            for key in keys {
                println!(
                    "{:>5}  {:<24}  {:<8}  {:<28}  {:<20}  {}",
                    key.id,
                    key.name,
                    key.prefix,
                    key.email,
                    utc(key.created_at),
                    key.revoked_at.map_or_else(|| "-".to_owned(), utc),
                );
            }
        }
        KeysCommand::Revoke { database, id } => {
            let db = Db::connect(&database.database_url).await?;
            match db.revoke_api_key(id).await {
                Ok(()) => {
                    println!("key {id} is revoked: requests with it are refused within a second")
                }
                Err(DbError::NotFound) => {
                    anyhow::bail!("no API key has id {id}; `scanloop keys list` shows the ids")
                }
                Err(err) => return Err(err.into()),
            }
        }
    }
    Ok(())
}

fn utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

async fn serve(config: Config, demo: bool, log_format: LogFormat) -> anyhow::Result<()> {
    let app = App::build(&config).await?;
    if demo {
        let state = app.state();
        scanloop::demo::seed(state).await?;
    }
    tracing::info!(address = %app.local_addr(), backend = ?app.state().db.backend(), "scanloop listening");
    // In JSON mode every line is a log object; the friendly lines are for people.
    if log_format == LogFormat::Text {
        println!("scanloop listening on http://{}", app.local_addr());
        if config.initial_api_key.is_none() && !demo {
            println!("API keys: set SCANLOOP_INITIAL_API_KEY, or run `scanloop keys create`");
        }
    }
    app.run_until_stopped(shutdown_signal()).await
}
