//! The TDS test server driven by tiberius, unchanged, over TCP.

use lethe_testkit::tds::{TdsConfig, TdsServer};
use tiberius::numeric::Numeric;
use tiberius::time::chrono::{NaiveDate, NaiveDateTime};
use tiberius::{AuthMethod, Client, ColumnData, Config, EncryptionLevel, ToSql, Uuid};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

type Conn = Client<Compat<TcpStream>>;

async fn connect_as(server: &TdsServer, db: &str, password: &str) -> tiberius::Result<Conn> {
    let mut config = Config::new();
    config.host("127.0.0.1");
    config.port(server.addr().port());
    config.database(db);
    config.authentication(AuthMethod::sql_server("sa", password));
    config.encryption(EncryptionLevel::NotSupported);
    let tcp = TcpStream::connect(server.addr()).await?;
    tcp.set_nodelay(true)?;
    Client::connect(config, tcp.compat_write()).await
}

async fn connect(server: &TdsServer, db: &str) -> Conn {
    connect_as(server, db, &TdsConfig::default().password)
        .await
        .expect("login")
}

async fn start() -> TdsServer {
    TdsServer::start(TdsConfig::default()).await.expect("start")
}

/// A `datetime` (not `datetime2`) parameter, as older clients send dates.
struct LegacyDateTime(tiberius::time::DateTime);

impl ToSql for LegacyDateTime {
    fn to_sql(&self) -> ColumnData<'_> {
        ColumnData::DateTime(Some(self.0))
    }
}

fn server_code(e: &tiberius::error::Error) -> Option<u32> {
    match e {
        tiberius::error::Error::Server(t) => Some(t.code()),
        _ => None,
    }
}

/// Runs a batch and collects all its result sets.
async fn batch(c: &mut Conn, sql: &str) -> tiberius::Result<Vec<Vec<tiberius::Row>>> {
    c.simple_query(sql).await?.into_results().await
}

async fn scalar_i32(c: &mut Conn, sql: &str) -> Option<i32> {
    let rows = batch(c, sql).await.expect(sql);
    rows[0][0].get::<i32, _>(0)
}

#[tokio::test]
async fn login_checks_password_and_database() {
    let server = start().await;
    let err = connect_as(&server, "CCMData", "wrong")
        .await
        .expect_err("wrong password fails");
    assert_eq!(server_code(&err), Some(18456), "{err}");
    let err = connect_as(&server, "NoSuchDb", &TdsConfig::default().password)
        .await
        .expect_err("unknown db");
    assert_eq!(server_code(&err), Some(4060), "{err}");
    let mut c = connect(&server, "CCMData").await;
    let row = c
        .query("SELECT 40+2", &[])
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.get::<i32, _>(0), Some(42));
    let v = batch(&mut c, "SELECT @@VERSION").await.unwrap();
    assert!(v[0][0].get::<&str, _>(0).unwrap().contains("SQL Server"));
}

