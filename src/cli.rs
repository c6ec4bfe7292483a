//! Command line: `serve`, `demo`, `migrate`, `keys create|list|revoke`,
//! `users create|reset-password|list`, `batch export`, `rollups rebuild`.

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
    /// Manage users: who signs in, and what they may do.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Work with batches.
    Batch {
        #[command(subcommand)]
        command: BatchCommand,
    },
    /// Work with the rollups reports read.
    Rollups {
        #[command(subcommand)]
        command: RollupsCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum RollupsCommand {
    /// Recount the hourly scan counts, visitor sketches and place counts from the raw
    /// scans kept, a campaign and six hours per transaction (a running server keeps
    /// answering scans). Hours whose raw scans retention removed keep their rollups.
    Rebuild {
        #[command(flatten)]
        database: DatabaseArg,
        /// Only this campaign (default: every campaign).
        #[arg(long)]
        campaign: Option<i64>,
    },
}

#[derive(Subcommand, Debug)]
pub enum BatchCommand {
    /// Write a ready batch's codes to a file for the printer, with a progress bar on a
    /// terminal: images in a ZIP, label sheets as PDF, or the codes as CSV. The file is
    /// written under a temporary name and renamed when complete.
    Export(Box<ExportArgs>),
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The batch's id.
    pub batch_id: i64,
    /// svg or png (a ZIP of images with a manifest), pdf (label sheets) or csv.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// The file to write (replaced if it exists, only once the export is complete).
    #[arg(long)]
    pub out: std::path::PathBuf,
    #[command(flatten)]
    pub print: PrintFlags,
    #[command(flatten)]
    pub sheet: SheetFlags,
    /// The server's settings: the database, and the public URL and link case that the
    /// codes' URLs are built from (the same SCANLOOP_* variables as `serve`).
    #[command(flatten)]
    pub config: Config,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Svg,
    Png,
    Pdf,
    Csv,
}

/// The print options of every renderer, as flags (see the README's Print options).
#[derive(Args, Debug, Default)]
pub struct PrintFlags {
    /// Pixels (PNG) or SVG units per module, for screens (not for pdf).
    #[arg(long)]
    pub size: Option<String>,
    /// Millimetres per module, for print: at least 0.25.
    #[arg(long)]
    pub module_mm: Option<String>,
    /// Millimetres for the whole symbol, quiet zone included.
    #[arg(long)]
    pub size_mm: Option<String>,
    /// Pixels per inch of a PNG drawn in millimetres (default 300).
    #[arg(long)]
    pub dpi: Option<String>,
    /// Quiet zone in modules (default 4).
    #[arg(long)]
    pub margin: Option<String>,
    /// Error correction: L, M, Q or H (default M).
    #[arg(long)]
    pub ecc: Option<String>,
    /// Dark colour, hex RGB such as 1a1a1a.
    #[arg(long)]
    pub fg: Option<String>,
    /// Light colour, hex RGB.
    #[arg(long)]
    pub bg: Option<String>,
    /// `allow` to draw light modules on a dark background.
    #[arg(long)]
    pub invert: Option<String>,
    /// `none` to leave out the logo uploaded for the batch or its campaign (drawn by
    /// default, with ecc H).
    #[arg(long)]
    pub logo: Option<String>,
}

/// Label sheet options, for `--format pdf` (see the README's Label sheets).
#[derive(Args, Debug, Default)]
pub struct SheetFlags {
    /// a4 (default), letter, or width x height in mm such as 100x150.
    #[arg(long)]
    pub page: Option<String>,
    /// Label width x height in mm, such as 40x30.
    #[arg(long)]
    pub label_mm: Option<String>,
    /// Labels across (default as many as fit).
    #[arg(long)]
    pub cols: Option<String>,
    /// Labels down (default as many as fit).
    #[arg(long)]
    pub rows: Option<String>,
    /// Margin around the grid in mm (default 10).
    #[arg(long)]
    pub sheet_margin_mm: Option<String>,
    /// Space between labels in mm (default 2).
    #[arg(long)]
    pub gap_mm: Option<String>,
    /// Draw crop marks in the sheet margin.
    #[arg(long)]
    pub crop_marks: bool,
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Create a key and print it once; only its hash is stored. It belongs to the user
    /// `--user` names, or to the first admin.
    Create {
        #[command(flatten)]
        database: DatabaseArg,
        /// A label to recognise the key by.
        #[arg(long, default_value = "cli")]
        name: String,
        /// The email of the user the key acts for (it has their role and stores).
        #[arg(long)]
        user: Option<String>,
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

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Create a user. The password is asked for on a terminal, or read from the first
    /// line of standard input; with --no-password a one-time link to set one is printed.
    Create {
        #[command(flatten)]
        database: DatabaseArg,
        #[arg(long)]
        email: String,
        /// admin, analyst or retailer.
        #[arg(long)]
        role: String,
        /// A retailer's store (by id); repeat for several.
        #[arg(long = "store-id")]
        store_ids: Vec<i64>,
        /// Print a one-time set-password link instead of asking for a password.
        #[arg(long)]
        no_password: bool,
        #[command(flatten)]
        public: PublicUrlArg,
    },
    /// Print a one-time link that sets the user's password (valid 24 hours).
    ResetPassword {
        #[command(flatten)]
        database: DatabaseArg,
        #[arg(long)]
        email: String,
        #[command(flatten)]
        public: PublicUrlArg,
    },
    /// List the users: id, email, role, stores, whether they have a password, state.
    List {
        #[command(flatten)]
        database: DatabaseArg,
    },
}

/// Where the server is reached, for links the command line prints.
#[derive(Args, Debug)]
pub struct PublicUrlArg {
    /// The server's public URL, as SCANLOOP_PUBLIC_URL gives it to the server.
    #[arg(
        long,
        env = "SCANLOOP_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
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
