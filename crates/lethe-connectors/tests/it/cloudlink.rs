//! The cloudlink connector against the CloudLink test server over HTTP:
//! discovery, export, erasure (delete and anonymise) and verification of
//! planted employees; tokens that expire between calls and between pages;
//! 429 with both `Retry-After` forms; 5xx transient, 403 permanent; and
//! no error message holding an identifier of a subject.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lethe_connectors::cloudlink::{CloudLinkConnection, CloudLinkConnector, CloudLinkTarget};
use lethe_connectors::{BatchSubject, Connector, ConnectorError, RetryClass};
use lethe_domain::{
    IdentifierHasher, IdentifierKind, PhoneRegion, Replacement, Strategy, Subject, SubjectInput,
};
use lethe_testkit::cloudlink::{
    self, CloudLinkConfig, CloudLinkFixture, CloudLinkServer, PlantedEmployee, RetryAfter,
};

const T: &str = "cloudlink-users";

async fn start(config: CloudLinkConfig) -> (CloudLinkServer, CloudLinkFixture) {
    let fixture = cloudlink::generate(10);
    (CloudLinkServer::start(config, &fixture).await, fixture)
}

fn target(server: &CloudLinkServer) -> CloudLinkTarget {
    let c = server.config();
    let mut conn =
        CloudLinkConnection::single_host(server.url(), &c.account_id, &c.username, &c.password);
    conn.timeout = Duration::from_secs(5);
    CloudLinkTarget::new(conn)
}

fn connector(t: CloudLinkTarget) -> CloudLinkConnector {
    CloudLinkConnector::new(
        vec![t],
        Some(IdentifierHasher::new(b"cloudlink-test-key-0123")),
    )
    .unwrap()
}

fn parse(emails: &[&str], names: &[&str], ids: &[&str]) -> Subject {
    let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
    Subject::parse(
        &SubjectInput {
            emails: v(emails),
            names: v(names),
            cloudlink_user_ids: v(ids),
            ..SubjectInput::default()
        },
        PhoneRegion::parse("GB").unwrap(),
    )
    .unwrap()
}

/// The planted employee as an officer would name them: email and name.
fn by_email(p: &PlantedEmployee) -> Subject {
    parse(&[&p.email.to_uppercase()], &[&p.name()], &[])
}

fn batch(subjects: &[Subject]) -> Vec<BatchSubject> {
    subjects
        .iter()
        .map(|s| BatchSubject {
            subject: s.clone(),
            include_weak: false,
        })
        .collect()
}

