//! The binary's settings: a bad value stops start-up naming its key; the embedded default
//! needs no configuration.

use std::process::{Command, Stdio};
use std::time::Duration;

fn tiergate(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tiergate"));
    cmd.args(args).current_dir(dir).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn bad_settings_stop_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("TIERGATE_CATALOG__URL", "mysql://localhost/x", "catalog.url"),
        ("TIERGATE_TIERS__HOT__KIND", "tape", "tiers.hot.kind"),
        ("TIERGATE_TIERS__COLD__KIND", "s3", "tiers.cold.bucket"),
        ("TIERGATE_UPLOAD__MAX_BYTES", "lots", "max_bytes"),
        ("TIERGATE_SERVER__CONTROL_PLANE_ADDR", "nowhere", "control_plane_addr"),
    ];
    for (key, value, named) in cases {
        let out = tiergate(dir.path(), &["serve"], &[(key, value)]);
        assert!(!out.status.success(), "{key}={value} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(named), "{key}={value}: {stderr}");
    }
    let out = tiergate(dir.path(), &["--config", "missing.toml", "serve"], &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));
}

#[test]
fn help_lists_the_subcommands_and_migrate_works_on_a_fresh_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let out = tiergate(dir.path(), &["--help"], &[]);
    let help = String::from_utf8_lossy(&out.stdout);
    for sub in ["serve", "control-plane", "migrate"] {
        assert!(help.contains(sub), "{help}");
    }
    let out = tiergate(dir.path(), &["migrate"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("data/catalog.db").exists());
    let again = tiergate(dir.path(), &["migrate"], &[]);
    assert!(again.status.success(), "migrations apply once");
}

#[test]
fn a_config_file_is_layered_between_defaults_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), "[tiers.hot]\nkind = \"floppy\"\n").unwrap();
    let out = tiergate(dir.path(), &["--config", "bad.toml", "migrate"], &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("tiers.hot.kind"));
    // The environment wins over the file.
    let out = tiergate(dir.path(), &["--config", "bad.toml", "migrate"], &[("TIERGATE_TIERS__HOT__KIND", "fs")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn the_embedded_default_generates_its_secrets_and_prints_its_urls() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_tiergate"))
        .arg("serve")
        .current_dir(dir.path())
        .env("TIERGATE_SERVER__CONTROL_PLANE_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut up = false;
    for _ in 0..200 {
        if reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await.is_ok_and(|r| r.status().is_success()) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert!(up, "tiergate serve did not become ready");
    assert!(out.status.success(), "SIGTERM stops it cleanly");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("http://127.0.0.1:{port}/")), "{stdout}");
    use std::os::unix::fs::PermissionsExt;
    for secret in ["jwt_secret", "key_secret"] {
        let meta = std::fs::metadata(dir.path().join("data").join(secret)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{secret}");
    }
    assert!(dir.path().join("data/hot").is_dir());
    assert!(dir.path().join("data/cold").is_dir());
}

/// A command other than `serve` (and `migrate`) started where there is no catalog says so, and
/// makes none: it would otherwise work on a new, empty one (fresh secrets, "0 candidates").
#[test]
fn commands_other_than_serve_refuse_to_make_a_catalog() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["tiering", "run-now"][..], &["quota", "recount"], &["gateway"], &["tiering"]] {
        let out = tiergate(dir.path(), args, &[]);
        assert!(!out.status.success(), "{args:?} ran");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("no catalog at") && stderr.contains("catalog.db"), "{args:?}: {stderr}");
        assert!(stderr.contains("TIERGATE_SERVER__DATA_DIR"), "{args:?} says how to point it elsewhere: {stderr}");
        assert!(!dir.path().join("data").exists(), "{args:?} made a data folder");
    }
    // Pointed at an existing catalog, it works.
    let out = tiergate(dir.path(), &["migrate"], &[]);
    assert!(out.status.success());
    let out = tiergate(dir.path(), &["quota", "recount"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let elsewhere = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out =
        tiergate(elsewhere.path(), &["quota", "recount"], &[("TIERGATE_SERVER__DATA_DIR", data.to_str().unwrap())]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
