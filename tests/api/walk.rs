//! The whole walk — signup, login, upload, list, details, download, delete — on every
//! combination of catalog (SQLite, Postgres) and hot tier (fs, MinIO).

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{random_bytes, CatalogChoice, HotChoice, TestApp};

async fn walk(catalog: CatalogChoice, hot: HotChoice) {
    let Some(app) = TestApp::builder().catalog(catalog).hot(hot).spawn().await else { return };
    let user = app.user().await;
    let content = random_bytes(3 * 1024 * 1024 + 17);

    let res = app.upload(&user.token, "report 2024.pdf", content.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let file: Value = res.json().await.unwrap();
    let id = file["id"].as_i64().unwrap();
    assert_eq!(file["original_filename"], "report 2024.pdf");
    assert!(file["filename"].as_str().unwrap().ends_with("-report 2024.pdf"));
    assert_eq!(file["file_size"], content.len() as u64);
    assert_eq!(file["content_type"], "application/octet-stream");
    assert_eq!(file["storage_location"], "minio");
    assert_eq!(file["tier"], "hot");
    assert_eq!(file["synced_at"], Value::Null);
    assert_eq!(file["etag"], hex::encode(<md5::Md5 as md5::Digest>::digest(&content)));
    assert!(file["access_url"].as_str().unwrap().ends_with(&format!("/api/files/{id}/download")));
    assert_eq!(app.hot_objects().await.len(), 1);

    let list = app.list(&user.token).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["files"][0]["id"], id);

    let details: Value = app.get(&format!("/api/files/{id}"), &user.token).await.json().await.unwrap();
    assert_eq!(details, file);

    let res = app.get(&format!("/api/files/{id}/download"), &user.token).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let downloaded = reqwest::get(&location).await.unwrap();
    assert_eq!(downloaded.status(), StatusCode::OK);
    assert!(downloaded.headers()["content-disposition"].to_str().unwrap().contains("report 2024.pdf"));
    assert_eq!(downloaded.bytes().await.unwrap().as_ref(), content.as_slice());

    let res = app.delete(&format!("/api/files/{id}"), &user.token).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.list(&user.token).await["total"], 0);
    assert_eq!(app.get(&format!("/api/files/{id}"), &user.token).await.status(), StatusCode::NOT_FOUND);
    app.wait_for_gc().await;
    assert!(app.hot_objects().await.is_empty(), "the bytes of a deleted file are collected");
}

#[tokio::test]
async fn walk_sqlite_fs() {
    walk(CatalogChoice::Sqlite, HotChoice::Fs).await;
}

#[tokio::test]
async fn walk_sqlite_minio() {
    walk(CatalogChoice::Sqlite, HotChoice::Minio).await;
}

#[tokio::test]
async fn walk_postgres_fs() {
    walk(CatalogChoice::Postgres, HotChoice::Fs).await;
}

#[tokio::test]
async fn walk_postgres_minio() {
    walk(CatalogChoice::Postgres, HotChoice::Minio).await;
}
