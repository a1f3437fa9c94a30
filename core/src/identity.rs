//! Identity: argon2id passwords, HS256 login tokens, and the server secrets they rest on.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Argon2, Params, Version};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use thiserror::Error;
use tokio::sync::Semaphore;

use crate::catalog::now_ms;
use crate::domain::{Email, Password, UserId};
use crate::settings::AuthSettings;

#[derive(Debug, Error)]
pub enum IdentityError {
    #[error("invalid or expired token")]
    InvalidToken,
    #[error("cannot keep secrets in {path}: {source}")]
    SecretFile { path: String, source: std::io::Error },
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// Every password-hashing slot stayed taken for `auth.password_hash_wait`.
    #[error("too many sign-ups and logins at once; retry in {} s", retry_after.as_secs())]
    Busy { retry_after: Duration },
}

/// The claims of a login token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    pub email: String,
    pub iat: i64,
    pub exp: i64,
}

/// A verified login token.
#[derive(Debug, Clone)]
pub struct LoginToken {
    pub user: UserId,
    pub email: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// S3 credentials derived from a login: the access key id carries the user, the expiry and a
/// key serial; the secret is an HMAC of the id under the server's key secret, so it can be
/// recomputed without a database read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedKey {
    pub access_key_id: String,
    pub user: UserId,
    /// Unix seconds; 0 for a long-lived key that does not expire.
    pub expires_at: i64,
    /// 0 for temporary credentials from the REST API, [`SESSION_SERIAL`] for session
    /// credentials from STS; else the id of the `access_keys` row that can revoke it.
    pub serial: i64,
}

/// The serial of session credentials bought over STS (`AssumeRoleWithWebIdentity`): as on AWS,
/// they are good only together with the session token they were issued with
/// (`x-amz-security-token`).
pub const SESSION_SERIAL: i64 = -1;

/// What [`Identity::session_token`] signs for.
const SESSION_TOKEN_PURPOSE: &str = "sts-session";

const ACCESS_KEY_PREFIX: &str = "TG";
const ACCESS_KEY_VERSION: u8 = 1;

impl DerivedKey {
    /// Builds the key for `user`; the id encodes the fields in upper-case hex.
    pub fn new(user: UserId, expires_at: i64, serial: i64) -> Self {
        let mut payload = Vec::with_capacity(25);
        payload.push(ACCESS_KEY_VERSION);
        payload.extend_from_slice(&user.0.to_be_bytes());
        payload.extend_from_slice(&expires_at.to_be_bytes());
        payload.extend_from_slice(&serial.to_be_bytes());
        Self { access_key_id: format!("{ACCESS_KEY_PREFIX}{}", hex::encode_upper(payload)), user, expires_at, serial }
    }

    /// Reads the fields back from an access key id; `None` for anything we did not issue.
    pub fn parse(access_key_id: &str) -> Option<Self> {
        let hex_part = access_key_id.strip_prefix(ACCESS_KEY_PREFIX)?;
        if hex_part.len() != 50 || hex_part.bytes().any(|b| b.is_ascii_lowercase()) {
            return None;
        }
        let raw = hex::decode(hex_part).ok()?;
        if raw[0] != ACCESS_KEY_VERSION {
            return None;
        }
        let field = |i: usize| i64::from_be_bytes(raw[i..i + 8].try_into().expect("8 bytes"));
        Some(Self {
            access_key_id: access_key_id.to_string(),
            user: UserId(field(1)),
            expires_at: field(9),
            serial: field(17),
        })
    }

    /// Session credentials from STS, which must come with their session token.
    pub fn is_session(&self) -> bool {
        self.serial == SESSION_SERIAL
    }

    /// The `access_keys` row that can revoke this key: long-lived keys only.
    pub fn revocable_id(&self) -> Option<i64> {
        (self.serial > 0).then_some(self.serial)
    }

    pub fn is_expired(&self, now_secs: i64) -> bool {
        self.expires_at != 0 && self.expires_at <= now_secs
    }
}

/// Issues and checks login tokens, hashes passwords, derives S3 secrets and signs short-lived links.
#[derive(Clone)]
pub struct Identity {
    encoding: EncodingKey,
    decoding: DecodingKey,
    token_ttl: Duration,
    key_secret: Vec<u8>,
    admins: Vec<Email>,
    /// A real hash to verify against when the e-mail is unknown, so a login takes as long
    /// either way and does not tell which e-mails have accounts.
    decoy_hash: String,
    /// Where password hashes run.
    hashers: Arc<Hashers>,
}

