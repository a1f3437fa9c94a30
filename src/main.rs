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
    /// Run everything in one process: the S3 gateway, the control plane (REST API and
    /// dashboard), the tiering scheduler and the garbage collector. The embedded default needs
    /// no configuration.
    Serve,
    /// Run the control plane alone (REST API, health, dashboard) and the garbage collector.
    ControlPlane,
    /// Run the S3 gateway alone.
    Gateway,
    /// Run the tiering scheduler (and the garbage collector) alone, or one pass with `run-now`.
    Tiering {
        #[command(subcommand)]
        action: Option<TieringAction>,
    },
    /// Apply the catalog migrations and exit.
    Migrate,
    /// Ask the running server's `/readyz` (on `server.control_plane_addr`, or `--url`): exit 0
    /// when it answers 200, else 1. For a container's health check, which has no curl.
    Healthcheck {
        /// The URL to ask (http only).
        #[arg(long)]
        url: Option<String>,
    },
    /// Quotas and usage.
    Quota {
        #[command(subcommand)]
        action: QuotaAction,
    },
}

#[derive(Subcommand)]
enum QuotaAction {
    /// Recompute every user's usage from the catalog's objects and parts, print what was wrong,
    /// and drop lapsed reservations. Safe while Tiergate serves.
    Recount {
        /// Also drop the room reserved by writes in flight: for use when no Tiergate process
        /// serves (after a crash, to give back at once what its writes held for 2 minutes).
        #[arg(long)]
        drop_reservations: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref()).context("could not read the settings")?;
    tiergate_core::telemetry::init(&settings.server);
    // Only `serve` (and `migrate`, whose job it is) makes a catalog where there is none: any other
    // command started in the wrong folder would work on a new, empty one without a word.
    if !matches!(cli.command, Command::Serve | Command::Migrate | Command::Healthcheck { .. }) {
        if let Some(path) = settings.catalog.url.sqlite_path().filter(|p| !p.exists()) {
            anyhow::bail!(
                "there is no catalog at {} (catalog.url {}): start this command where `tiergate serve` runs, or \
                 point it at that catalog with --config FILE, TIERGATE_SERVER__DATA_DIR or TIERGATE_CATALOG__URL",
                path.display(),
                settings.catalog.url.as_str()
            );
        }
    }
    match cli.command {
        Command::Migrate => {
            let catalog = tiergate_core::catalog::Catalog::connect(&settings.catalog).await.context("catalog.url")?;
            catalog.migrate().await?;
            println!("catalog migrated");
            Ok(())
        }
        Command::Serve => run(settings, Parts { control_plane: true, gateway: true, gc: true, scheduler: true }).await,
        Command::ControlPlane => {
            run(settings, Parts { control_plane: true, gateway: false, gc: true, scheduler: false }).await
        }
        Command::Gateway => {
            run(settings, Parts { control_plane: false, gateway: true, gc: false, scheduler: false }).await
        }
        Command::Tiering { action: None } => {
            run(settings, Parts { control_plane: false, gateway: false, gc: true, scheduler: true }).await
        }
        Command::Tiering { action: Some(TieringAction::RunNow { dry_run }) } => run_now(settings, dry_run).await,
        Command::Healthcheck { url } => healthcheck(&settings, url.as_deref()).await,
        Command::Quota { action: QuotaAction::Recount { drop_reservations } } => {
            let catalog = tiergate_core::catalog::Catalog::connect(&settings.catalog).await.context("catalog.url")?;
            catalog.migrate().await?;
            let fixed = catalog.recount_usage(drop_reservations).await?;
            for (user, was, is) in &fixed {
                println!(
                    "user {}: {} bytes / {} objects recorded, {} bytes / {} objects stored (cold: {} bytes / {} objects)",
                    user.0, was.bytes, was.objects, is.bytes, is.objects, is.cold_bytes, is.cold_objects
                );
            }
            println!("usage recounted: {} user(s) corrected", fixed.len());
            catalog.close().await;
            Ok(())
        }
    }
}

