//! `lethe demo-data`: writes the demo estate where a user's own systems
//! are (files into a directory, the console call history into a
//! PostgreSQL, the suite's tables into SQL Server, its indices into
//! Elasticsearch), from the same fixtures the tests use. For
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
    /// The suite's `CCMData` and `CCMStatisticalData` (data-map A1): the
    /// databases are created if missing, then the eight tables and their
    /// fixture rows (`--rows` background rows per table besides the planted
    /// people). Plaintext TDS: a private network only.
    Mssql {
        /// ADO.NET connection string, e.g.
        /// `server=tcp:mssql,1433;user=sa;password=...;TrustServerCertificate=true`.
        #[arg(long, env = "LETHE_DEMO_MSSQL_ADO")]
        ado: String,
        #[arg(long, default_value_t = 2_000)]
        rows: usize,
    },
    /// The suite's Elasticsearch indices (data-map A3): `micc-contacts`,
    /// monthly `micc-interactions-message-*`/`-voice-*`, `micc-cases-*`
    /// and `micc-directory-ad`, created with the fixture's mappings (kept
    /// if they exist) and filled with the tests' fixture (planted people
    /// among background documents). Loading the same size twice changes
    /// nothing (documents are indexed by id).
    Elasticsearch {
        /// `http://host:9200` (no authentication: a private network only).
        #[arg(long, env = "LETHE_DEMO_ES_URL")]
        url: String,
        /// Background documents per index (default: the tests' size).
        #[arg(long)]
        per_index: Option<usize>,
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
        DemoData::Mssql { ado, rows } => load_mssql(&ado, rows).await?,
        DemoData::Elasticsearch { url, per_index } => {
            use lethe_testkit::es;
            let mut cfg = es::EsConfig::default();
            if let Some(n) = per_index {
                cfg.background_per_index = n;
            }
            let fixture = es::generate(&cfg);
            let n = es::load(&url, &fixture)
                .await
                .with_context(|| format!("loading the demo indices into {url}"))?;
            eprintln!("{n} documents loaded into {}", fixture.index_list());
        }
    }
    Ok(())
}

type Tds = tiberius::Client<tokio_util::compat::Compat<tokio::net::TcpStream>>;

/// Connects to `database` (plaintext, see [`DemoData::Mssql`]).
async fn tds(ado: &str, database: &str) -> anyhow::Result<Tds> {
    use tokio_util::compat::TokioAsyncWriteCompatExt;
    let mut config = tiberius::Config::from_ado_string(ado).context("the ADO connection string")?;
    config.database(database);
    config.encryption(tiberius::EncryptionLevel::NotSupported);
    let tcp = tokio::net::TcpStream::connect(config.get_addr())
        .await
        .context("connecting to SQL Server")?;
    tcp.set_nodelay(true)?;
    tiberius::Client::connect(config, tcp.compat_write())
        .await
        .context("logging in to SQL Server")
}

async fn load_mssql(ado: &str, rows: usize) -> anyhow::Result<()> {
    use lethe_testkit::mssql::{ddl, generate, insert_batches};
    for db in ["CCMData", "CCMStatisticalData"] {
        // A database that cannot be logged in to is created first.
        let mut c = match tds(ado, db).await {
            Ok(c) => c,
            Err(_) => {
                let mut master = tds(ado, "master").await?;
                master
                    .simple_query(format!("CREATE DATABASE [{db}]"))
                    .await?
                    .into_results()
                    .await?;
                tds(ado, db).await?
            }
        };
        for stmt in ddl(db) {
            c.simple_query(stmt).await?.into_results().await?;
        }
    }
    let fixture = generate(42, rows);
    let mut loaded = 0;
    for t in &fixture.tables {
        let mut c = tds(ado, t.database).await?;
        for ins in insert_batches(t) {
            let mut q = tiberius::Query::new(ins.sql);
            for p in ins.params {
                q.bind(p);
            }
            q.execute(&mut c).await?;
        }
        loaded += t.rows.len();
    }
    eprintln!("{loaded} rows loaded into CCMData and CCMStatisticalData");
    Ok(())
}