#[tokio::test]
async fn every_parameter_type_round_trips_with_declared_column_types() {
    let server = start().await;
    let mut c = connect(&server, "CCMData").await;
    batch(
        &mut c,
        "CREATE TABLE dbo.t (id int NOT NULL PRIMARY KEY, big bigint, small tinyint, flag bit, \
         ratio float, name nvarchar(50), note nvarchar(max), blob varbinary(max), \
         guid uniqueidentifier, at datetime, at2 datetime2, day date, amount decimal(10,2), cost money)",
    )
    .await
    .unwrap();
    let guid = Uuid::parse_str("6f9619ff-8b86-d011-b42d-00c04fc964ff").unwrap();
    let long_note = "é".repeat(5000);
    // datetime: day 45000 after 1900-01-01 is 2023-03-17, plus one hour in 1/300 s ticks.
    let at = LegacyDateTime(tiberius::time::DateTime::new(45_000, 300 * 3600));
    let at2 = NaiveDateTime::parse_from_str("2024-02-29 13:14:15.1234567", "%Y-%m-%d %H:%M:%S%.f")
        .unwrap();
    let day = NaiveDate::from_ymd_opt(1999, 12, 31).unwrap();
    let amount = Numeric::new_with_scale(-12345, 2);
    let res = c
        .execute(
            "INSERT INTO [CCMData].[dbo].[t] (id, big, small, flag, ratio, name, note, blob, guid, at, at2, day, amount, cost) \
             VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13, @P14)",
            &[
                &1i32,
                &(1i64 << 40),
                &7u8,
                &true,
                &2.5f64,
                &"Smith, John",
                &long_note.as_str(),
                &vec![0u8, 1, 2, 255],
                &guid,
                &at,
                &at2,
                &day,
                &amount,
                &3.25f64,
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.total(), 1);
    c.execute(
        "INSERT INTO dbo.t (id, big, small, flag, ratio, name, note, blob, guid, at) \
         VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10)",
        &[
            &2i32,
            &Option::<i64>::None,
            &Option::<u8>::None,
            &Option::<bool>::None,
            &Option::<f64>::None,
            &Option::<&str>::None,
            &Option::<&str>::None,
            &Option::<Vec<u8>>::None,
            &Option::<Uuid>::None,
            &Option::<NaiveDateTime>::None,
        ],
    )
    .await
    .unwrap();
    let rows = c
        .query("SELECT * FROM t ORDER BY id", &[])
        .await
        .unwrap()
        .into_first_result()
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let r = &rows[0];
    assert_eq!(
        r.get::<i32, _>("id"),
        Some(1),
        "an int column is i32 even for small values"
    );
    assert_eq!(r.get::<i64, _>("big"), Some(1i64 << 40));
    assert_eq!(r.get::<u8, _>("small"), Some(7));
    assert_eq!(r.get::<bool, _>("flag"), Some(true));
    assert_eq!(r.get::<f64, _>("ratio"), Some(2.5));
    assert_eq!(r.get::<&str, _>("name"), Some("Smith, John"));
    assert_eq!(r.get::<&str, _>("note"), Some(long_note.as_str()));
    assert_eq!(r.get::<&[u8], _>("blob"), Some(&[0u8, 1, 2, 255][..]));
    assert_eq!(r.get::<Uuid, _>("guid"), Some(guid));
    assert_eq!(
        r.get::<NaiveDateTime, _>("at").map(|d| d.to_string()),
        Some("2023-03-17 01:00:00".to_string())
    );
    assert_eq!(r.get::<NaiveDateTime, _>("at2"), Some(at2));
    assert_eq!(r.get::<NaiveDate, _>("day"), Some(day));
    assert_eq!(r.get::<Numeric, _>("amount"), Some(amount));
    assert_eq!(r.get::<f64, _>("cost"), Some(3.25));
    let r = &rows[1];
    assert_eq!(r.get::<i64, _>("big"), None);
    assert_eq!(r.get::<&str, _>("name"), None);
    assert_eq!(r.get::<&str, _>("note"), None);
    assert_eq!(r.get::<&[u8], _>("blob"), None);
    assert_eq!(r.get::<Uuid, _>("guid"), None);
    assert_eq!(r.get::<NaiveDateTime, _>("at"), None);

    // An empty result still has typed columns.
    let empty = c
        .query("SELECT id, name FROM dbo.t WHERE id = @P1", &[&99i32])
        .await
        .unwrap()
        .into_results()
        .await
        .unwrap();
    assert_eq!(empty.len(), 1);
    assert!(empty[0].is_empty());
    let mut stream = c
        .query("SELECT id, name FROM dbo.t WHERE id = @P1", &[&99i32])
        .await
        .unwrap();
    let cols = stream.columns().await.unwrap().unwrap().to_vec();
    assert_eq!(cols[0].column_type(), tiberius::ColumnType::Int4);
    assert_eq!(cols[1].column_type(), tiberius::ColumnType::NVarchar);
    drop(stream.into_results().await.unwrap());

    // Lookups by parameter are case-insensitive, like SQL Server's default collation.
    let n = c
        .query(
            "SELECT COUNT(*) AS n FROM dbo.t WHERE name = @P1 AND guid = @P2",
            &[&"SMITH, JOHN", &guid],
        )
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.get::<i32, _>("n"), Some(1));
}

#[tokio::test]
async fn errors_then_recovery_on_the_same_connection() {
    let server = start().await;
    let mut c = connect(&server, "CCMData").await;
    let e = batch(&mut c, "SELECT * FROM dbo.missing")
        .await
        .err()
        .unwrap();
    assert_eq!(server_code(&e), Some(208), "{e}");
    let e = batch(&mut c, "SELECT nope FROM (SELECT 1 AS a)")
        .await
        .err()
        .unwrap();
    assert_eq!(server_code(&e), Some(207), "{e}");
    let e = match c.query("SELECT @P2", &[&1i32]).await {
        Ok(s) => s.into_results().await.err().unwrap(),
        Err(e) => e,
    };
    assert_eq!(server_code(&e), Some(137), "{e}");
    batch(&mut c, "CREATE TABLE dbo.k (id int PRIMARY KEY)")
        .await
        .unwrap();
    c.execute("INSERT INTO dbo.k VALUES (@P1)", &[&1i32])
        .await
        .unwrap();
    let e = c
        .execute("INSERT INTO dbo.k VALUES (@P1)", &[&1i32])
        .await
        .err()
        .unwrap();
    assert_eq!(server_code(&e), Some(2627), "{e}");
    assert_eq!(scalar_i32(&mut c, "SELECT id FROM dbo.k").await, Some(1));
}

