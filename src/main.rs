//! The `tiergate` binary: subcommands only; the work is done by the library crates.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tiergate_core::settings::Settings;
use tiergate_core::Core;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Tiergate: a self-hosted S3 gateway with storage tiering.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML file layered over the built-in defaults (config/default.toml); TIERGATE_* environment
    /// variables override both.
    #[arg(long, global = true, env = "TIERGATE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run everything in one process: the control plane (REST API and dashboard) and the
    /// garbage collector. The embedded default needs no configuration.
    Serve,
    /// Run the control plane alone (REST API, health, dashboard) and the garbage collector.
    ControlPlane,
    /// Apply the catalog migrations and exit.
    Migrate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref()).context("could not read the settings")?;
    tiergate_core::telemetry::init(&settings.server);
    match cli.command {
        Command::Migrate => {
            let catalog = tiergate_core::catalog::Catalog::connect(&settings.catalog).await.context("catalog.url")?;
            catalog.migrate().await?;
            println!("catalog migrated");
            Ok(())
        }
        Command::Serve | Command::ControlPlane => run_control_plane(settings).await,
    }
}

async fn run_control_plane(settings: Settings) -> anyhow::Result<()> {
    let addr = settings.server.control_plane_addr;
    let core = Core::open(settings).await.context("could not start")?;
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("could not listen on {addr} (server.control_plane_addr)"))?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let gc = tokio::spawn({
        let core = core.clone();
        async move { core.run_gc(stop_rx).await }
    });
    let url = &core.settings.server.public_url;
    println!("Tiergate is running.");
    println!("  Dashboard and REST API: {url}");
    println!("  Health:                 {}", url.join("/readyz")?);
    println!("  Catalog:                {:?}", core.catalog.kind());
    println!("  Hot tier:               {} ({})", core.hot.label, core.hot.backend.kind());
    println!("  Cold tier:              {} ({})", core.cold.label, core.cold.backend.kind());
    tracing::info!(%addr, "control plane listening");
    tiergate_control_plane::serve(core.clone(), listener, shutdown_signal()).await?;
    let _ = stop_tx.send(true);
    let _ = gc.await;
    core.catalog.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
