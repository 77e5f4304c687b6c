//! The CloudLink test server's own contract, over HTTP with reqwest: the
//! token grants (JSON and form-urlencoded, one-use refresh tokens), bearer
//! tokens on every API route, the list envelope and its paging, OData
//! filters, updates and deletes, and the injected faults.

use std::time::{Duration, SystemTime};

use lethe_testkit::cloudlink::{self, CloudLinkConfig, CloudLinkServer, RetryAfter, API_VERSION};
use serde_json::{json, Value};

async fn start() -> (CloudLinkServer, cloudlink::CloudLinkFixture) {
    let fixture = cloudlink::generate(10);
    let server = CloudLinkServer::start(CloudLinkConfig::default(), &fixture).await;
    (server, fixture)
}

fn url(server: &CloudLinkServer, path: &str) -> String {
    format!("{}/{API_VERSION}/{path}", server.url())
}

async fn login(server: &CloudLinkServer) -> Value {
    let c = server.config();
    let r = reqwest::Client::new()
        .post(url(server, "token"))
        .json(&json!({
            "grant_type": "password",
            "username": c.username,
            "password": c.password,
            "account_id": c.account_id,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn get(server: &CloudLinkServer, token: &str, path: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(url(server, path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn token_grants_in_json_and_form_and_refresh_tokens_are_single_use() {
    let (server, _) = start().await;
    let t = login(&server).await;
    assert_eq!(t["token_type"], "bearer");
    assert_eq!(t["scope"], "read write");
    assert_eq!(t["expires_in"], 3700);
    let c = server.config().clone();
    let http = reqwest::Client::new();
    let form = http
        .post(url(&server, "token"))
        .form(&[
            ("grant_type", "password"),
            ("username", c.username.as_str()),
            ("password", c.password.as_str()),
            ("account_id", c.account_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let wrong = http
        .post(url(&server, "token"))
        .form(&[
            ("grant_type", "password"),
            ("username", c.username.as_str()),
            ("password", "nope"),
            ("account_id", c.account_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: Value = wrong.json().await.unwrap();
    assert!(body["message"].is_string());

    let refresh = t["refresh_token"].as_str().unwrap();
    let grant = json!({"grant_type": "refresh_token", "refresh_token": refresh});
    let r = http
        .post(url(&server, "token"))
        .json(&grant)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let fresh: Value = r.json().await.unwrap();
    assert_ne!(fresh["access_token"], t["access_token"]);
    let again = http
        .post(url(&server, "token"))
        .json(&grant)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 401, "a refresh token works once");
    assert_eq!(server.grants(), (2, 1));
}

#[tokio::test]
async fn api_routes_need_a_live_bearer_token() {
    let (server, fixture) = start().await;
    let users = format!("accounts/{}/users", fixture.account_id);
    let r = reqwest::Client::new()
        .get(url(&server, &users))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(get(&server, "made-up", &users).await.0, 401);
    assert_eq!(get(&server, "made-up", "conversations").await.0, 401);
    let t = login(&server).await;
    let token = t["access_token"].as_str().unwrap();
    assert_eq!(get(&server, token, &users).await.0, 200);
    server.expire_all_tokens();
    assert_eq!(get(&server, token, &users).await.0, 401);
    // The refresh token still works after the access token expired.
    let r = reqwest::Client::new()
        .post(url(&server, "token"))
        .json(&json!({"grant_type": "refresh_token", "refresh_token": t["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(server.count("GET users"), 4);
}

#[tokio::test]
async fn lists_page_with_top_and_skip_in_the_envelope() {
    let (server, fixture) = start().await;
    let token = login(&server).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let base = format!("accounts/{}/users", fixture.account_id);
    let mut seen = Vec::new();
    let mut skip = 0;
    loop {
        let (status, page) = get(&server, &token, &format!("{base}?$top=4&$skip={skip}")).await;
        assert_eq!(status, 200);
        let items = page["_embedded"]["items"].as_array().unwrap();
        assert_eq!(page["count"].as_u64().unwrap() as usize, items.len());
        assert!(page["_links"]["self"]["href"]
            .as_str()
            .unwrap()
            .contains("$skip="));
        seen.extend(
            items
                .iter()
                .map(|u| u["userId"].as_str().unwrap().to_owned()),
        );
        if page["_links"]["next"].is_null() {
            break;
        }
        skip += 4;
    }
    assert_eq!(seen.len(), fixture.users.len());
    assert_eq!(server.count("GET users"), 4);

    // Email filters compare case-insensitively; quotes are doubled.
    let (_, page) = get(
        &server,
        &token,
        &format!("{base}?$filter=email eq 'mjones@EXAMPLE.org'"),
    )
    .await;
    assert_eq!(page["count"], 1);
    assert_eq!(page["_embedded"]["items"][0]["lastName"], "Jones");
    let (_, none) = get(
        &server,
        &token,
        &format!("{base}?$filter=email eq 'o''x@example.com'"),
    )
    .await;
    assert_eq!(none["count"], 0);
    assert_eq!(
        get(&server, &token, &format!("{base}?$filter=name ne 'x'"))
            .await
            .0,
        400
    );

    let john = fixture.planted_by_email("john.smith@example.com");
    let (_, convs) = get(
        &server,
        &token,
        &format!("conversations?$filter=participantId eq '{}'", john.user_id),
    )
    .await;
    assert_eq!(convs["count"], 3);
    let first = convs["_embedded"]["items"][0]["conversationId"]
        .as_str()
        .unwrap();
    let (_, msgs) = get(
        &server,
        &token,
        &format!("conversations/{first}/messages?$top=2"),
    )
    .await;
    assert_eq!(msgs["count"], 2);
    assert!(msgs["_links"]["next"].is_object());
    assert_eq!(msgs["_embedded"]["items"][0]["contentType"], "text/plain");
}

#[tokio::test]
async fn updates_and_deletes_change_the_state_tests_read() {
    let (server, fixture) = start().await;
    let token = login(&server).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let http = reqwest::Client::new();
    let john = fixture.planted_by_email("john.smith@example.com");
    let path = format!("accounts/{}/users/{}", fixture.account_id, john.user_id);
    let r = http
        .patch(url(&server, &path))
        .bearer_auth(&token)
        .json(&json!({"nickname": "JS"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(server.user(&john.user_id).unwrap()["nickname"], "JS");
    assert_eq!(
        server.user(&john.user_id).unwrap()["email"],
        john.email.as_str()
    );
    let r = http
        .put(url(&server, &path))
        .bearer_auth(&token)
        .json(&json!({"name": "[ERASED]", "role": "USER"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let u = server.user(&john.user_id).unwrap();
    assert_eq!(u["name"], "[ERASED]");
    assert!(
        u["email"].is_null(),
        "PUT replaces: absent fields are cleared"
    );
    assert_eq!(u["userId"], john.user_id.as_str());

    let conv = &john.open[0];
    let r = http
        .delete(url(&server, &format!("conversations/{conv}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["conversationId"], conv.as_str());
    assert!(server
        .conversations()
        .iter()
        .all(|c| &c.conversation_id != conv));
    let r = http
        .delete(url(&server, &path))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = http
        .delete(url(&server, &path))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(server.user(&john.user_id).is_none());
}

#[tokio::test]
async fn faults_answer_first_with_retry_after_and_tokens_expire_between_pages() {
    let (server, fixture) = start().await;
    let token = login(&server).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let users = format!("accounts/{}/users", fixture.account_id);
    let date = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
    server.fail_next(1, 429, Some(RetryAfter::Seconds(3)));
    server.fail_next(1, 429, Some(RetryAfter::HttpDate(date)));
    server.fail_next(1, 503, None);
    let http = reqwest::Client::new();
    let mut headers = Vec::new();
    for _ in 0..3 {
        let r = http
            .get(url(&server, &users))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        headers.push((
            r.status().as_u16(),
            r.headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned()),
        ));
    }
    assert_eq!(
        headers,
        vec![
            (429, Some("3".to_owned())),
            (429, Some("Sun, 06 Nov 1994 08:49:37 GMT".to_owned())),
            (503, None),
        ]
    );
    assert_eq!(get(&server, &token, &users).await.0, 200);

    server.expire_tokens_after(1);
    assert_eq!(
        get(&server, &token, &format!("{users}?$top=2")).await.0,
        200
    );
    assert_eq!(
        get(&server, &token, &format!("{users}?$top=2&$skip=2"))
            .await
            .0,
        401
    );
    let log = server.requests();
    assert_eq!(log.last().unwrap().skip, Some(2));
    assert_eq!(log.last().unwrap().status, 401);
}