#[tokio::test]
async fn sqlite_only_syntax_is_rejected() {
    let server = start().await;
    let mut c = connect(&server, "CCMData").await;
    batch(&mut c, "CREATE TABLE dbo.s (a nvarchar(10))")
        .await
        .unwrap();
    for (sql, near) in [
        ("SELECT a FROM dbo.s LIMIT 1", "LIMIT"),
        ("SELECT a || 'x' FROM dbo.s", "|"),
        ("SELECT a FROM dbo.s WHERE a ILIKE 'x'", "ILIKE"),
        ("DELETE FROM dbo.s RETURNING a", "RETURNING"),
    ] {
        let e = batch(&mut c, sql).await.expect_err(sql);
        assert_eq!(server_code(&e), Some(102), "{sql}: {e}");
        assert!(
            e.to_string()
                .contains(&format!("Incorrect syntax near '{near}'")),
            "{sql}: {e}"
        );
    }
    // ... while the T-SQL spellings work.
    for i in 0..5 {
        c.execute("INSERT INTO dbo.s (a) VALUES (@P1)", &[&format!("v{i}")])
            .await
            .unwrap();
    }
    let top = batch(&mut c, "SELECT TOP (2) a FROM dbo.s ORDER BY a")
        .await
        .unwrap();
    assert_eq!(top[0].len(), 2);
    let page = c
        .query(
            "SELECT a FROM dbo.s ORDER BY a OFFSET @P1 ROWS FETCH NEXT @P2 ROWS ONLY",
            &[&1i32, &3i32],
        )
        .await
        .unwrap()
        .into_first_result()
        .await
        .unwrap();
    let got: Vec<&str> = page.iter().map(|r| r.get::<&str, _>(0).unwrap()).collect();
    assert_eq!(got, ["v1", "v2", "v3"]);
    assert_eq!(
        scalar_i32(
            &mut c,
            "SELECT COUNT(*) FROM (SELECT TOP 3 a FROM dbo.s ORDER BY a) x"
        )
        .await,
        Some(3)
    );
}

#[tokio::test]
async fn results_over_four_kilobytes_and_several_result_sets() {
    let server = start().await;
    let mut c = connect(&server, "CCMStatisticalData").await;
    batch(&mut c, "CREATE TABLE dbo.big (id int, text nvarchar(200))")
        .await
        .unwrap();
    for i in 0..300i32 {
        c.execute(
            "INSERT INTO dbo.big VALUES (@P1, @P2)",
            &[&i, &format!("row {i} {}", "x".repeat(100))],
        )
        .await
        .unwrap();
    }
    let rows = batch(&mut c, "SELECT * FROM dbo.big").await.unwrap();
    assert_eq!(rows[0].len(), 300, "about 70 KB: many packets");
    assert_eq!(rows[0][299].get::<i32, _>(0), Some(299));
    let sets = batch(
        &mut c,
        "SET NOCOUNT ON; SELECT COUNT(*) FROM dbo.big; \
         SELECT id FROM dbo.big WHERE id < 2 ORDER BY id; SELECT 'x' AS s",
    )
    .await
    .unwrap();
    assert_eq!(sets.len(), 3);
    assert_eq!(sets[0][0].get::<i32, _>(0), Some(300));
    assert_eq!(sets[1].len(), 2);
    assert_eq!(sets[2][0].get::<&str, _>("s"), Some("x"));
}

#[tokio::test]
async fn transactions_roll_back_and_commit() {
    let server = start().await;
    let mut c = connect(&server, "CCMData").await;
    batch(&mut c, "CREATE TABLE dbo.tx (id int)").await.unwrap();
    batch(&mut c, "BEGIN TRAN").await.unwrap();
    c.execute("INSERT INTO dbo.tx VALUES (@P1)", &[&1i32])
        .await
        .unwrap();
    c.execute("INSERT INTO dbo.tx VALUES (@P1)", &[&2i32])
        .await
        .unwrap();
    batch(&mut c, "ROLLBACK").await.unwrap();
    assert_eq!(
        scalar_i32(&mut c, "SELECT COUNT(*) FROM dbo.tx").await,
        Some(0)
    );
    batch(
        &mut c,
        "BEGIN TRANSACTION; INSERT INTO dbo.tx VALUES (3); COMMIT TRANSACTION",
    )
    .await
    .unwrap();
    assert_eq!(
        scalar_i32(&mut c, "SELECT COUNT(*) FROM dbo.tx").await,
        Some(1)
    );
    let e = batch(&mut c, "COMMIT").await.err().unwrap();
    assert_eq!(server_code(&e), Some(3902));
}

