use clap::Parser;
use tracing_subscriber::EnvFilter;

use scanloop::cli::{Cli, Command, KeysCommand};
use scanloop::config::Config;
use scanloop::db::{Db, generate_key};
use scanloop::startup::{App, shutdown_signal};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let command = Cli::parse().command.unwrap_or_else(|| {
        // `scanloop` alone serves with defaults and SCANLOOP_* variables.
        match Cli::parse_from(["scanloop", "serve"]).command {
            Some(command) => command,
            None => unreachable!("serve was given"),
        }
    });
    match command {
        Command::Serve { config, demo } => serve(config, demo).await,
        Command::Demo { config } => serve(config, true).await,
        Command::Migrate { config } => {
            Db::connect(&config.database_url).await?;
            println!("migrations applied to {}", config.database_url);
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::Create { config, name },
        } => {
            let db = Db::connect(&config.database_url).await?;
            let key = generate_key();
            db.ensure_api_key(&name, &key).await?;
            println!("{key}");
            eprintln!("Store this key now: only its hash is kept, it cannot be shown again.");
            Ok(())
        }
    }
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let app = App::build(&config).await?;
    if demo {
        let state = app.state();
        scanloop::demo::seed(&state.db, &state.batches, &state.settings).await?;
    }
    tracing::info!(address = %app.local_addr(), backend = ?app.state().db.backend(), "scanloop listening");
    println!("scanloop listening on http://{}", app.local_addr());
    if config.initial_api_key.is_none() && !demo {
        println!("API keys: set SCANLOOP_INITIAL_API_KEY, or run `scanloop keys create`");
    }
    app.run_until_stopped(shutdown_signal()).await
}
