use clap::Parser;
use hearth::{
    App, Config,
    config::{AdminCommand, Command},
};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = Config::parse();
    if let Some(command) = &config.command {
        return run_command(&config, command).await;
    }
    let app = App::build(config).await?;
    tracing::info!("Hearth is listening on http://{}", app.addr());
    app.run_until(shutdown_signal()).await
}

/// `hearth backup …`, `hearth admin …`: operations instead of serving.
async fn run_command(config: &Config, command: &Command) -> anyhow::Result<()> {
    match command {
        Command::Backup { dir } => {
            let backup = hearth::ops::backup(config, dir).await?;
            println!("database: {}", backup.database.display());
            if let Some(files) = &backup.files {
                let copied = backup.files_copied;
                println!("files: {} ({copied} copied)", files.display());
            }
        }
        Command::Admin { action } => {
            let (username, role) = match action {
                AdminCommand::Promote { username } => (username, "admin"),
                AdminCommand::Demote { username } => (username, "member"),
                AdminCommand::ResetLink { username } => {
                    let link = hearth::ops::reset_link(config, username).await?;
                    println!("{link}");
                    if config.public_url.is_none() {
                        eprintln!(
                            "(a path: put this server's address in front, or set --public-url)"
                        );
                    }
                    println!("It works once, for 24 hours.");
                    return Ok(());
                }
                AdminCommand::Registration { mode } => {
                    hearth::ops::set_registration(config, mode).await?;
                    println!("registration is now {mode}");
                    return Ok(());
                }
            };
            hearth::ops::set_role(config, username, role).await?;
            println!("{username} is now {role}");
        }
    }
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// jemalloc, for Rust and SQLite's C code alike (`malloc` itself is replaced). Against
/// glibc's malloc it served the search page 25–40% faster: SQLite's FTS5 and sqlx's
/// rows allocate on one thread and free on another, which glibc pays for in arena
/// locks and consolidation (BENCHMARKS.md, "jemalloc").
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read when it starts (the `MALLOC_CONF` environment variable
/// still overrides them):
/// - a background thread returns freed memory to the system after about a second
///   (`dirty_decay_ms`), and at once from there (`muzzy_decay_ms`): each argon2 hash
///   allocates a 19 MiB block, and an idle server must not keep them. Returning it at
///   once instead (0 ms) made posting 20% slower;
/// - two arenas instead of jemalloc's four a core: each arena keeps its own freed
///   pages, and 10,000 idle sockets must fit in 120 MiB on two cores. A box with many
///   cores serving many requests at once may want more (`MALLOC_CONF=narenas:N`).
#[cfg(all(not(target_env = "msvc"), not(target_os = "macos")))]
#[unsafe(no_mangle)]
#[allow(non_upper_case_globals)]
static malloc_conf: &[u8; 70] =
    b"background_thread:true,narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0\0";