#[tokio::test]
async fn three_part_names_across_databases() {
    let server = start().await;
    let mut c = connect(&server, "CCMData").await;
    batch(
        &mut c,
        "CREATE TABLE [CCMStatisticalData].[dbo].[stats] (id int, ani nvarchar(30)); \
         CREATE TABLE CCMData.dbo.calls (id int, ani nvarchar(30))",
    )
    .await
    .unwrap();
    c.execute(
        "INSERT INTO [CCMStatisticalData].[dbo].[stats] VALUES (@P1, @P2)",
        &[&1i32, &"+441632960001"],
    )
    .await
    .unwrap();
    c.execute(
        "INSERT INTO [CCMData].[dbo].[calls] VALUES (@P1, @P2)",
        &[&7i32, &"+441632960001"],
    )
    .await
    .unwrap();
    let rows = batch(
        &mut c,
        "SELECT c.id, s.id AS sid FROM [CCMData].[dbo].[calls] c \
         JOIN CCMStatisticalData.dbo.stats s ON s.ani = c.ani",
    )
    .await
    .unwrap();
    assert_eq!(rows[0][0].get::<i32, _>("id"), Some(7));
    // A session logged into the other database sees the same tables.
    let mut other = connect(&server, "CCMStatisticalData").await;
    assert_eq!(
        scalar_i32(&mut other, "SELECT COUNT(*) FROM dbo.stats").await,
        Some(1)
    );
    let e = batch(&mut other, "SELECT * FROM Nope.dbo.stats")
        .await
        .err()
        .unwrap();
    assert_eq!(server_code(&e), Some(208));
}

#[tokio::test]
async fn killed_connections_fail_and_new_ones_work() {
    let server = start().await;
    let mut c = connect(&server, "CCMData").await;
    batch(&mut c, "CREATE TABLE dbo.d (id int)").await.unwrap();
    batch(&mut c, "BEGIN TRAN; INSERT INTO dbo.d VALUES (1)")
        .await
        .unwrap();
    server.kill_connections();
    assert!(
        batch(&mut c, "SELECT 1").await.is_err(),
        "a killed connection fails"
    );
    let mut c = connect(&server, "CCMData").await;
    assert_eq!(
        scalar_i32(&mut c, "SELECT COUNT(*) FROM dbo.d").await,
        Some(0),
        "the open transaction rolled back"
    );

    // A deterministic drop mid-batch: the second statement never runs.
    server.drop_connection_at_statement(server.statements_executed() + 2);
    let r = batch(
        &mut c,
        "INSERT INTO dbo.d VALUES (1); INSERT INTO dbo.d VALUES (2)",
    )
    .await;
    assert!(r.is_err());
    let mut c = connect(&server, "CCMData").await;
    assert_eq!(
        scalar_i32(&mut c, "SELECT COUNT(*) FROM dbo.d").await,
        Some(1),
        "only the autocommitted first statement"
    );
}

#[tokio::test]
async fn freetds_tsql_connects() {
    let installed = std::process::Command::new("tsql")
        .arg("-C")
        .output()
        .is_ok();
    if !installed {
        // `./scripts/test` installs it; under CI a missing client fails.
        assert!(
            std::env::var_os("CI").is_none(),
            "FreeTDS tsql is not installed (Debian freetds-bin); run ./scripts/test"
        );
        eprintln!("SKIP: FreeTDS tsql is not installed (Debian freetds-bin)");
        return;
    }
    let server = start().await;
    let port = server.addr().port().to_string();
    let password = TdsConfig::default().password;
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new("tsql")
            .args(["-H", "127.0.0.1", "-p", &port, "-U", "sa", "-P", &password])
            .env("TDSVER", "7.4")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("tsql");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"SELECT 40+2\ngo\nquit\n")
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("42"),
        "tsql said: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes one single-packet TDS message.
async fn send_raw(s: &mut TcpStream, kind: u8, payload: &[u8]) {
    use tokio::io::AsyncWriteExt;
    let mut p = vec![kind, 1];
    p.extend_from_slice(&u16::try_from(payload.len() + 8).unwrap().to_be_bytes());
    p.extend_from_slice(&[0, 0, 1, 0]);
    p.extend_from_slice(payload);
    s.write_all(&p).await.unwrap();
}

