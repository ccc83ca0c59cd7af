use clap::Parser;
use hearth::{
    App, Config,
    config::{AdminCommand, Command},
};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    return_big_allocations_to_the_system();
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

/// Each argon2 hash allocates a 19 MiB block. glibc raises its mmap threshold after
/// the first such block is freed and from then on keeps them in per-thread arenas: a
/// few logins left a server holding ~900 MiB it no longer used. A fixed threshold
/// keeps large blocks mmapped, so they go back to the system when freed.
fn return_big_allocations_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; it is called before any large allocation.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}
