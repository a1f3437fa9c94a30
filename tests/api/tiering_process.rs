//! Tiering as separate processes: `tiergate tiering run-now` killed with SIGKILL again and
//! again, and `/metrics` of a real `tiergate serve` checked by promtool against the run records.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tiergate_core::domain::{BucketName, ObjectKey, UserId};
use tiergate_core::objects::ObjectWrite;
use tiergate_core::settings::Settings;
use tiergate_core::Core;

use crate::helpers::{fresh_postgres_db, random_bytes, services_required, S3Target};

const OBJECTS: usize = 560;

fn size_of(i: usize) -> usize {
    8 * 1024 + i * 61
}

fn settings_toml(dir: &Path) -> String {
    format!(
        "[server]\ndata_dir = \"{}\"\n[tiering]\nlease_ttl = \"1s\"\nbatch_size = 7\nconcurrency = 2\ndelete_hot_after_copy = true\n\
         [gc]\ngrace = \"0s\"\n",
        dir.join("data").display()
    )
}

fn run_now(dir: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_tiergate"))
        .args(["--config", "tiergate.toml", "tiering", "run-now"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn a_pass_killed_twenty_times_loses_nothing_and_switches_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let toml = settings_toml(dir.path());
    std::fs::write(dir.path().join("tiergate.toml"), &toml).unwrap();
    let core = Core::open(Settings::defaults_with(&toml).unwrap()).await.unwrap();
    let email = tiergate_core::domain::Email::parse("kill@example.com").unwrap();
    let files = BucketName::parse("files").unwrap();
    let user: UserId = core.catalog.create_user(&email, "unused-hash", &files).await.unwrap();
    let bucket = core.catalog.bucket(user, &files).await.unwrap().unwrap();
    for i in 0..OBJECTS {
        let write = ObjectWrite {
            owner: user,
            bucket: bucket.clone(),
            key: ObjectKey::parse(&format!("obj-{i:03}")).unwrap(),
            content_type: None,
            user_metadata: Default::default(),
            headers: Default::default(),
            original_filename: None,
            tags: Default::default(),
            content_length: None,
            max_bytes: None,
            expected_md5: None,
            condition: Default::default(),
        };
        let body: tiergate_core::storage::ByteStream =
            Box::pin(futures::stream::iter([Ok(bytes::Bytes::from(random_bytes(size_of(i))))]));
        core.put_object(write, body).await.unwrap();
    }

    // Kill a pass at a random point of its run, twenty times: after it has moved a random
    // number of objects, so every kill lands mid-pass whatever the machine's speed.
    let cold_count = || async { core.catalog.tier_totals(None).await.unwrap()[1].1.objects as usize };
    let mut seed: u64 = 0x5eed;
    for round in 0..20 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let step = 5 + (seed >> 33) as usize % 21;
        let before = cold_count().await;
        let mut child = run_now(dir.path());
        let started = std::time::Instant::now();
        loop {
            if cold_count().await >= before + step || child.try_wait().unwrap().is_some() {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "the pass made no progress");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        let status = child.wait().unwrap();
        let after = cold_count().await;
        eprintln!("round {round}: killed after {} objects, {after} cold", after - before);
        assert!(after < OBJECTS && !status.success(), "round {round} was killed mid-pass");
        // The dead pass's lease runs out before the next one may start.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }

    // Then a pass that is let finish.
    let mut finished = false;
    for _ in 0..30 {
        let status = run_now(dir.path()).wait().unwrap();
        if status.success() {
            finished = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(finished, "a pass could complete after the kills");

    // Every object is cold, readable, with its bytes.
    for i in 0..OBJECTS {
        let object = core.catalog.object(user, bucket.id, &format!("obj-{i:03}")).await.unwrap().unwrap();
        assert_eq!(object.tier, tiergate_core::domain::Tier::Cold, "obj-{i:03}");
        let (_, mut stream) = core.open_object(&object, None).await.unwrap();
        let mut read = Vec::new();
        while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
            read.extend_from_slice(&chunk.unwrap());
        }
        assert!(read == random_bytes(size_of(i)), "obj-{i:03} has other bytes");
    }
    // Garbage collected: exactly one cold copy per object, no hot copies, nothing queued.
    core.collect_garbage().await.unwrap();
    assert_eq!(core.catalog.gc_pending().await.unwrap(), 0);
    let count = |tier: &str| walkdir_count(&dir.path().join("data").join(tier));
    assert_eq!(count("cold"), OBJECTS, "one cold copy each: none switched twice, no orphans left");
    assert_eq!(count("hot"), 0);
    let (runs, _) = core.catalog.tiering_runs(100, 0).await.unwrap();
    assert_eq!(runs[0].status, "succeeded");
    assert!(runs.iter().all(|r| r.status != "running"), "interrupted runs are closed");
}

/// Data files under an fs tier (not sidecars, temporary files or multipart folders).
fn walkdir_count(root: &Path) -> usize {
    fn walk(dir: &Path, top: bool) -> usize {
        let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
        entries
            .flatten()
            .map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                if e.path().is_dir() {
                    if top && (name == ".tmp" || name == ".multipart") {
                        0
                    } else {
                        walk(&e.path(), false)
                    }
                } else if name.ends_with(".meta.json") {
                    0
                } else {
                    1
                }
            })
            .sum()
    }
    walk(root, true)
}

fn metric(text: &str, name_and_labels: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(name_and_labels) && l[name_and_labels.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name_and_labels} in /metrics"))
}

#[tokio::test]
async fn metrics_pass_promtool_and_match_the_run_records() {
    let promtool = Command::new("promtool").arg("--version").output();
    if promtool.is_err() {
        assert!(
            !services_required(),
            "promtool is not installed (scripts/services.sh install), and TIERGATE_REQUIRE_SERVICES=1"
        );
        eprintln!("skipping: promtool is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let gateway = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let log_path = dir.path().join("tiergate.log");
    // On Postgres when there is one: its connections are opened by whichever runtime needs one
    // first (the gateway's serving threads have their own), and a stop must close them cleanly.
    let catalog = fresh_postgres_db().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tiergate"))
        .arg("serve")
        .envs(catalog.map(|url| ("TIERGATE_CATALOG__URL", url)))
        .current_dir(dir.path())
        .env("TIERGATE_SERVER__CONTROL_PLANE_ADDR", format!("127.0.0.1:{port}"))
        .env("TIERGATE_SERVER__GATEWAY_ADDR", format!("127.0.0.1:{gateway}"))
        .env("TIERGATE_AUTH__ADMINS", "[\"ops@example.com\"]")
        .env_remove("RUST_LOG")
        .stdout(std::fs::File::create(&log_path).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up);
    let creds = serde_json::json!({ "email": "ops@example.com", "password": "long enough" });
    client.post(format!("{base}/api/auth/signup")).json(&creds).send().await.unwrap();
    let login: Value =
        client.post(format!("{base}/api/auth/login")).json(&creds).send().await.unwrap().json().await.unwrap();
    let token = login["access_token"].as_str().unwrap().to_string();
    for (name, size) in [("a", 10), ("b", 2000), ("c", 300_000)] {
        let part = reqwest::multipart::Part::bytes(random_bytes(size)).file_name(name.to_string());
        let res = client
            .post(format!("{base}/api/files/upload"))
            .bearer_auth(&token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let res = client.post(format!("{base}/api/tiering/run")).bearer_auth(&token).send().await.unwrap();
    let run_id = res.json::<Value>().await.unwrap()["run_id"].as_i64().unwrap();
    let mut run = Value::Null;
    for _ in 0..200 {
        run = client
            .get(format!("{base}/api/tiering/runs/{run_id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if run["status"] != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(run["status"], "succeeded");

    // S3 traffic: a request answered, one refused for its signature before any operation ran,
    // and an STS call with a forged token.
    let c: Value =
        client.post(format!("{base}/api/credentials")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let (id, secret) = (c["access_key_id"].as_str().unwrap(), c["secret_access_key"].as_str().unwrap());
    let endpoint = format!("http://127.0.0.1:{gateway}");
    let s3 = |secret: &str| {
        S3Target { endpoint: endpoint.clone(), access_key: id.into(), secret_key: secret.into() }.client()
    };
    s3(secret).list_buckets().send().await.unwrap();
    let refused = s3("not the secret").list_buckets().send().await.unwrap_err().into_service_error();
    assert_eq!(refused.meta().code(), Some("SignatureDoesNotMatch"));
    let sts = client
        .post(format!("{endpoint}/?Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(sts.status(), StatusCode::BAD_REQUEST);

    let text = client.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(
        child.wait().unwrap().success(),
        "SIGTERM stops it cleanly:\n{}",
        std::fs::read_to_string(&log_path).unwrap()
    );
    let mut check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(check.stdin.as_mut().unwrap(), text.as_bytes()).unwrap();
    let out = check.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    assert_eq!(metric(&text, "tiergate_tiering_runs_total{status=\"succeeded\"}"), 1.0);
    assert_eq!(metric(&text, "tiergate_tiering_objects_total{result=\"moved\"}"), run["moved"].as_f64().unwrap());
    assert_eq!(metric(&text, "tiergate_tiering_bytes_total"), run["bytes_moved"].as_f64().unwrap());
    assert_eq!(metric(&text, "tiergate_objects{tier=\"cold\"}"), 3.0);
    assert_eq!(metric(&text, "tiergate_bytes{tier=\"cold\"}"), 302_010.0);
    assert_eq!(metric(&text, "tiergate_tiering_run_duration_seconds_count"), 1.0);
    assert!(metric(&text, "tiergate_tiering_last_success_timestamp_seconds") > 1.7e9);
    assert_eq!(metric(&text, "tiergate_s3_requests_total{op=\"list_buckets\",status=\"200\"}"), 1.0);
    assert_eq!(metric(&text, "tiergate_s3_requests_total{op=\"none\",status=\"403\"}"), 1.0);
    assert_eq!(metric(&text, "tiergate_s3_requests_total{op=\"assume_role_with_web_identity\",status=\"400\"}"), 1.0);

    // Refusals are one INFO line each, with their code; nothing is logged at ERROR or WARN.
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(!log.contains("ERROR") && !log.contains("WARN"), "{log}");
    let refusals: Vec<&str> = log.lines().filter(|l| l.contains("S3 request refused")).collect();
    assert_eq!(refusals.len(), 2, "{log}");
    assert!(refusals.iter().all(|l| l.contains(" INFO ")), "{log}");
    assert!(refusals[0].contains("none") && refusals[0].contains("SignatureDoesNotMatch"), "{log}");
    assert!(refusals[1].contains("InvalidIdentityToken"), "{log}");
}

/// The tiering figures come from the run records, so they are the same on every process: a pass
/// run by `tiergate tiering run-now` shows on the server's `/metrics` and on a `tiergate gateway`'s
/// (served on `server.metrics_addr`), and every labelled series is there at 0 before any pass.
#[tokio::test]
async fn tiering_metrics_are_the_run_records_on_every_process() {
    let dir = tempfile::tempdir().unwrap();
    let free = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (port, gateway, metrics_port, other_gateway) = (free(), free(), free(), free());
    let base = format!("http://127.0.0.1:{port}");
    let tiergate = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tiergate"));
        cmd.args(args)
            .current_dir(dir.path())
            .env("TIERGATE_SERVER__CONTROL_PLANE_ADDR", format!("127.0.0.1:{port}"))
            .env("TIERGATE_SERVER__GATEWAY_ADDR", format!("127.0.0.1:{gateway}"))
            .env("TIERGATE_AUDIT__TARGET", "off")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    };
    let mut server = tiergate(&["serve"]).spawn().unwrap();
    let client = reqwest::Client::new();
    let scrape = |url: String| {
        let client = client.clone();
        async move {
            for _ in 0..200 {
                if let Ok(res) = client.get(&url).send().await {
                    if res.status().is_success() {
                        return res.text().await.unwrap();
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("no answer from {url}");
        }
    };
    let before = scrape(format!("{base}/metrics")).await;
    // The second process once the first has made the catalog and the secrets.
    let mut other = tiergate(&["gateway"])
        .env("TIERGATE_SERVER__GATEWAY_ADDR", format!("127.0.0.1:{other_gateway}"))
        .env("TIERGATE_SERVER__METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
        .spawn()
        .unwrap();
    for status in ["succeeded", "partial", "failed"] {
        assert_eq!(metric(&before, &format!("tiergate_tiering_runs_total{{status=\"{status}\"}}")), 0.0);
    }
    for result in ["moved", "failed", "skipped"] {
        assert_eq!(metric(&before, &format!("tiergate_tiering_objects_total{{result=\"{result}\"}}")), 0.0);
    }
    assert_eq!(metric(&before, "tiergate_tiering_last_success_timestamp_seconds"), 0.0);

    let creds = serde_json::json!({ "email": "m@example.com", "password": "long enough" });
    client.post(format!("{base}/api/auth/signup")).json(&creds).send().await.unwrap();
    let login: Value =
        client.post(format!("{base}/api/auth/login")).json(&creds).send().await.unwrap().json().await.unwrap();
    let token = login["access_token"].as_str().unwrap().to_string();
    for name in ["a", "b"] {
        let part = reqwest::multipart::Part::bytes(random_bytes(1000)).file_name(name.to_string());
        let res = client
            .post(format!("{base}/api/files/upload"))
            .bearer_auth(&token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let pass = tiergate(&["tiering", "run-now"]).status().unwrap();
    assert!(pass.success());

    let on_server = scrape(format!("{base}/metrics")).await;
    let on_gateway = scrape(format!("http://127.0.0.1:{metrics_port}/metrics")).await;
    for text in [&on_server, &on_gateway] {
        assert_eq!(metric(text, "tiergate_tiering_runs_total{status=\"succeeded\"}"), 1.0);
        assert_eq!(metric(text, "tiergate_tiering_objects_total{result=\"moved\"}"), 2.0);
        assert_eq!(metric(text, "tiergate_tiering_bytes_total"), 2000.0);
        assert!(metric(text, "tiergate_tiering_last_success_timestamp_seconds") > 1.7e9);
        assert_eq!(
            metric(text, "tiergate_tiering_last_run_timestamp_seconds"),
            metric(text, "tiergate_tiering_last_success_timestamp_seconds")
        );
    }
    // The gateway's own S3 traffic is on its own /metrics.
    let c: Value =
        client.post(format!("{base}/api/credentials")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let s3 = S3Target {
        endpoint: format!("http://127.0.0.1:{other_gateway}"),
        access_key: c["access_key_id"].as_str().unwrap().into(),
        secret_key: c["secret_access_key"].as_str().unwrap().into(),
    }
    .client();
    s3.list_buckets().send().await.unwrap();
    let on_gateway = scrape(format!("http://127.0.0.1:{metrics_port}/metrics")).await;
    assert_eq!(metric(&on_gateway, "tiergate_s3_requests_total{op=\"list_buckets\",status=\"200\"}"), 1.0);
    let health = client.get(format!("http://127.0.0.1:{metrics_port}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    for child in [&mut server, &mut other] {
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        assert!(child.wait().unwrap().success());
    }
}