/// A job for the hashing threads.
type HashJob = Box<dyn FnOnce() + Send>;

/// The threads that compute password hashes, `auth.password_hash_concurrency` of them, and a
/// permit per thread for callers to wait on (at most `auth.password_hash_wait`). An argon2id
/// hash takes ~19 MiB, and a thread's allocator keeps what it once used, so hashes run on these
/// threads alone: on tokio's shared blocking pool each of its many threads would keep 19 MiB of
/// its own (measured: 600 MiB of RSS after 200 logins at once, with two hashes at a time).
struct Hashers {
    jobs: Mutex<std::sync::mpsc::Sender<HashJob>>,
    permits: Arc<Semaphore>,
    wait: Duration,
}

impl Hashers {
    fn start(threads: usize, wait: Duration) -> Result<Self, IdentityError> {
        let (jobs, queue) = std::sync::mpsc::channel::<HashJob>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("tiergate-hash-{i}"))
                .spawn(move || loop {
                    // The lock is held only to take a job; it ends when every sender is gone.
                    let job = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })
                .map_err(|e| IdentityError::Hashing(format!("cannot start a hashing thread: {e}")))?;
        }
        Ok(Self { jobs: Mutex::new(jobs), permits: Arc::new(Semaphore::new(threads)), wait })
    }

    /// Runs `work` on a hashing thread once one is free; [`IdentityError::Busy`] when none came
    /// free within the wait.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, IdentityError> {
        let busy = IdentityError::Busy { retry_after: self.wait.max(Duration::from_secs(1)) };
        let permit = match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(busy),
        };
        let (done, result) = tokio::sync::oneshot::channel();
        let job: HashJob = Box::new(move || {
            let _permit = permit;
            let _ = done.send(work());
        });
        let sent = self.jobs.lock().unwrap_or_else(|p| p.into_inner()).send(job);
        sent.map_err(|_| IdentityError::Hashing("the hashing threads have stopped".into()))?;
        result.await.map_err(|_| IdentityError::Hashing("a hashing thread stopped mid-hash".into()))
    }
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").field("token_ttl", &self.token_ttl).finish_non_exhaustive()
    }
}

/// Reads a secret from the settings, or from `data_dir/name`, generating that file (mode 0600)
/// the first time.
fn secret(configured: &Option<String>, data_dir: &Path, name: &str) -> Result<Vec<u8>, IdentityError> {
    if let Some(s) = configured {
        return Ok(s.as_bytes().to_vec());
    }
    let path = data_dir.join(name);
    let err = |source| IdentityError::SecretFile { path: path.display().to_string(), source };
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(existing.as_bytes().to_vec());
        }
    }
    std::fs::create_dir_all(data_dir).map_err(err)?;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let value = hex::encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).map_err(err)?;
    file.write_all(value.as_bytes()).map_err(err)?;
    file.sync_all().map_err(err)?;
    Ok(value.into_bytes())
}

thread_local! {
    /// The memory of this thread's argon2 runs (~19 MiB), allocated on its first hash and kept:
    /// password hashes run on the hashing threads alone, so this is all the memory hashing
    /// ever takes, whatever the number of logins (a fresh 19 MiB per hash left the allocator
    /// keeping several of them per thread).
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs argon2 with this thread's memory (grown when a stored hash asks for more).
fn argon2_into(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    ARGON2_MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < params.block_count() {
            memory.resize(params.block_count(), argon2::Block::default());
        }
        argon2.hash_password_into_with_memory(password, salt, out, &mut memory[..params.block_count()])
    })
}