/// Every identifier of the fixture's planted people, for the check that
/// no error message holds one.
fn assert_clean(e: &ConnectorError, fixture: &CloudLinkFixture) {
    let m = e.message.to_lowercase();
    for p in &fixture.planted {
        for id in [&p.email, &p.user_id, &p.first_name, &p.last_name, &p.phone] {
            assert!(
                !m.contains(&id.to_lowercase()),
                "error message holds an identifier: {}",
                e.message
            );
        }
    }
    assert!(
        !m.contains("at-") && !m.contains("bearer "),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn discovers_exports_erases_and_verifies_planted_employees() {
    let (server, fixture) = start(CloudLinkConfig::default()).await;
    let c = connector(target(&server));
    assert_eq!(c.kind(), "cloudlink");
    assert_eq!(c.targets()[0].key(), "cloudlink:cloudlink-users");
    let john = fixture.planted_by_email("john.smith@example.com");
    let mary = fixture.planted_by_email("mjones@example.org");
    let nobody = parse(&["nobody@example.com"], &[], &[]);
    let b = batch(&[by_email(john), nobody, by_email(mary)]);

    let found = c.discover(T, &b).await.unwrap();
    assert_eq!(found[0].matched, 1 + john.open.len() as u64);
    assert_eq!(found[1].matched, 0);
    assert_eq!(found[2].matched, 1 + mary.open.len() as u64);
    let places: Vec<(&str, u64)> = found[0]
        .places
        .iter()
        .map(|p| (p.place.as_str(), p.items))
        .collect();
    assert_eq!(places, vec![("users", 1), ("conversations", 2)]);
    assert!(found[0]
        .proposed
        .iter()
        .any(|p| p.kind == IdentifierKind::CloudlinkUserId && p.value == john.user_id));

    // Access: the profile and every listed conversation, closed ones too,
    // with their messages.
    let exported = c.export(T, &b).await.unwrap();
    let recs = &exported[0].records;
    assert_eq!(recs.len(), 1 + john.open.len() + john.closed.len());
    assert_eq!(recs[0]["place"], "users");
    assert_eq!(recs[0]["document"]["email"], john.email.as_str());
    assert_eq!(recs[0]["match"], "strong");
    for r in &recs[1..] {
        assert_eq!(r["place"], "conversations");
        assert_eq!(r["document"]["messages"].as_array().unwrap().len(), 3);
        assert_eq!(r["document"]["messages"][0]["contentType"], "text/plain");
    }
    assert!(exported[1].records.is_empty());

    // Erasure: open chats and the user go, closed chats stay.
    let erased = c.erase(T, &b).await.unwrap();
    assert_eq!(erased[0].affected, 1 + john.open.len() as u64);
    assert_eq!(erased[1].affected, 0);
    assert_eq!(erased[2].affected, 1 + mary.open.len() as u64);
    assert!(server.user(&john.user_id).is_none());
    assert!(server.user(&mary.user_id).is_none());
    let left = server.conversations();
    for id in john.open.iter().chain(&mary.open) {
        assert!(
            left.iter().all(|c| &c.conversation_id != id),
            "open chat kept"
        );
    }
    for id in john.closed.iter().chain(&mary.closed) {
        assert!(
            left.iter().any(|c| &c.conversation_id == id),
            "a closed chat was touched"
        );
    }
    let max = &fixture.planted[2];
    assert!(server.user(&max.user_id).is_some());
    assert_eq!(server.users().len(), fixture.users.len() - 2);

    let verified = c.verify(T, &b).await.unwrap();
    assert!(verified.iter().all(|f| f.matched == 0 && f.weak == 0));
    // Idempotent: nothing to do the second time.
    let again = c.erase(T, &b).await.unwrap();
    assert!(again.iter().all(|e| e.affected == 0));
    // A user id that no longer exists is simply not found.
    let gone = batch(&[parse(&[], &[], &[&john.user_id])]);
    assert_eq!(c.discover(T, &gone).await.unwrap()[0].matched, 0);
}

#[tokio::test]
async fn anonymise_keeps_the_user_without_personal_data() {
    let (server, fixture) = start(CloudLinkConfig::default()).await;
    let mut t = target(&server);
    t.strategy = Strategy::Anonymise {
        with: Replacement::Pseudonym,
    };
    let c = connector(t);
    let mary = fixture.planted_by_email("mjones@example.org");
    let b = batch(&[parse(&[], &[], &[&mary.user_id])]);
    let found = c.discover(T, &b).await.unwrap();
    assert_eq!(found[0].matched, 1 + mary.open.len() as u64);
    assert!(found[0]
        .proposed
        .iter()
        .any(|p| p.kind == IdentifierKind::Email));
    let before = server.user(&mary.user_id).unwrap();

    let erased = c.erase(T, &b).await.unwrap();
    assert_eq!(erased[0].affected, 1 + mary.open.len() as u64);
    let after = server
        .user(&mary.user_id)
        .expect("anonymise keeps the user");
    let pseudonym = after["name"].as_str().unwrap();
    assert!(pseudonym.starts_with("anon-"), "{pseudonym}");
    for f in ["displayName", "firstName", "lastName", "nickname"] {
        assert_eq!(after[f], pseudonym, "{f}");
    }
    for f in ["email", "phone", "mobile", "extension"] {
        assert!(after[f].is_null(), "{f} kept: {}", after[f]);
    }
    for f in ["userId", "uniqueUserId", "accountId", "role", "createdOn"] {
        assert_eq!(after[f], before[f], "{f}");
    }
    assert_eq!(server.count("PUT user"), 1);
    assert_eq!(server.count("DELETE user"), 0);
    let left = server.conversations();
    assert!(mary
        .closed
        .iter()
        .all(|id| left.iter().any(|c| &c.conversation_id == id)));
    assert!(mary
        .open
        .iter()
        .all(|id| left.iter().all(|c| &c.conversation_id != id)));

    // Verified by user id and by the old email: nothing personal is left.
    let both = batch(&[
        parse(&[], &[], &[&mary.user_id]),
        parse(&[&mary.email], &[], &[]),
    ]);
    let verified = c.verify(T, &both).await.unwrap();
    assert_eq!((verified[0].matched, verified[1].matched), (0, 0));
    assert!(c.erase(T, &b).await.unwrap()[0].affected == 0);
    assert_eq!(server.count("PUT user"), 1, "anonymised twice");
}

#[tokio::test]
async fn names_are_weak_and_found_only_with_scan_names() {
    let (server, fixture) = start(CloudLinkConfig::default()).await;
    let john = fixture.planted_by_email("john.smith@example.com");
    let by_name = batch(&[parse(&[], &["John Smith"], &[])]);
    let off = connector(target(&server));
    assert_eq!(off.discover(T, &by_name).await.unwrap()[0].weak, 0);
    let mut t = target(&server);
    t.scan_names = true;
    t.page_size = 3;
    let on = connector(t);
    let found = on.discover(T, &by_name).await.unwrap();
    assert_eq!(
        (found[0].matched, found[0].weak),
        (0, 1 + john.open.len() as u64)
    );
    // Weak matches are not erased unless the step includes them.
    assert_eq!(on.erase(T, &by_name).await.unwrap()[0].affected, 0);
    assert!(server.user(&john.user_id).is_some());
}

#[tokio::test]
async fn expired_tokens_are_renewed_transparently() {
    let (server, fixture) = start(CloudLinkConfig::default()).await;
    let mut t = target(&server);
    t.scan_names = true;
    t.page_size = 3;
    let c = connector(t);
    let john = fixture.planted_by_email("john.smith@example.com");
    let b = batch(&[by_email(john)]);
    let want = c.discover(T, &b).await.unwrap();
    assert_eq!(server.grants(), (1, 0));

    // Between two calls: a 401, one refresh, the call repeated.
    server.expire_all_tokens();
    assert_eq!(c.discover(T, &b).await.unwrap(), want);
    assert_eq!(server.grants(), (1, 1));
    assert!(server.requests().iter().any(|s| s.status == 401));

    // Between two pages of one listing.
    server.expire_tokens_after(2);
    assert_eq!(c.discover(T, &b).await.unwrap(), want);
    assert_eq!(server.grants(), (1, 2));
    let log = server.requests();
    let refused = log
        .iter()
        .rposition(|s| s.status == 401)
        .expect("a 401 mid-listing");
    assert_eq!(log[refused].route, "GET users");
    assert!(
        log[refused].skip.unwrap_or(0) > 0,
        "expired before a later page"
    );
    assert_eq!(log[refused + 1].route, "POST token");
    assert_eq!(
        log[refused + 2].skip,
        log[refused].skip,
        "the page is asked again"
    );

    // Refresh token refused too: log in again with the password.
    server.revoke_all_tokens();
    assert_eq!(c.discover(T, &b).await.unwrap(), want);
    assert_eq!(server.grants(), (2, 2));
}

#[tokio::test]
async fn tokens_are_refreshed_before_they_expire() {
    let (server, fixture) = start(CloudLinkConfig {
        expires_in: 1,
        ..CloudLinkConfig::default()
    })
    .await;
    let c = connector(target(&server));
    let b = batch(&[by_email(&fixture.planted[0])]);
    c.discover(T, &b).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    c.discover(T, &b).await.unwrap();
    assert_eq!(server.grants(), (1, 1));
    assert!(
        server.requests().iter().all(|s| s.status != 401),
        "renewed only after a 401"
    );
}

#[tokio::test]
async fn rate_limits_wait_as_long_as_retry_after_says() {
    let (server, fixture) = start(CloudLinkConfig::default()).await;
    let c = connector(target(&server));
    let b = batch(&[by_email(&fixture.planted[0])]);
    let want = c.discover(T, &b).await.unwrap();

    // Seconds.
    server.fail_next(1, 429, Some(RetryAfter::Seconds(1)));
    assert_eq!(c.discover(T, &b).await.unwrap(), want);
    let log = server.requests();
    let i = log.iter().position(|s| s.status == 429).unwrap();
    assert!(
        log[i + 1].at.duration_since(log[i].at) >= Duration::from_secs(1),
        "retried after {:?}",
        log[i + 1].at.duration_since(log[i].at)
    );

    // An HTTP date, whole seconds, about two seconds ahead.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let date = UNIX_EPOCH + Duration::from_secs(now + 2);
    server.fail_next(1, 429, Some(RetryAfter::HttpDate(date)));
    assert_eq!(c.discover(T, &b).await.unwrap(), want);
    let log = server.requests();
    let i = log.iter().rposition(|s| s.status == 429).unwrap();
    assert!(log[i + 1].wall >= date, "retried before the date");
    assert_eq!(log[i + 1].route, log[i].route);

    // Longer than the cap: handed back to the worker, saying how long.
    let mut t = target(&server);
    t.connection.retry_after_cap = Duration::from_secs(1);
    let capped = connector(t);
    server.fail_next(1, 429, Some(RetryAfter::Seconds(30)));
    let e = capped.discover(T, &b).await.unwrap_err();
    assert_eq!(e.class, RetryClass::Transient);
    assert!(
        e.message.contains("429") && e.message.contains("30 s"),
        "{}",
        e.message
    );
    assert_clean(&e, &fixture);
}

#[tokio::test]
async fn server_errors_are_transient_and_refusals_permanent_without_identifiers() {
    let (server, fixture) = start(CloudLinkConfig::default()).await;
    let c = connector(target(&server));
    let john = fixture.planted_by_email("john.smith@example.com");
    let b = batch(&[
        by_email(john),
        parse(&["o'brien@example.com"], &[], &[&john.user_id]),
    ]);
    c.discover(T, &b).await.unwrap();
    let mut errors = Vec::new();

    server.fail_next(1, 503, None);
    let e = c.discover(T, &b).await.unwrap_err();
    assert_eq!(e.class, RetryClass::Transient);
    assert!(e.message.contains("HTTP 503"), "{}", e.message);
    errors.push(e);

    server.fail_next(1, 403, None);
    let e = c.discover(T, &b).await.unwrap_err();
    assert_eq!(e.class, RetryClass::Permanent);
    assert!(
        e.message.contains("GET users") && e.message.contains("403") && e.message.contains("role"),
        "{}",
        e.message
    );
    errors.push(e);

    // Wrong password: permanent, says what to check.
    let mut t = target(&server);
    t.connection.password = "wrong".to_owned().into();
    let e = connector(t).discover(T, &b).await.unwrap_err();
    assert_eq!(e.class, RetryClass::Permanent);
    assert!(e.message.contains("password_env"), "{}", e.message);
    errors.push(e);

    // Nothing listens: transient.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let c2 = connector(CloudLinkTarget::new(CloudLinkConnection::single_host(
        &format!("http://{dead}"),
        "acc",
        "u",
        "p",
    )));
    let e = c2.discover(T, &b).await.unwrap_err();
    assert_eq!(e.class, RetryClass::Transient);
    assert!(e.message.contains("cannot connect"), "{}", e.message);
    errors.push(e);

    for e in &errors {
        assert_clean(e, &fixture);
        assert!(!e.message.contains("brien"), "{}", e.message);
    }
}

