//! Command line: `serve`, `demo`, `migrate`, `keys create|list|revoke`.

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{Config, redact_url};

#[derive(Parser, Debug)]
#[command(name = "scanloop", version, about = "QR-code campaign gateway")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// How log lines are written: `text` (coloured only on a terminal) or `json` (one
    /// object per line, for a log shipper).
    #[arg(long, global = true, env = "SCANLOOP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default when no command is given).
    Serve {
        #[command(flatten)]
        config: Config,
        /// Seed a sample campaign first (as `demo` does).
        #[arg(long)]
        demo: bool,
    },
    /// Seed a sample campaign, print a key, links and a QR code, and serve.
    Demo {
        #[command(flatten)]
        config: Config,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        config: Config,
    },
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Create an admin key and print it once; only its hash is stored.
    Create {
        #[command(flatten)]
        database: DatabaseArg,
        /// A label to recognise the key by.
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// List the keys: id, name, the first characters of the key, created and revoked times.
    List {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Revoke a key by its id (from `keys list`); requests with it are refused at once.
    Revoke {
        #[command(flatten)]
        database: DatabaseArg,
        /// The key's id, as `keys list` shows it.
        id: i64,
    },
}

/// The database, for commands that need nothing else.
#[derive(Args)]
pub struct DatabaseArg {
    /// sqlite://FILE or postgres://...
    #[arg(
        long,
        env = "SCANLOOP_DATABASE_URL",
        default_value = "sqlite://scanloop.db"
    )]
    pub database_url: String,
}

impl std::fmt::Debug for DatabaseArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseArg")
            .field("database_url", &redact_url(&self.database_url))
            .finish()
    }
}
