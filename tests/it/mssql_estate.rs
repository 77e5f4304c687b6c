//! The suite's SQL Server as the end-to-end tests set it up: the connector
//! over every preset of the TDS test server, and call recordings on disk
//! where the recording rows say they are.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lethe_testkit::tds::{TdsConfig, TdsServer};
use tokio_util::compat::TokioAsyncWriteCompatExt;

use lethe_connectors::files::recordings::RecordingRoot;
use lethe_connectors::mssql::{presets::PRESET_NAMES, Encrypt, MssqlConnector, MssqlTargetSpec};
use lethe_domain::IdentifierHasher;
use secrecy::SecretString;

use crate::estate::HASH_KEY;

/// An ADO connection string for the test server, in `database` if given
/// (then plaintext, which the test server speaks).
pub fn ado(tds: &TdsServer, database: Option<&str>) -> String {
    let mut s = format!(
        "server=tcp:127.0.0.1,{};user=sa;password={}",
        tds.addr().port(),
        TdsConfig::default().password
    );
    if let Some(db) = database {
        s.push_str(&format!(";database={db};encrypt=DANGER_PLAINTEXT"));
    }
    s
}

/// Loads the CCM demo fixture (`rows` per table) into the test server
/// with `lethe demo-data mssql`, as a user would.
pub fn load_demo(tds: &TdsServer, rows: usize) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lethe"))
        .args(["demo-data", "mssql", "--rows", &rows.to_string(), "--ado"])
        .arg(ado(tds, None))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A tiberius client logged in to `database`: a look at the data that
/// does not go through lethe.
pub async fn client(
    tds: &TdsServer,
    database: &str,
) -> tiberius::Client<tokio_util::compat::Compat<tokio::net::TcpStream>> {
    let config = tiberius::Config::from_ado_string(&ado(tds, Some(database))).unwrap();
    let tcp = tokio::net::TcpStream::connect(config.get_addr())
        .await
        .unwrap();
    tiberius::Client::connect(config, tcp.compat_write())
        .await
        .unwrap()
}

/// Where the fixture's recorder writes, as the rows name it.
pub const RECORDING_PREFIX: &str = "\\\\rec01\\calls\\";

/// The connector over every preset at `ado` (plaintext: the test server
/// has no TLS), with `recordings` as the root of [`RECORDING_PREFIX`] when
/// given.
pub fn connector(ado: &str, recordings: Option<&Path>) -> Arc<MssqlConnector> {
    let targets = PRESET_NAMES
        .iter()
        .map(|p| {
            MssqlTargetSpec {
                preset: Some((*p).to_owned()),
                url: Some(SecretString::from(format!(
                    "{ado};encrypt=DANGER_PLAINTEXT"
                ))),
                encrypt: Some(Encrypt::Off),
                recording_roots: recordings
                    .filter(|_| *p == "ccm-lc-call-recording")
                    .map(|dir| {
                        vec![RecordingRoot {
                            prefix: RECORDING_PREFIX.into(),
                            dir: dir.to_path_buf(),
                        }]
                    }),
                ..MssqlTargetSpec::default()
            }
            .resolve()
            .unwrap()
        })
        .collect();
    Arc::new(MssqlConnector::new(targets, Some(IdentifierHasher::new(HASH_KEY))).unwrap())
}

/// Writes a small file for each recording location under `dir`, as the
/// suite's recorder left them; returns their paths.
pub fn place_recordings<'a>(
    locations: impl IntoIterator<Item = &'a str>,
    dir: &Path,
) -> Vec<PathBuf> {
    locations
        .into_iter()
        .map(|loc| {
            let rest = loc
                .strip_prefix(RECORDING_PREFIX)
                .expect("every fixture recording is under the configured root");
            let path = rest.split('\\').fold(dir.to_path_buf(), |p, c| p.join(c));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, b"RIFF").unwrap();
            path
        })
        .collect()
}