#[tokio::test]
async fn a_refused_delete_names_its_route_and_a_retry_finishes_the_work() {
    let (server, fixture) = start(CloudLinkConfig::default()).await;
    let c = connector(target(&server));
    let john = fixture.planted_by_email("john.smith@example.com");
    let b = batch(&[by_email(john)]);
    server.fail_next_on("DELETE conversation", 1, 503, None);
    let e = c.erase(T, &b).await.unwrap_err();
    assert_eq!(e.class, RetryClass::Transient);
    assert!(
        e.message
            .starts_with("cloudlink DELETE conversations/{conversationId}: HTTP 503"),
        "{}",
        e.message
    );
    assert!(
        server.user(&john.user_id).is_some(),
        "user deleted before its chats"
    );

    server.fail_next_on("DELETE user", 1, 403, None);
    let e = c.erase(T, &b).await.unwrap_err();
    assert_eq!(e.class, RetryClass::Permanent);
    assert!(
        e.message
            .starts_with("cloudlink DELETE users/{userId}: HTTP 403"),
        "{}",
        e.message
    );
    assert_clean(&e, &fixture);
    // The open chats went first; the user is still there to find them by.
    assert!(server.user(&john.user_id).is_some());
    assert_eq!(c.discover(T, &b).await.unwrap()[0].matched, 1);
    assert_eq!(c.erase(T, &b).await.unwrap()[0].affected, 1);
    assert!(server.user(&john.user_id).is_none());
    assert_eq!(c.verify(T, &b).await.unwrap()[0].matched, 0);
}
