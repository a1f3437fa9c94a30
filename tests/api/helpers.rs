//! `TestApp::spawn()`: the real application on a random port with its own fresh catalog and
//! hot tier, spoken to over HTTP as a client would.

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_sdk_s3::config::{Credentials, Region};
use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tiergate_core::settings::Settings;
use tiergate_core::Core;
use tokio::sync::oneshot;

/// Whether a missing service fails the test (CI) instead of skipping it.
pub fn services_required() -> bool {
    std::env::var("TIERGATE_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// A service address from the environment; `None` (the test skips) when it is not set,
/// unless services are required.
pub fn service_env(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if services_required() => panic!("{name} is not set, and TIERGATE_REQUIRE_SERVICES=1"),
        _ => {
            eprintln!(
                "skipping: {name} is not set (run scripts/services.sh, or set TIERGATE_REQUIRE_SERVICES=1 to fail)"
            );
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogChoice {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HotChoice {
    Fs,
    Minio,
}

/// An S3 server's address and root credentials.
#[derive(Debug, Clone)]
pub struct S3Target {
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
}

impl S3Target {
    pub fn cold_from_env() -> Option<Self> {
        Some(Self {
            endpoint: service_env("TIERGATE_TEST_COLD_S3_ENDPOINT")?,
            access_key: service_env("TIERGATE_TEST_COLD_S3_ACCESS_KEY")?,
            secret_key: service_env("TIERGATE_TEST_COLD_S3_SECRET_KEY")?,
        })
    }

    pub fn hot_from_env() -> Option<Self> {
        Some(Self {
            endpoint: service_env("TIERGATE_TEST_S3_ENDPOINT")?,
            access_key: service_env("TIERGATE_TEST_S3_ACCESS_KEY")?,
            secret_key: service_env("TIERGATE_TEST_S3_SECRET_KEY")?,
        })
    }

    pub fn client(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::new()
            .behavior_version_latest()
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .force_path_style(true)
            .credentials_provider(Credentials::new(&self.access_key, &self.secret_key, None, None, "test"))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }
}

pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// Whether a test's database or bucket named `<prefix><unix seconds><sep><random>` is more
/// than an hour old, which no test run still uses. A name from before the time stamp has
/// none: it is old too.
fn left_behind(name: &str, prefix: &str, sep: char) -> bool {
    let made = name
        .strip_prefix(prefix)
        .and_then(|rest| rest.split_once(sep))
        .and_then(|(t, _)| t.parse::<u64>().ok())
        .unwrap_or(0);
    made + 3600 < unix_now()
}

/// The shared MinIO's test buckets, `tg-hot-<unix seconds>-<random>` and `tg-cold-…`, are not
/// emptied by their tests (the app may still be writing when a test ends). So the first app
/// of each test process on an endpoint removes the test buckets there that are over an hour
/// old, with their objects and unfinished uploads.
async fn sweep_test_buckets(target: &S3Target) {
    static SWEPT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    {
        let mut swept = SWEPT.lock().unwrap();
        if swept.contains(&target.endpoint) {
            return;
        }
        swept.push(target.endpoint.clone());
    }
    let s3 = target.client();
    let Ok(listed) = s3.list_buckets().send().await else { return };
    for name in listed.buckets().iter().filter_map(|b| b.name()) {
        if left_behind(name, "tg-hot-", '-') || left_behind(name, "tg-cold-", '-') {
            remove_bucket(&s3, name).await;
        }
    }
}

/// A new test bucket's name in the shared MinIO at `target`, once old ones are swept there.
async fn test_bucket(target: &S3Target, prefix: &str) -> String {
    sweep_test_buckets(target).await;
    unique(&format!("{prefix}{}-", unix_now()))
}

async fn remove_bucket(s3: &aws_sdk_s3::Client, bucket: &str) {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    loop {
        let Ok(page) = s3.list_objects_v2().bucket(bucket).send().await else { return };
        let keys: Vec<ObjectIdentifier> = page
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
            .collect();
        if keys.is_empty() {
            break;
        }
        let Ok(delete) = Delete::builder().set_objects(Some(keys)).quiet(true).build() else { return };
        if s3.delete_objects().bucket(bucket).delete(delete).send().await.is_err() {
            return;
        }
    }
    if let Ok(uploads) = s3.list_multipart_uploads().bucket(bucket).send().await {
        for upload in uploads.uploads() {
            if let (Some(key), Some(id)) = (upload.key(), upload.upload_id()) {
                let _ = s3.abort_multipart_upload().bucket(bucket).key(key).upload_id(id).send().await;
            }
        }
    }
    let _ = s3.delete_bucket().bucket(bucket).send().await;
}

/// A fresh, empty Postgres database on the test server; its URL.
///
/// Its name is `tg_test_<unix seconds>_<random>`. A test cannot drop its own database (the
/// app's pool outlives the test's last await), so the first call in each test process drops
/// the test databases more than an hour old, which no run still uses.
pub async fn fresh_postgres_db() -> Option<String> {
    use sqlx::Connection;
    static SWEPT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let admin = service_env("TIERGATE_TEST_PG_URL")?;
    let name = unique(&format!("tg_test_{}_", unix_now()));
    let mut conn = sqlx::postgres::PgConnection::connect(&admin).await.expect("connect to the test Postgres");
    if !SWEPT.swap(true, std::sync::atomic::Ordering::SeqCst) {
        let names: Vec<(String,)> =
            sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'tg\\_test\\_%'")
                .fetch_all(&mut conn)
                .await
                .expect("list test databases");
        for (old,) in names.into_iter().filter(|(n,)| left_behind(n, "tg_test_", '_')) {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {old} WITH (FORCE)")).execute(&mut conn).await;
        }
    }
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create a test database");
    conn.close().await.ok();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&format!("/{name}"));
    Some(url.to_string())
}

/// How a test app is configured.
pub struct TestAppBuilder {
    catalog: CatalogChoice,
    hot: HotChoice,
    hot_target: Option<S3Target>,
    cold: HotChoice,
    cold_target: Option<S3Target>,
    /// More `key = value` lines for a MinIO hot tier's table.
    server_extra: String,
    hot_extra: String,
    cold_extra: String,
    extra: String,
}

impl TestAppBuilder {
    pub fn catalog(mut self, c: CatalogChoice) -> Self {
        self.catalog = c;
        self
    }

    pub fn hot(mut self, h: HotChoice) -> Self {
        self.hot = h;
        self
    }

    /// A MinIO hot tier at this address instead of the one from the environment.
    pub fn hot_s3(mut self, target: S3Target) -> Self {
        self.hot = HotChoice::Minio;
        self.hot_target = Some(target);
        self
    }

    /// The cold tier in a MinIO (the one standing in for AWS S3 in the environment).
    pub fn cold(mut self, c: HotChoice) -> Self {
        self.cold = c;
        self
    }

    /// A MinIO cold tier at this address.
    pub fn cold_s3(mut self, target: S3Target) -> Self {
        self.cold = HotChoice::Minio;
        self.cold_target = Some(target);
        self
    }

    /// One more `key = value` line of the `[server]` settings.
    pub fn server_setting(mut self, line: &str) -> Self {
        self.server_extra.push_str(line);
        self.server_extra.push('\n');
        self
    }

    /// One more `key = value` line of a MinIO hot tier's settings.
    pub fn hot_setting(mut self, line: &str) -> Self {
        self.hot_extra.push_str(line);
        self.hot_extra.push('\n');
        self
    }

    /// One more `key = value` line of a MinIO cold tier's settings.
    pub fn cold_setting(mut self, line: &str) -> Self {
        self.cold_extra.push_str(line);
        self.cold_extra.push('\n');
        self
    }

    /// More settings (TOML), layered last.
    pub fn settings(mut self, toml: &str) -> Self {
        self.extra.push_str(toml);
        self.extra.push('\n');
        self
    }

    /// Starts the app; `None` when a service it needs is not configured (and not required).
    pub async fn spawn(self) -> Option<TestApp> {
        let dir = tempfile::tempdir().unwrap();
        let listener = StdListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let gateway_listener = StdListener::bind("127.0.0.1:0").unwrap();
        let gateway_addr = gateway_listener.local_addr().unwrap();
        let catalog_url = match self.catalog {
            CatalogChoice::Sqlite => format!("sqlite://{}/catalog.db?mode=rwc", dir.path().display()),
            CatalogChoice::Postgres => fresh_postgres_db().await?,
        };
        let mut toml = format!(
            "[server]\ndata_dir = \"{data}\"\ncontrol_plane_addr = \"{addr}\"\npublic_url = \"http://{addr}\"\n\
             gateway_addr = \"{gateway_addr}\"\ngateway_public_url = \"http://{gateway_addr}\"\n{server}\
             [catalog]\nurl = \"{catalog_url}\"\nmax_connections = 8\n\
             [gc]\ninterval = \"100ms\"\ngrace = \"0s\"\n{audit}",
            data = dir.path().display(),
            server = self.server_extra,
            // Quiet unless a test asks for the audit log.
            audit = if self.extra.contains("[audit]") { "" } else { "[audit]\ntarget = \"off\"\n" },
        );
        let mut hot_s3 = None;
        if self.hot == HotChoice::Minio {
            let target = match self.hot_target {
                Some(t) => t,
                None => S3Target::hot_from_env()?,
            };
            let bucket = test_bucket(&target, "tg-hot-").await;
            toml.push_str(&format!(
                "[tiers.hot]\nkind = \"s3\"\nendpoint = \"{}\"\nbucket = \"{bucket}\"\naccess_key_id = \"{}\"\n\
                 secret_access_key = \"{}\"\ncreate_bucket = true\npart_size = 5242880\n{}",
                target.endpoint, target.access_key, target.secret_key, self.hot_extra
            ));
            hot_s3 = Some((target, bucket));
        }
        let mut cold_s3 = None;
        if self.cold == HotChoice::Minio {
            let target = match self.cold_target {
                Some(t) => t,
                None => S3Target::cold_from_env()?,
            };
            let bucket = test_bucket(&target, "tg-cold-").await;
            toml.push_str(&format!(
                "[tiers.cold]\nkind = \"s3\"\nendpoint = \"{}\"\nbucket = \"{bucket}\"\naccess_key_id = \"{}\"\n\
                 secret_access_key = \"{}\"\ncreate_bucket = true\npart_size = 5242880\n{}",
                target.endpoint, target.access_key, target.secret_key, self.cold_extra
            ));
            cold_s3 = Some((target, bucket));
        }
        toml.push_str(&self.extra);
        let settings = Settings::defaults_with(&toml).unwrap_or_else(|e| panic!("test settings: {e}\n{toml}"));
        let core = Core::open(settings).await.expect("start the core");
        listener.set_nonblocking(true).unwrap();
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let (gc_stop, gc_rx) = tokio::sync::watch::channel(false);
        tokio::spawn({
            let core = core.clone();
            async move { core.run_gc(gc_rx).await }
        });
        let (gateway_stop, gateway_stopped) = oneshot::channel::<()>();
        tokio::spawn(tiergate_control_plane::serve(core.clone(), listener, async move {
            let _ = stopped.await;
        }));
        gateway_listener.set_nonblocking(true).unwrap();
        let gateway_listener = tokio::net::TcpListener::from_std(gateway_listener).unwrap();
        let gateway_served = tokio::spawn(tiergate_gateway::serve(core.clone(), gateway_listener, async move {
            let _ = gateway_stopped.await;
        }));
        Some(TestApp {
            address: format!("http://{addr}"),
            gateway: format!("http://{gateway_addr}"),
            api: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            core,
            dir,
            hot_s3,
            cold_s3,
            _stop: stop,
            gateway_stop: Some(gateway_stop),
            gateway_served: Some(gateway_served),
            _gc_stop: gc_stop,
        })
    }
}

/// A running application and what a test needs to speak to it.
pub struct TestApp {
    pub address: String,
    /// The S3 endpoint.
    pub gateway: String,
    /// A client that does not follow redirects (to see them).
    pub api: reqwest::Client,
    pub core: Core,
    pub dir: tempfile::TempDir,
    pub hot_s3: Option<(S3Target, String)>,
    pub cold_s3: Option<(S3Target, String)>,
    _stop: oneshot::Sender<()>,
    gateway_stop: Option<oneshot::Sender<()>>,
    gateway_served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _gc_stop: tokio::sync::watch::Sender<bool>,
}

/// A logged-in test user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub email: String,
    pub token: String,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            catalog: CatalogChoice::Sqlite,
            hot: HotChoice::Fs,
            hot_target: None,
            cold: HotChoice::Fs,
            cold_target: None,
            server_extra: String::new(),
            hot_extra: String::new(),
            cold_extra: String::new(),
            extra: String::new(),
        }
    }

    /// Asks the gateway to stop, as SIGTERM does; the handle ends when it has.
    pub fn stop_gateway(&mut self) -> tokio::task::JoinHandle<std::io::Result<()>> {
        if let Some(stop) = self.gateway_stop.take() {
            let _ = stop.send(());
        }
        self.gateway_served.take().expect("the gateway is stopped once")
    }

    /// The embedded default: SQLite and fs tiers.
    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await.expect("the embedded default needs no services")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn signup(&self, email: &str, password: &str) -> Response {
        self.api
            .post(self.url("/api/auth/signup"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.api
            .post(self.url("/api/auth/login"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// Signs up a fresh user and logs them in.
    pub async fn user(&self) -> TestUser {
        let email = format!("{}@example.com", unique("user-"));
        let password = "correct horse battery".to_string();
        assert_eq!(self.signup(&email, &password).await.status(), StatusCode::CREATED);
        let res = self.login(&email, &password).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        TestUser { email, token: body["access_token"].as_str().unwrap().to_string() }
    }

    pub async fn upload(&self, token: &str, filename: &str, bytes: Vec<u8>) -> Response {
        let part = Part::bytes(bytes).file_name(filename.to_string()).mime_str("application/octet-stream").unwrap();
        self.api
            .post(self.url("/api/files/upload"))
            .bearer_auth(token)
            .multipart(Form::new().part("file", part))
            .send()
            .await
            .unwrap()
    }

    /// Uploads a hand-made multipart body whose file part has this Content-Disposition.
    pub async fn upload_with_disposition(&self, token: &str, disposition: &str, bytes: &[u8]) -> Response {
        let boundary = "tiergate-test-boundary";
        let mut body =
            format!("--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: text/plain\r\n\r\n")
                .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.api
            .post(self.url("/api/files/upload"))
            .bearer_auth(token)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.api.get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.api.delete(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    pub async fn list(&self, token: &str) -> Value {
        let res = self.get("/api/files", token).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// Temporary S3 credentials of a logged-in user, from `POST /api/credentials`.
    pub async fn credentials(&self, token: &str) -> (String, String) {
        let res = self.api.post(self.url("/api/credentials")).bearer_auth(token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        (body["access_key_id"].as_str().unwrap().to_string(), body["secret_access_key"].as_str().unwrap().to_string())
    }

    /// An S3 client of the gateway with these credentials.
    pub fn s3_with(&self, access_key: &str, secret: &str) -> aws_sdk_s3::Client {
        S3Target { endpoint: self.gateway.clone(), access_key: access_key.into(), secret_key: secret.into() }.client()
    }

    /// An S3 client of the gateway with session credentials (from STS) and their token.
    pub fn s3_with_session(&self, access_key: &str, secret: &str, token: &str) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::new()
            .behavior_version_latest()
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.gateway)
            .force_path_style(true)
            .credentials_provider(Credentials::new(access_key, secret, Some(token.to_string()), None, "test"))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// An S3 client of the gateway for a logged-in user.
    pub async fn s3(&self, user: &TestUser) -> aws_sdk_s3::Client {
        let (id, secret) = self.credentials(&user.token).await;
        self.s3_with(&id, &secret)
    }

    /// The backing objects the hot tier holds (whatever their state in the catalog).
    pub async fn hot_objects(&self) -> Vec<String> {
        self.tier_objects(&self.hot_s3, "hot").await
    }

    /// The backing objects the cold tier holds.
    pub async fn cold_objects(&self) -> Vec<String> {
        self.tier_objects(&self.cold_s3, "cold").await
    }

    async fn tier_objects(&self, s3: &Option<(S3Target, String)>, folder: &str) -> Vec<String> {
        match s3 {
            None => {
                let root = self.dir.path().join(folder);
                let mut out = Vec::new();
                walk(&root, &root, &mut out);
                out.sort();
                out
            }
            Some((target, bucket)) => {
                let out = target.client().list_objects_v2().bucket(bucket).send().await.unwrap();
                out.contents().iter().filter_map(|o| o.key().map(str::to_string)).collect()
            }
        }
    }

    /// Waits (bounded) for the collector to empty its queue.
    pub async fn wait_for_gc(&self) {
        for _ in 0..100 {
            if self.core.catalog.gc_pending().await.unwrap() == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("garbage was not collected");
    }
}

/// The data files under an fs tier root (not temporary files or metadata sidecars).
fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if dir == root && (name == ".tmp" || name == ".multipart") {
                continue;
            }
            walk(root, &path, out);
        } else if !name.ends_with(".meta.json") {
            out.push(path.strip_prefix(root).unwrap().to_string_lossy().to_string());
        }
    }
}

/// Random bytes of a given length.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15 ^ len as u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// A MinIO server of our own, to stop in the middle of a test.
pub struct MinioProcess {
    child: Child,
    pub target: S3Target,
    _dir: tempfile::TempDir,
}

impl MinioProcess {
    pub async fn start() -> Option<MinioProcess> {
        let bin = PathBuf::from(service_env("TIERGATE_MINIO_BIN")?);
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let console = free_port();
        let mut child = Command::new(&bin)
            .args(["server", "--quiet", "--address", &format!("127.0.0.1:{port}"), "--console-address"])
            .arg(format!("127.0.0.1:{console}"))
            .arg(dir.path())
            .env("MINIO_ROOT_USER", "tiergate-test")
            .env("MINIO_ROOT_PASSWORD", "tiergate-test-secret")
            .env("MINIO_UPDATE", "off")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let endpoint = format!("http://127.0.0.1:{port}");
        let health = format!("{endpoint}/minio/health/live");
        for _ in 0..300 {
            if reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) {
                return Some(MinioProcess {
                    child,
                    target: S3Target {
                        endpoint,
                        access_key: "tiergate-test".into(),
                        secret_key: "tiergate-test-secret".into(),
                    },
                    _dir: dir,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("MinIO did not start on port {port}");
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the same address and data.
    pub async fn restart(&mut self) {
        self.stop();
        let bin = PathBuf::from(service_env("TIERGATE_MINIO_BIN").unwrap());
        let address = self.target.endpoint.trim_start_matches("http://").to_string();
        self.child = Command::new(&bin)
            .args(["server", "--quiet", "--address", &address, "--console-address", "127.0.0.1:0"])
            .arg(self._dir.path())
            .env("MINIO_ROOT_USER", &self.target.access_key)
            .env("MINIO_ROOT_PASSWORD", &self.target.secret_key)
            .env("MINIO_UPDATE", "off")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let health = format!("{}/minio/health/live", self.target.endpoint);
        for _ in 0..300 {
            if reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("MinIO did not restart");
    }
}

impl Drop for MinioProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits (bounded) until a server at `base` answers `/healthz`.
pub async fn wait_healthy(base: &str) {
    for _ in 0..200 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("tiergate did not start");
}

/// Waits (bounded) until `s3` is refused with `InvalidAccessKeyId`: another process hears of a
/// revocation or a disabled user through the catalog's notification (wait for it, not for a time).
pub async fn wait_until_refused(s3: &aws_sdk_s3::Client) {
    use aws_sdk_s3::error::ProvideErrorMetadata;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        match s3.list_buckets().send().await {
            Err(e) => {
                assert_eq!(e.into_service_error().code(), Some("InvalidAccessKeyId"));
                return;
            }
            Ok(_) => {
                assert!(std::time::Instant::now() < deadline, "the other process never heard of it");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}