/// An argon2id PHC string of `password` with a fresh salt, under the argon2 crate's default
/// parameters (OWASP's: 19 MiB, 2 passes, 1 lane).
fn hash_blocking(password: &str) -> Result<String, IdentityError> {
    let failed = |e: &dyn std::fmt::Display| IdentityError::Hashing(e.to_string());
    let params = Params::default();
    let argon2 = Argon2::new(argon2::Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|e| failed(&e))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon2, &params, password.as_bytes(), salt_bytes, &mut out).map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: argon2::Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` is the one behind the PHC string `stored` (argon2 of any variant and
/// parameters it names), compared in constant time.
fn verify_blocking(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let (Ok(algorithm), Ok(params)) = (argon2::Algorithm::try_from(parsed.algorithm), Params::try_from(&parsed)) else {
        return false;
    };
    let version = parsed.version.map_or(Ok(Version::default()), Version::try_from);
    let Ok(version) = version else { return false };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else { return false };
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    argon2_into(&argon2, &params, password.as_bytes(), salt_bytes, &mut out).is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == expected)
}

impl Identity {
    /// Loads the secrets (generating missing ones into `data_dir`).
    pub fn open(settings: &AuthSettings, data_dir: &Path) -> Result<Self, IdentityError> {
        let jwt = secret(&settings.jwt_secret, data_dir, "jwt_secret")?;
        let key_secret = secret(&settings.key_secret, data_dir, "key_secret")?;
        Ok(Self {
            encoding: EncodingKey::from_secret(&jwt),
            decoding: DecodingKey::from_secret(&jwt),
            token_ttl: settings.token_ttl,
            key_secret,
            admins: settings.admins.clone(),
            decoy_hash: hash_blocking("decoy password for unknown e-mails")?,
            hashers: Arc::new(Hashers::start(settings.password_hash_concurrency.max(1), settings.password_hash_wait)?),
        })
    }

    pub fn token_ttl(&self) -> Duration {
        self.token_ttl
    }

    pub fn is_admin(&self, email: &str) -> bool {
        self.admins.iter().any(|a| a.as_str() == email)
    }

    /// Hashes a password with argon2id (slow on purpose) on a hashing thread;
    /// [`IdentityError::Busy`] when none came free in time.
    pub async fn hash_password(&self, password: &Password) -> Result<String, IdentityError> {
        let password = password.expose().to_string();
        self.hashers.run(move || hash_blocking(&password)).await?
    }

    /// Checks a password against a stored hash, or against the decoy when there is none, on a
    /// hashing thread; [`IdentityError::Busy`] when none came free in time.
    pub async fn verify_password(&self, password: String, hash: Option<String>) -> Result<bool, IdentityError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.decoy_hash.clone());
        let ok = self.hashers.run(move || verify_blocking(&password, &hash)).await?;
        Ok(ok && known)
    }

    /// Issues a login token for the user.
    pub fn issue_token(&self, user: UserId, email: &str) -> Result<(String, i64), IdentityError> {
        let iat = now_ms() / 1000;
        let exp = iat + self.token_ttl.as_secs() as i64;
        let claims = Claims { sub: user.0.to_string(), email: email.to_string(), iat, exp };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|_| IdentityError::InvalidToken)?;
        Ok((token, exp))
    }

    /// Verifies a login token: HS256 only (so `alg: none` and others are refused), not expired.
    pub fn verify_token(&self, token: &str) -> Result<LoginToken, IdentityError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| IdentityError::InvalidToken)?;
        let user = data.claims.sub.parse().map(UserId).map_err(|_| IdentityError::InvalidToken)?;
        Ok(LoginToken { user, email: data.claims.email, expires_at: data.claims.exp })
    }

    /// The secret access key of a derived access key id.
    pub fn derived_secret(&self, access_key_id: &str) -> String {
        use base64::Engine;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key_secret).expect("HMAC takes keys of any length");
        mac.update(b"s3-secret\n");
        mac.update(access_key_id.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// The session token of STS session credentials (hex, 64 characters): an HMAC of the access
    /// key id, so the gateway checks it without a database read.
    pub fn session_token(&self, key: &DerivedKey) -> String {
        self.sign(SESSION_TOKEN_PURPOSE, &key.access_key_id)
    }

    /// Whether `token` is the session token `key` was issued with (constant time).
    pub fn verify_session_token(&self, key: &DerivedKey, token: &str) -> bool {
        self.verify_signature(SESSION_TOKEN_PURPOSE, &key.access_key_id, token)
    }

    /// An HMAC-SHA256 of `message` under the server's key secret, for links we serve ourselves.
    pub fn sign(&self, purpose: &str, message: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key_secret).expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        mac.update(b"\n");
        mac.update(message.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Checks a signature made by [`Identity::sign`], in constant time.
    pub fn verify_signature(&self, purpose: &str, message: &str, signature: &str) -> bool {
        let Ok(sig) = hex::decode(signature) else { return false };
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key_secret).expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        mac.update(b"\n");
        mac.update(message.as_bytes());
        mac.verify_slice(&sig).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hashes stored before the hashing threads kept their own memory (argon2's own
    /// PasswordHasher) verify the same way, and what we make verifies with argon2's own.
    #[test]
    fn hashes_agree_with_argon2s_own_hasher() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default().hash_password(b"correct horse", &salt).unwrap();
        assert!(verify_blocking("correct horse", &theirs.to_string()));
        assert!(!verify_blocking("wrong horse", &theirs.to_string()));
        let ours = hash_blocking("correct horse").unwrap();
        assert!(Argon2::default().verify_password(b"correct horse", &PasswordHash::new(&ours).unwrap()).is_ok());
        assert!(verify_blocking("correct horse", &ours));
        assert!(!verify_blocking("correct horse", "not a PHC string"));
    }

    fn identity(dir: &Path) -> Identity {
        let settings = crate::settings::Settings::defaults_with("").unwrap();
        Identity::open(&settings.auth, dir).unwrap()
    }

    #[test]
    fn secrets_are_generated_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let a = identity(dir.path());
        let (token, _) = a.issue_token(UserId(1), "a@b.co").unwrap();
        let b = identity(dir.path());
        assert_eq!(b.verify_token(&token).unwrap().user, UserId(1));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("jwt_secret")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn tokens_of_another_secret_or_alg_none_are_refused() {
        let a = identity(tempfile::tempdir().unwrap().path());
        let b = identity(tempfile::tempdir().unwrap().path());
        let (token, _) = a.issue_token(UserId(1), "a@b.co").unwrap();
        assert!(b.verify_token(&token).is_err());
        let payload = token.split('.').nth(1).unwrap();
        let none = format!("{}.{payload}.", base64_url(r#"{"alg":"none","typ":"JWT"}"#));
        assert!(a.verify_token(&none).is_err());
    }

    fn base64_url(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[tokio::test]
    async fn passwords_verify() {
        let a = identity(tempfile::tempdir().unwrap().path());
        let hash = a.hash_password(&Password::parse("correct horse".into()).unwrap()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(a.verify_password("correct horse".into(), Some(hash.clone())).await.unwrap());
        assert!(!a.verify_password("wrong horse!".into(), Some(hash)).await.unwrap());
        assert!(!a.verify_password("decoy password for unknown e-mails".into(), None).await.unwrap());
    }

    #[test]
    fn derived_keys_round_trip_and_secrets_depend_on_the_server_secret() {
        let key = DerivedKey::new(UserId(42), 1_900_000_000, 7);
        assert!(key.access_key_id.starts_with("TG"));
        assert_eq!(DerivedKey::parse(&key.access_key_id), Some(key.clone()));
        assert_eq!(DerivedKey::parse("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(DerivedKey::parse(&key.access_key_id.to_lowercase()), None);
        assert!(key.is_expired(1_900_000_000));
        assert!(!key.is_expired(1_899_999_999));
        assert!(!DerivedKey::new(UserId(1), 0, 3).is_expired(i64::MAX));
        let a = identity(tempfile::tempdir().unwrap().path());
        let b = identity(tempfile::tempdir().unwrap().path());
        assert_eq!(a.derived_secret(&key.access_key_id), a.derived_secret(&key.access_key_id));
        assert_ne!(a.derived_secret(&key.access_key_id), b.derived_secret(&key.access_key_id));
        assert_ne!(
            a.derived_secret(&key.access_key_id),
            a.derived_secret(&DerivedKey::new(UserId(43), 1_900_000_000, 7).access_key_id)
        );
    }

    #[test]
    fn link_signatures() {
        let a = identity(tempfile::tempdir().unwrap().path());
        let s = a.sign("download", "1:abc:123");
        assert!(a.verify_signature("download", "1:abc:123", &s));
        assert!(!a.verify_signature("download", "1:abc:124", &s));
        assert!(!a.verify_signature("upload", "1:abc:123", &s));
        assert!(!a.verify_signature("download", "1:abc:123", "zz"));
    }
}
