//! `lethe demo-data`: writes the demo estate where a user's own systems
//! are (files into a directory, the console call history into a
//! PostgreSQL), from the same fixtures the tests use. For
//! `docker-compose.yml`'s loader and for trying lethe against real servers.
//! Never point it at production: it creates tables and fills them with
//! made-up people.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum DemoData {
    /// The demo estate of files (console logs, ADF directory, comments,
    /// scratch pad, suite logs) under `--dir`.
    Files {
        #[arg(long)]
        dir: PathBuf,
    },
    /// The console call-history table (data-map A5), created in `--schema`
    /// and filled with `--rows` fixture rows with planted people. The
    /// loader connects without TLS: use it on a private network only.
    Postgres {
        /// `postgres://user:password@host:port/db`.
        #[arg(long, env = "LETHE_DEMO_POSTGRES_URL")]
        url: String,
        #[arg(long, default_value = "public")]
        schema: String,
        #[arg(long, default_value_t = 10_000)]
        rows: usize,
    },
}

pub async fn run(what: DemoData) -> anyhow::Result<()> {
    match what {
        DemoData::Files { dir } => {
            let estate = lethe_connectors::files::write_demo_estate(&dir)
                .with_context(|| format!("writing the demo estate under {}", dir.display()))?;
            eprintln!(
                "demo estate written under {} ({} targets)",
                dir.display(),
                estate.targets.len()
            );
        }
        DemoData::Postgres { url, schema, rows } => {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .context("connecting to the demo PostgreSQL")?;
            tokio::spawn(conn);
            lethe_testkit::create_call_history(&client, &schema)
                .await
                .context("creating call_history")?;
            let fixture = lethe_testkit::Fixture::standard(rows);
            let n = lethe_testkit::load_call_history(&client, &schema, fixture.rows())
                .await
                .context("loading call_history")?;
            eprintln!("{n} call-history rows loaded into {schema}.call_history");
        }
    }
    Ok(())
}