#[derive(Subcommand)]
enum TieringAction {
    /// Run one tiering pass now and print what it moved.
    RunNow {
        /// List what would move, and move nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `tiergate healthcheck`: one HTTP/1.1 GET of `/readyz`, 5 s at most.
async fn healthcheck(settings: &Settings, url: Option<&str>) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = settings.server.control_plane_addr;
    let default = format!(
        "http://{}:{}/readyz",
        if addr.ip().is_unspecified() { "127.0.0.1".to_string() } else { addr.ip().to_string() },
        addr.port()
    );
    let url = url::Url::parse(url.unwrap_or(&default)).context("--url")?;
    anyhow::ensure!(url.scheme() == "http", "--url must be an http:// URL");
    let host = url.host_str().context("--url has no host")?.to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
        let request = format!("GET {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n", url.path());
        stream.write_all(request.as_bytes()).await?;
        let mut head = vec![0u8; 64];
        let n = stream.read(&mut head).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&head[..n]).into_owned())
    };
    let head = tokio::time::timeout(std::time::Duration::from_secs(5), ask)
        .await
        .map_err(|_| anyhow::anyhow!("{url}: no answer within 5 s"))?
        .with_context(|| format!("{url}"))?;
    let status = head.split_whitespace().nth(1).unwrap_or("");
    anyhow::ensure!(status == "200", "{url}: answered {status:?}");
    println!("{url}: ready");
    Ok(())
}

/// Which parts a process runs.
struct Parts {
    control_plane: bool,
    gateway: bool,
    gc: bool,
    scheduler: bool,
}

/// One tiering pass, with a progress bar on a terminal; exits non-zero unless it succeeded.
async fn run_now(settings: Settings, dry_run: bool) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let core = Core::open(settings).await.context("could not start")?;
    let bar = std::io::stdout().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} objects  {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let progress = bar.clone().map(|bar| {
        std::sync::Arc::new(move |p: tiergate_tiering::Progress| {
            bar.set_length(p.candidates.max(0) as u64);
            bar.set_position(p.done.max(0) as u64);
            bar.set_message(format!("{} moved, {} failed, {} bytes", p.moved, p.failed, p.bytes_moved));
        }) as std::sync::Arc<dyn Fn(tiergate_tiering::Progress) + Send + Sync>
    });
    let on_dry_match = dry_run.then(|| {
        std::sync::Arc::new(|action: tiergate_tiering::DryAction, o: &tiergate_core::catalog::CatalogObject| {
            let verb = match action {
                tiergate_tiering::DryAction::Move => "would move  ",
                tiergate_tiering::DryAction::Expire => "would expire",
            };
            println!("{verb}  {}/{}  ({} bytes)", o.bucket, o.key, o.size);
        }) as tiergate_tiering::DryMatch
    });
    let options =
        tiergate_tiering::PassOptions { dry_run, progress, on_dry_match, ..tiergate_tiering::PassOptions::new("cli") };
    let run = tiergate_tiering::run_pass(&core, options).await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    println!(
        "tiering run {}: {} — {} candidates, {} moved, {} failed, {} bytes moved, {} expired, {} uploads aborted{}",
        run.id,
        run.status,
        run.candidates,
        run.moved,
        run.failed,
        run.bytes_moved,
        run.expired,
        run.aborted,
        run.error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
    );
    for f in core.catalog.tiering_failures(run.id).await? {
        println!("  failed  {}/{}: {}", f.bucket, f.key, f.reason);
    }
    core.catalog.close().await;
    if run.status == "succeeded" {
        Ok(())
    } else {
        anyhow::bail!("the tiering pass ended {}", run.status)
    }
}

