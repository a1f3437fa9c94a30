//! Integration tests: the real application on a random port, spoken to over HTTP.

mod auth;
mod faults;
mod files;
mod helpers;
mod settings;
mod walk;