/// Reads one whole reply message, packets joined.
async fn read_raw(s: &mut TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    loop {
        let mut h = [0u8; 8];
        s.read_exact(&mut h).await.unwrap();
        let mut body = vec![0u8; usize::from(u16::from_be_bytes([h[2], h[3]])) - 8];
        s.read_exact(&mut body).await.unwrap();
        out.extend_from_slice(&body);
        if h[1] & 1 == 1 {
            return out;
        }
    }
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// A minimal LOGIN7: fixed part, offset table, then user, password (scrambled) and database.
fn login7(user: &str, password: &str, db: &str) -> Vec<u8> {
    let mut fixed = vec![0u8; 94];
    fixed[4..8].copy_from_slice(&0x7400_0004u32.to_le_bytes());
    fixed[8..12].copy_from_slice(&4096u32.to_le_bytes());
    let scrambled: Vec<u8> = utf16(password)
        .into_iter()
        .map(|b| b.rotate_left(4) ^ 0xA5)
        .collect();
    let mut data = Vec::new();
    for (at, bytes) in [(40, utf16(user)), (44, scrambled), (68, utf16(db))] {
        let offset = u16::try_from(94 + data.len()).unwrap();
        fixed[at..at + 2].copy_from_slice(&offset.to_le_bytes());
        let chars = u16::try_from(bytes.len() / 2).unwrap();
        fixed[at + 2..at + 4].copy_from_slice(&chars.to_le_bytes());
        data.extend_from_slice(&bytes);
    }
    fixed.extend_from_slice(&data);
    let len = u32::try_from(fixed.len()).unwrap();
    fixed[0..4].copy_from_slice(&len.to_le_bytes());
    fixed
}

#[tokio::test]
async fn attention_is_acknowledged_and_the_session_goes_on() {
    let server = start().await;
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    send_raw(&mut s, 0x12, &[0xFF]).await;
    let pre = read_raw(&mut s).await;
    assert_eq!(
        pre[0], 0x00,
        "PRELOGIN answers with the VERSION option first"
    );
    let password = TdsConfig::default().password;
    send_raw(&mut s, 0x10, &login7("sa", &password, "CCMData")).await;
    let ack = read_raw(&mut s).await;
    let at = ack.iter().position(|b| *b == 0xAD).expect("LOGINACK");
    assert_eq!(
        &ack[at + 4..at + 8],
        &[0x74, 0, 0, 4],
        "TDS version big-endian"
    );
    send_raw(&mut s, 0x06, &[]).await;
    let done = read_raw(&mut s).await;
    assert_eq!(&done[..3], &[0xFD, 0x20, 0x00], "DONE with the ATTN bit");
    let mut batch = Vec::new();
    batch.extend_from_slice(&22u32.to_le_bytes());
    batch.extend_from_slice(&18u32.to_le_bytes());
    batch.extend_from_slice(&2u16.to_le_bytes());
    batch.extend_from_slice(&[0; 8]);
    batch.extend_from_slice(&1u32.to_le_bytes());
    batch.extend_from_slice(&utf16("SELECT 1"));
    send_raw(&mut s, 0x01, &batch).await;
    let reply = read_raw(&mut s).await;
    assert_eq!(reply[0], 0x81, "COLMETADATA");
}

#[tokio::test]
async fn identity_columns_number_rows_and_keep_their_type() {
    let server = start().await;
    let mut c = connect(&server, "CCMData").await;
    batch(
        &mut c,
        "CREATE TABLE [CCMStatisticalData].[dbo].[trace] (ID bigint IDENTITY(1,1) NOT NULL, \
         Note nvarchar(100) NULL, CONSTRAINT PK_trace PRIMARY KEY CLUSTERED (ID))",
    )
    .await
    .unwrap();
    for note in ["a", "b"] {
        c.execute(
            "INSERT INTO [CCMStatisticalData].[dbo].[trace] (Note) VALUES (@P1)",
            &[&note],
        )
        .await
        .unwrap();
    }
    let rows = batch(
        &mut c,
        "SELECT ID, Note FROM [CCMStatisticalData].[dbo].[trace] ORDER BY ID",
    )
    .await
    .unwrap();
    let ids: Vec<Option<i64>> = rows[0].iter().map(|r| r.get::<i64, _>("ID")).collect();
    assert_eq!(ids, [Some(1), Some(2)], "bigint, numbered from 1");
}
