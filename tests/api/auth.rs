//! Sign-up, log-in and token checks.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{CatalogChoice, TestApp};

async fn error_of(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    (status, body["error"].clone())
}

#[tokio::test]
async fn signup_then_login_gives_a_bearer_token() {
    let app = TestApp::spawn().await;
    let res = app.signup("  Ann@Example.com ", "long enough").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    assert!(body["user_id"].as_i64().unwrap() > 0);
    assert_eq!(body["email"], "ann@example.com");

    let res = app.login("ann@example.com", "long enough").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 24 * 3600);
    let token = body["access_token"].as_str().unwrap();
    let me: Value = app.get("/api/auth/me", token).await.json().await.unwrap();
    assert_eq!(me["email"], "ann@example.com");
}

#[tokio::test]
async fn duplicate_email_is_409_even_with_other_case() {
    let app = TestApp::spawn().await;
    assert_eq!(app.signup("bob@example.com", "long enough").await.status(), StatusCode::CREATED);
    let (status, error) = error_of(app.signup("BOB@example.com", "other password").await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["code"], "email_taken");
    assert_eq!(error["field"], "email");
}

#[tokio::test]
async fn invalid_email_and_short_password_are_422_naming_the_field() {
    let app = TestApp::spawn().await;
    for bad in ["", "not-an-email", "a@b", "two@@example.com"] {
        let (status, error) = error_of(app.signup(bad, "long enough").await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert_eq!(error["field"], "email");
    }
    let (status, error) = error_of(app.signup("carol@example.com", "1234567").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "password");
    assert!(error["message"].as_str().unwrap().contains("8 characters"));
    // Nothing was created: the address is still free.
    assert_eq!(app.signup("carol@example.com", "12345678").await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn malformed_bodies_are_refused_with_json_errors() {
    let app = TestApp::spawn().await;
    let res = app
        .api
        .post(app.url("/api/auth/signup"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], "bad_request");
    let res = app
        .api
        .post(app.url("/api/auth/signup"))
        .header("content-type", "application/json")
        .body(r#"{"email": 5, "password": "long enough"}"#)
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "email");
    let res = app.api.post(app.url("/api/auth/signup")).body("email=a").send().await.unwrap();
    assert_eq!(error_of(res).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_401() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let (s1, e1) = error_of(app.login(&user.email, "wrong password").await).await;
    let (s2, e2) = error_of(app.login("nobody@example.com", "wrong password").await).await;
    let (s3, e3) = error_of(app.login("not an email", "x").await).await;
    assert_eq!((s1, s2, s3), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(e1, e2);
    assert_eq!(e1, e3);
    assert_eq!(e1["message"], "wrong e-mail or password");
}

fn jwt_secret(app: &TestApp) -> Vec<u8> {
    std::fs::read_to_string(app.dir.path().join("jwt_secret")).unwrap().trim().as_bytes().to_vec()
}

fn sign(claims: Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &jsonwebtoken::EncodingKey::from_secret(secret))
        .unwrap()
}

#[tokio::test]
async fn missing_expired_tampered_and_unsigned_tokens_are_401() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let me: Value = app.get("/api/auth/me", &user.token).await.json().await.unwrap();
    let sub = me["user_id"].to_string();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;

    let res = app.api.get(app.url("/api/files")).send().await.unwrap();
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["code"], "unauthorized");

    let res = app.api.get(app.url("/api/files")).header("authorization", "Basic abc").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let expired = sign(
        serde_json::json!({"sub": sub, "email": user.email, "iat": now - 7200, "exp": now - 3600}),
        &jwt_secret(&app),
    );
    assert_eq!(app.get("/api/files", &expired).await.status(), StatusCode::UNAUTHORIZED);

    // The same claims pass when signed with the server's secret and fail with any other.
    let fresh =
        sign(serde_json::json!({"sub": sub, "email": user.email, "iat": now, "exp": now + 60}), &jwt_secret(&app));
    assert_eq!(app.get("/api/files", &fresh).await.status(), StatusCode::OK);
    let forged = sign(
        serde_json::json!({"sub": sub, "email": user.email, "iat": now, "exp": now + 60}),
        b"not the server's secret at all!!",
    );
    assert_eq!(app.get("/api/files", &forged).await.status(), StatusCode::UNAUTHORIZED);

    let mut parts: Vec<String> = user.token.split('.').map(str::to_string).collect();
    let last = parts[2].pop().unwrap();
    parts[2].push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(app.get("/api/files", &parts.join(".")).await.status(), StatusCode::UNAUTHORIZED);

    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let payload = b64(&serde_json::json!({"sub": sub, "email": user.email, "iat": now, "exp": now + 3600}).to_string());
    let none = format!("{}.{payload}.", b64(r#"{"alg":"none","typ":"JWT"}"#));
    assert_eq!(app.get("/api/files", &none).await.status(), StatusCode::UNAUTHORIZED);
}

/// Password hashes run a few at a time (`auth.password_hash_concurrency`); a login that cannot
/// get its turn within `auth.password_hash_wait` is 503 with `Retry-After`, never a 500, and
/// sign-ups and logins work again once the crowd is gone.
#[tokio::test]
async fn logins_beyond_the_hashing_slots_wait_or_get_503_with_retry_after() {
    let Some(app) = TestApp::builder()
        .settings(
            "[auth]\npassword_hash_concurrency = 1\npassword_hash_wait = \"1ms\"\nlogin_failures_per_account = 1000\n",
        )
        .spawn()
        .await
    else {
        return;
    };
    assert_eq!(app.signup("dan@example.com", "long enough").await.status(), StatusCode::CREATED);
    let logins = (0..16).map(|_| app.login("dan@example.com", "wrong password"));
    let answers = futures::future::join_all(logins).await;
    let mut busy = 0;
    for res in answers {
        match res.status() {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                let retry_after = res.headers().get("retry-after").unwrap().to_str().unwrap().to_string();
                assert!(retry_after.parse::<u64>().unwrap() >= 1);
                assert_eq!(error_of(res).await.1["code"], "busy");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(busy > 0, "16 logins at once on one slot with a 1 ms wait: some must be refused");
    assert_eq!(app.login("dan@example.com", "long enough").await.status(), StatusCode::OK);
}

/// Failed logins per account are counted in the catalog: past the limit every attempt, the
/// right password too, is 429 with `Retry-After` until the window has passed; then the right
/// password works, and a proven password starts the count again.
async fn failed_logins_lock_the_account_for_the_window(catalog: CatalogChoice) {
    let settings = "[auth]\nlogin_failures_per_account = 5\nlogin_failure_window = \"2s\"\n";
    let Some(app) = TestApp::builder().catalog(catalog).settings(settings).spawn().await else { return };
    assert_eq!(app.signup("eve@example.com", "long enough").await.status(), StatusCode::CREATED);
    for _ in 0..5 {
        assert_eq!(app.login("eve@example.com", "wrong password").await.status(), StatusCode::UNAUTHORIZED);
    }
    for password in ["wrong password", "long enough"] {
        let res = app.login("eve@example.com", password).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{password}");
        let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=2).contains(&retry_after), "{retry_after}");
        assert_eq!(error_of(res).await.1["code"], "rate_limited");
    }
    // Another account is not affected.
    assert_eq!(app.signup("fay@example.com", "long enough").await.status(), StatusCode::CREATED);
    assert_eq!(app.login("fay@example.com", "long enough").await.status(), StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(app.login("eve@example.com", "long enough").await.status(), StatusCode::OK);
    for _ in 0..5 {
        assert_eq!(app.login("eve@example.com", "wrong password").await.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn failed_logins_lock_the_account_for_the_window_on_sqlite() {
    failed_logins_lock_the_account_for_the_window(CatalogChoice::Sqlite).await;
}

#[tokio::test]
async fn failed_logins_lock_the_account_for_the_window_on_postgres() {
    failed_logins_lock_the_account_for_the_window(CatalogChoice::Postgres).await;
}

/// Concurrent wrong guesses cannot pass the account's limit together: the count is taken in
/// one statement before the password is checked.
#[tokio::test]
async fn concurrent_guesses_are_counted_before_they_are_checked() {
    let settings = "[auth]\nlogin_failures_per_account = 5\nlogin_attempts_per_address = 1000\n";
    let Some(app) = TestApp::builder().catalog(CatalogChoice::Postgres).settings(settings).spawn().await else {
        return;
    };
    assert_eq!(app.signup("gus@example.com", "long enough").await.status(), StatusCode::CREATED);
    let guesses = futures::future::join_all((0..40).map(|_| app.login("gus@example.com", "wrong password"))).await;
    let checked = guesses.iter().filter(|r| r.status() == StatusCode::UNAUTHORIZED).count();
    let refused = guesses.iter().filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((checked, refused), (5, 35));
}

/// Per client address: sign-ups per hour and login attempts per minute, 429 with `Retry-After`
/// past them (governor's token buckets).
#[tokio::test]
async fn signups_and_logins_per_address_are_limited() {
    let settings = "[auth]\nsignups_per_address = 2\nlogin_attempts_per_address = 3\n";
    let Some(app) = TestApp::builder().settings(settings).spawn().await else { return };
    // Refused input takes nothing of the allowance.
    for _ in 0..3 {
        assert_eq!(app.signup("not an e-mail", "long enough").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(app.signup("h1@example.com", "long enough").await.status(), StatusCode::CREATED);
    assert_eq!(app.signup("h2@example.com", "long enough").await.status(), StatusCode::CREATED);
    let res = app.signup("h3@example.com", "long enough").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    for _ in 0..3 {
        assert_ne!(app.login("h1@example.com", "long enough").await.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let res = app.login("h1@example.com", "long enough").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
}

/// A login that never reached the password check (503 busy) is not counted against the
/// account: a client that obeys Retry-After during a flood does not lock itself out.
#[tokio::test]
async fn logins_refused_as_busy_do_not_count_against_the_account() {
    let settings =
        "[auth]\npassword_hash_concurrency = 1\npassword_hash_wait = \"1ms\"\nlogin_failures_per_account = 3\n\
                    login_attempts_per_address = 100000\n";
    let Some(app) = TestApp::builder().settings(settings).spawn().await else { return };
    assert_eq!(app.signup("ivy@example.com", "long enough").await.status(), StatusCode::CREATED);
    let emails: Vec<String> = (0..200).map(|i| format!("nobody{i}@example.com")).collect();
    let flood = futures::future::join_all(emails.iter().map(|e| app.login(e, "x")));
    let victim = async {
        let mut seen = Vec::new();
        for _ in 0..8 {
            seen.push(app.login("ivy@example.com", "long enough").await.status());
        }
        seen
    };
    let (_, seen) = tokio::join!(flood, victim);
    assert!(!seen.contains(&StatusCode::TOO_MANY_REQUESTS), "{seen:?}");
    assert!(seen.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::SERVICE_UNAVAILABLE), "{seen:?}");
    assert_eq!(app.login("ivy@example.com", "long enough").await.status(), StatusCode::OK);
}