async fn run(settings: Settings, parts: Parts) -> anyhow::Result<()> {
    // A stop asked for while start-up waits for the catalog or a tier ends the wait.
    let core = tokio::select! {
        core = Core::open(settings) => core.context("could not start")?,
        () = shutdown_signal() => {
            tracing::info!("stopped before start-up completed");
            return Ok(());
        }
    };
    // The cold tier is used only by tiering passes: a wrong one would go unseen until the first
    // pass, so say so now.
    if let Err(e) = core.cold.backend.check().await {
        tracing::warn!(error = %e, "the cold tier does not answer: tiering passes will fail until it does (check tiers.cold)");
    }
    let server = core.settings.server.clone();
    let bind = |addr: std::net::SocketAddr, key: &'static str| async move {
        TcpListener::bind(addr).await.with_context(|| format!("could not listen on {addr} ({key})"))
    };
    let control_plane = match parts.control_plane {
        true => Some(bind(server.control_plane_addr, "server.control_plane_addr").await?),
        false => None,
    };
    let gateway = match parts.gateway {
        true => Some(bind(server.gateway_addr, "server.gateway_addr").await?),
        false => None,
    };
    let metrics = match server.metrics_addr {
        Some(addr) => Some(bind(addr, "server.metrics_addr").await?),
        None => None,
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    // The gateway stops last: the Postgres connections its serving threads opened belong to their
    // runtimes, and the other parts may still use them while they finish.
    let (stop_gateway_tx, stop_gateway_rx) = watch::channel(false);
    let mut gateway_task = None;
    if parts.gc {
        let core = core.clone();
        let stop = stop_rx.clone();
        tasks.spawn(async move {
            core.run_gc(stop).await;
            Ok::<(), std::io::Error>(())
        });
    }
    println!("Tiergate is running.");
    if let Some(listener) = control_plane {
        let url = &server.public_url;
        println!("  Dashboard and REST API: {url}");
        println!("  Health:                 {}", url.join("/readyz")?);
        tracing::info!(addr = %server.control_plane_addr, "control plane listening");
        tasks.spawn(tiergate_control_plane::serve(core.clone(), listener, stopped(stop_rx.clone())));
    }
    if let Some(listener) = gateway {
        println!("  S3 endpoint:            {} (path-style; region us-east-1)", server.gateway_public_url);
        tracing::info!(addr = %server.gateway_addr, "S3 gateway listening");
        gateway_task = Some(tokio::spawn(tiergate_gateway::serve(core.clone(), listener, stopped(stop_gateway_rx))));
    }
    if let Some(listener) = metrics {
        println!(
            "  Metrics:                http://{}/metrics",
            server.metrics_addr.map(|a| a.to_string()).unwrap_or_default()
        );
        tasks.spawn(tiergate_control_plane::health::serve_metrics(core.clone(), listener, stopped(stop_rx.clone())));
    }
    if parts.scheduler {
        let schedule = tiergate_tiering::schedule_of(&core).map_err(anyhow::Error::msg)?;
        if let Some(next) = schedule.next_after(chrono::Utc::now()) {
            println!(
                "  Next tiering pass:      {} ({} {})",
                next.to_rfc3339(),
                core.settings.tiering.schedule,
                core.settings.tiering.timezone
            );
        }
        let core = core.clone();
        let stop = stop_rx.clone();
        tasks.spawn(async move { tiergate_tiering::run_scheduler(core, stop).await.map_err(std::io::Error::other) });
    }
    println!("  Catalog:                {:?}", core.catalog.kind());
    println!("  Hot tier:               {} ({})", core.hot.label, core.hot.backend.kind());
    println!("  Cold tier:              {} ({})", core.cold.label, core.cold.backend.kind());
    let gateway_ended = async {
        match gateway_task.as_mut() {
            Some(task) => task.await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = shutdown_signal() => {}
        Some(ended) = tasks.join_next() => {
            // A server that stops by itself is an error: say why and stop the rest.
            let _ = stop_tx.send(true);
            let _ = stop_gateway_tx.send(true);
            ended??;
            anyhow::bail!("a server stopped unexpectedly");
        }
        ended = gateway_ended => {
            let _ = stop_tx.send(true);
            ended??;
            anyhow::bail!("the S3 gateway stopped unexpectedly");
        }
    }
    let _ = stop_tx.send(true);
    while let Some(ended) = tasks.join_next().await {
        ended??;
    }
    let _ = stop_gateway_tx.send(true);
    if let Some(task) = gateway_task {
        task.await??;
    }
    core.catalog.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Completes when `stop` turns true.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
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
