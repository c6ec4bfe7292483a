//! Command line: `serve`, `demo`, `migrate`, `keys create`.

use clap::{Parser, Subcommand};

use crate::config::Config;

#[derive(Parser, Debug)]
#[command(name = "scanloop", version, about = "QR-code campaign gateway")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
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
        config: Config,
        /// A label to recognise the key by.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}
