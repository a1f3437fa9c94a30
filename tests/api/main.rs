//! Integration tests: the real application on a random port, spoken to over HTTP.

mod admin;
mod auth;
mod faults;
mod files;
mod helpers;
mod lifecycle;
mod quota;
mod s3_auth;
mod s3_checksums;
mod s3_isolation;
mod s3_objects;
mod serving;
mod settings;
mod tiering;
mod tiering_process;
mod walk;
