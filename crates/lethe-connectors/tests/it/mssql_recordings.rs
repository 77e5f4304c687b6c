//! Call recordings named by `tblData_LC_CallRecording.RecordingLocation`
//! (TDS test server): a planted caller's recordings under a configured root
//! are deleted with their rows; one stored elsewhere, and one whose path
//! climbs out with `..`, become follow-ups for a person and are never
//! touched; nobody else's recording is.

use std::path::Path;

use lethe_connectors::files::recordings::RecordingRoot;
use lethe_connectors::mssql::{Encrypt, MssqlConnector, MssqlTargetSpec};
use lethe_connectors::Connector;
use lethe_testkit::tds::TdsServer;
use secrecy::SecretString;

use super::mssql::{batch, client, estate, scalar};

const TARGET: &str = "ccm-lc-call-recording";

fn connector(server: &TdsServer, root: &Path) -> MssqlConnector {
    let ado = format!(
        "server=tcp:127.0.0.1,{};user=sa;password=Lethe-Test-1;encrypt=DANGER_PLAINTEXT",
        server.addr().port()
    );
    let target = MssqlTargetSpec {
        preset: Some(TARGET.to_owned()),
        url: Some(SecretString::from(ado)),
        encrypt: Some(Encrypt::Off),
        recording_roots: Some(vec![RecordingRoot {
            prefix: "\\\\rec01\\calls\\".into(),
            dir: root.to_path_buf(),
        }]),
        ..MssqlTargetSpec::default()
    }
    .resolve()
    .unwrap();
    MssqlConnector::new(vec![target], None).unwrap()
}

async fn locations(server: &TdsServer, filter: &str) -> Vec<String> {
    let mut c = client(server, "CCMStatisticalData").await;
    let rows = c
        .simple_query(format!(
            "select RecordingLocation from dbo.tblData_LC_CallRecording where {filter} order by Pkey"
        ))
        .await
        .unwrap()
        .into_first_result()
        .await
        .unwrap();
    rows.iter()
        .filter_map(|r| r.get::<&str, _>(0).map(str::to_owned))
        .collect()
}

async fn exec(server: &TdsServer, sql: &str) {
    let mut c = client(server, "CCMStatisticalData").await;
    c.simple_query(sql)
        .await
        .unwrap()
        .into_results()
        .await
        .unwrap();
}

/// The local path of a `\\rec01\calls\...` location under `root`.
fn local(root: &Path, location: &str) -> std::path::PathBuf {
    let rest = location.trim_start_matches("\\\\rec01\\calls\\");
    rest.split('\\').fold(root.to_path_buf(), |p, c| p.join(c))
}

fn write(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, b"RIFF....WAVEfmt ").unwrap();
}

#[tokio::test]
async fn recordings_under_a_root_go_with_their_rows_and_the_rest_go_to_a_person() {
    let (server, fixture) = estate(20).await;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("calls");
    std::fs::create_dir(&root).unwrap();
    let p = &fixture.planted[0];
    let digits = p.plant.national_digits().unwrap();
    // Three more recordings of the caller beside the fixture's.
    for i in 1..=3 {
        exec(
            &server,
            &format!(
                "insert into dbo.tblData_LC_CallRecording (Pkey, Duration, RecordingID, RecordingLocation) values ('6f1c2a3e-0000-4000-8000-00000000000{i}', 60, 'T{i}', '\\\\rec01\\calls\\2024\\05\\0{i}\\{digits}_t{i}.wav')"
            ),
        )
        .await;
    }
    // Every shape of the number holds its last seven digits.
    let last7 = p.last7();
    let mine = locations(&server, &format!("RecordingLocation like '%{last7}%'")).await;
    assert!(mine.len() >= 4, "{} recordings", mine.len());
    // One of the caller's recordings is on another server, one climbs out
    // of the root; a decoy sits where the climb would land.
    exec(
        &server,
        &format!(
            "update dbo.tblData_LC_CallRecording set RecordingLocation = '\\\\rec02\\archive\\{digits}_old.wav' where RecordingLocation = '{}'",
            mine[0]
        ),
    )
    .await;
    exec(
        &server,
        &format!(
            "update dbo.tblData_LC_CallRecording set RecordingLocation = '\\\\rec01\\calls\\..\\keep\\{digits}_x.wav' where RecordingLocation = '{}'",
            mine[1]
        ),
    )
    .await;
    let decoy = tmp.path().join("keep").join(format!("{digits}_x.wav"));
    write(&decoy);
    let local_mine: Vec<_> = mine[2..].iter().map(|l| local(&root, l)).collect();
    for f in &local_mine {
        write(f);
    }
    // Somebody else's recording under the same root.
    let others = locations(&server, &format!("RecordingLocation not like '%{last7}%'")).await;
    let other = local(&root, &others[0]);
    write(&other);

    let c = connector(&server, &root);
    let b = batch(&fixture, &[0]);
    let found = c.discover(TARGET, &b).await.unwrap();
    assert_eq!(found[0].matched as usize, mine.len());
    assert_eq!(found[0].follow_ups.len(), 2, "{:?}", found[0]);
    let texts: Vec<&str> = found[0].follow_ups.iter().map(|f| f.0.as_str()).collect();
    assert!(texts
        .iter()
        .any(|t| t.contains("\\\\rec02\\archive\\") && t.contains("outside")));
    assert!(texts
        .iter()
        .any(|t| t.contains("..") && t.contains("refused")));

    let erased = c.erase(TARGET, &b).await.unwrap();
    assert_eq!(erased[0].affected as usize, mine.len());
    for f in &local_mine {
        assert!(!f.exists(), "{} was not deleted", f.display());
    }
    assert!(decoy.exists(), "a path with `..` was followed");
    assert!(other.exists(), "somebody else's recording was deleted");
    assert_eq!(c.verify(TARGET, &b).await.unwrap()[0].matched, 0);
    assert_eq!(
        scalar(
            &server,
            "CCMStatisticalData",
            &format!("select count(*) from dbo.tblData_LC_CallRecording where RecordingLocation like '%{last7}%'"),
        )
        .await,
        0
    );
    // Again: nothing left to do, nothing fails.
    assert_eq!(c.erase(TARGET, &b).await.unwrap()[0].affected, 0);
}

#[test]
fn recording_roots_are_validated() {
    let spec = |dir: &str, column: Option<&str>| MssqlTargetSpec {
        preset: Some(TARGET.to_owned()),
        url: Some(SecretString::from(
            "server=tcp:127.0.0.1,1433;user=sa;password=x".to_owned(),
        )),
        encrypt: Some(Encrypt::Off),
        recording_roots: Some(vec![RecordingRoot {
            prefix: "\\\\rec01\\calls\\".into(),
            dir: dir.into(),
        }]),
        recording_column: column.map(str::to_owned),
        ..MssqlTargetSpec::default()
    };
    let e = spec("relative/dir", None).resolve().unwrap_err();
    assert!(e.contains("absolute"), "{e}");
    let e = spec("/srv/rec", Some("NoSuchColumn"))
        .resolve()
        .unwrap_err();
    assert!(e.contains("recording_column"), "{e}");
    let ok = spec("/srv/rec", None).resolve();
    assert!(ok.is_ok(), "{:?}", ok.err());
}
