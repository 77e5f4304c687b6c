//! API intake: requests per second of `POST /v1/requests` against a
//! running `lethe serve` on SQLite, beside `GET /healthz` of the same
//! server in the same run.
//!
//! The server is this package's release binary, started on a throwaway
//! SQLite file with no targets (the API alone: requests stay `received`,
//! no worker competes for the cores) and its default logging. A client in
//! this process keeps `LETHE_BENCH_CONCURRENCY` requests (default 32) in
//! flight over loopback with keep-alive until `LETHE_BENCH_REQUESTS`
//! (default 5,000) have been answered:
//!
//! - baseline: `GET /healthz`, the same server's HTTP stack, routing,
//!   middleware and JSON answer with no token and no store;
//! - lethe: `POST /v1/requests`, erasure requests for distinct subjects:
//!   token check, body validation, identifier parsing and keyed hashing,
//!   one SQLite transaction (request, identifiers, audit events), `201`.
//!
//! Client and server share the machine's cores in both halves. Peak RSS is
//! the server's `VmHWM` (from `/proc/<pid>/status`) after both halves.
//!
//! ```sh
//! cargo bench --bench intake   # or ./scripts/bench intake
//! ```

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_lethe");
const HASH_KEY: &str = "bench-intake-hash-key-bench-intake-hash-key";
const JWT_SECRET: &str = "bench-intake-jwt-secret-bench-intake-jwt-secret";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Peak RSS (`VmHWM`) of a process in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Kills the server when the bench ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What one half of the run sends.
#[derive(Clone, Copy)]
enum Call {
    Health,
    Create,
}

/// Sends `total` calls with `concurrency` in flight; returns the seconds
/// taken. Every answer must be the expected status.
async fn drive(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    call: Call,
    total: usize,
    concurrency: usize,
    offset: usize,
) -> f64 {
    let next = Arc::new(AtomicUsize::new(0));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, next) = (client.clone(), next.clone());
        let (base, token) = (base.to_owned(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let (req, want) = match call {
                    Call::Health => (client.get(format!("{base}/healthz")), 200),
                    Call::Create => {
                        let k = offset + i;
                        let body = serde_json::json!({
                            "kind": "erasure",
                            "subject": {
                                "emails": [format!("intake.{k}@example.net")],
                                "phones": [format!("07700 9{:05}", k % 100_000)],
                                "names": [format!("Intake Person{k}")],
                            },
                        });
                        (
                            client
                                .post(format!("{base}/v1/requests"))
                                .bearer_auth(&token)
                                .json(&body),
                            201,
                        )
                    }
                };
                let res = req.send().await.expect("request");
                let status = res.status().as_u16();
                let _ = res.bytes().await.expect("body");
                assert_eq!(status, want, "unexpected status");
            }
        }));
    }
    for task in tasks {
        task.await.expect("client task");
    }
    t.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let total = env_usize("LETHE_BENCH_REQUESTS", 5_000).max(1);
    let concurrency = env_usize("LETHE_BENCH_CONCURRENCY", 32).max(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("lethe.db");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let lethe = |args: &[&str]| {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env("LETHE_CONFIG", dir.path().join("absent.toml"))
            .env("LETHE__STORE__URL", format!("sqlite://{}", db.display()))
            .env("LETHE__IDENTIFIERS__HASH_KEY", HASH_KEY)
            .env("LETHE__AUTH__HS256_SECRET", JWT_SECRET)
            .env("LETHE__SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env_remove("RUST_LOG")
            .env_remove("LETHE_LOG_FILE");
        cmd
    };
    let log = dir.path().join("serve.log");
    let server = Server(
        lethe(&["serve"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("lethe serve"),
    );
    let pid = server.0.id();
    let out = lethe(&[
        "token",
        "--sub",
        "bench",
        "--role",
        "requester",
        "--ttl",
        "1h",
    ])
    .output()
    .expect("lethe token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout)
        .expect("token")
        .trim()
        .to_owned();

    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let mut ready = false;
    for _ in 0..400 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        ready,
        "lethe serve did not become ready: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    // Warm-up: connections opened, SQLite pages and allocator warm.
    let warm = (total / 10).clamp(50, 500);
    drive(&client, &base, &token, Call::Health, warm, concurrency, 0).await;
    drive(&client, &base, &token, Call::Create, warm, concurrency, 0).await;

    let health_s = drive(&client, &base, &token, Call::Health, total, concurrency, 0).await;
    let create_s = drive(
        &client,
        &base,
        &token,
        Call::Create,
        total,
        concurrency,
        warm,
    )
    .await;
    let rss = peak_rss_kib(pid);
    let (health, create) = (total as f64 / health_s, total as f64 / create_s);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("{total} requests each, {concurrency} in flight, {cores} cores, client and server on one machine");
    println!("GET /healthz:      {health:>8.0} requests/s ({health_s:.2} s)");
    println!(
        "POST /v1/requests: {create:>8.0} requests/s ({create_s:.2} s), {:.2}x healthz",
        create / health
    );
    let rss_mib = rss.map_or_else(
        || "n/a".to_owned(),
        |k| format!("{:.0} MiB", k as f64 / 1024.0),
    );
    println!("lethe serve peak RSS: {rss_mib}");
    println!(
        "RESULT\tAPI intake POST /v1/requests, {total} at {concurrency} in flight\t{create:.0} req/s\tGET /healthz {health:.0} req/s\t{:.2}x\t{rss_mib}",
        create / health
    );
}
