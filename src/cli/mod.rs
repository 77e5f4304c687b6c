//! The command line (SPEC §1): `serve`, `work`, `migrate`, `plan`, `token`,
//! `openapi`, `audit verify`, `demo`.

mod audit;
mod callbacks;
mod config;
mod demo;
mod demo_data;
mod plan;
mod serve;
mod token;
mod work;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use config::Config;

/// lethe: GDPR access and erasure across a Mitel contact-center estate.
#[derive(Debug, Parser)]
#[command(name = "lethe", version, about)]
struct Cli {
    /// Configuration file; settings can also come from `LETHE__SECTION__KEY` variables.
    #[arg(
        long,
        global = true,
        env = "LETHE_CONFIG",
        default_value = "lethe.toml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API and run `worker.count` workers (SQLite stores are
    /// migrated on start).
    Serve,
    /// Run workers only (several `lethe work` processes can share a
    /// PostgreSQL store).
    Work,
    /// Dry run: search every configured target for a subject and print
    /// what an erasure would do, without changing anything.
    Plan(plan::PlanArgs),
    /// Apply the store's migrations (PostgreSQL; SQLite migrates itself).
    Migrate,
    /// Mint a development HS256 token from the configured secret.
    Token(token::TokenArgs),
    /// Write the OpenAPI document.
    Openapi {
        /// Where to write it; `-` for standard output.
        #[arg(long, default_value = "openapi/openapi.json")]
        out: PathBuf,
    },
    /// Audit log commands.
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// Run lethe on a throwaway SQLite store with generated secrets and print
    /// how to send a first request.
    Demo(demo::DemoArgs),
    /// Write the demo fixtures into your own systems (a directory, a
    /// PostgreSQL): made-up people, never for production.
    DemoData {
        #[command(subcommand)]
        what: demo_data::DemoData,
    },
}

/// Parses arguments, runs the command, and turns failure into exit code 1
/// (or 2 for a broken audit chain, so scripts can tell them apart).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve => serve::run(&Config::load(&cli.config)?)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Work => work::run(&Config::load(&cli.config)?)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Plan(args) => plan::run(&Config::load(&cli.config)?, args)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Migrate => serve::migrate(&Config::load(&cli.config)?)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Token(args) => {
                token::run(&Config::load(&cli.config)?, &args).map(|()| ExitCode::SUCCESS)
            }
            Command::Openapi { out } => write_openapi(&out).map(|()| ExitCode::SUCCESS),
            Command::Audit { command } => audit::run(&Config::load(&cli.config)?, command).await,
            Command::Demo(args) => demo::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::DemoData { what } => demo_data::run(what).await.map(|()| ExitCode::SUCCESS),
        }
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn write_openapi(out: &std::path::Path) -> anyhow::Result<()> {
    let json = lethe_api::openapi_json();
    if out.as_os_str() == "-" {
        print!("{json}");
        return Ok(());
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(out, json)?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// Logs go to standard error; `LETHE_LOG=json` switches to JSON lines.
/// Filter with `RUST_LOG` (default `info`). `LETHE_LOG_FILE` also appends
/// the same lines to a file (`{pid}` in the name becomes the process id):
/// for keeping a copy beside the console, and for the test suite's
/// personal-data sweep, which reads every line. One global filter for
/// both: per-layer filters were seen to drop a worker's events from both
/// outputs.
fn init_tracing() {
    /// Libraries whose debug output holds statement parameters, capped at
    /// info (the most specific targets too, which a RUST_LOG naming them
    /// would otherwise win over).
    const QUIETER_THAN_DEBUG: [&str; 2] = ["tokio_postgres=info", "tokio_postgres::query=info"];
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, Layer};
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // Whatever RUST_LOG says: tokio-postgres logs every bound parameter at
    // debug ("executing statement … with parameters: […]"), and the
    // postgres connector's parameters are people's numbers and names.
    let filter = QUIETER_THAN_DEBUG.iter().fold(filter, |f, d| {
        f.add_directive(d.parse().expect("a static directive"))
    });
    let json = std::env::var("LETHE_LOG").as_deref() == Ok("json");
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let stderr = if json {
        stderr.json().boxed()
    } else {
        stderr.boxed()
    };
    let file = std::env::var("LETHE_LOG_FILE").ok().and_then(|path| {
        let path = path.replace("{pid}", &std::process::id().to_string());
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| eprintln!("LETHE_LOG_FILE {path}: {e}; logging to standard error only"))
            .ok()?;
        Some(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(f)),
        )
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file)
        .init();
}
