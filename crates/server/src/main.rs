//! The `reynard` command: `serve`, `migrate`, `version`.

use clap::Parser;
use reynard_server::app::{open_store, serve, shutdown_signal};
use reynard_server::config::{Cli, Command, Config};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("REYNARD_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    match Cli::parse().command {
        Command::Version => {
            println!("reynard {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Migrate(database) => {
            let url = database.url();
            if url.starts_with("sqlite:") {
                std::fs::create_dir_all(&database.data_dir)?;
            }
            reynard_store::Store::open(&url).await?.close().await;
            println!("migrations applied");
            Ok(())
        }
        Command::Serve(args) => {
            let config = Config::from_args(*args)?;
            let store = open_store(&config).await?;
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
            let bound = listener.local_addr()?;
            let url = config.clone().bound_to(bound).public_url;
            let backend = match store.backend() {
                reynard_store::Backend::Sqlite => format!("SQLite at {}", config.data_dir.join("reynard.db").display()),
                reynard_store::Backend::Postgres => "PostgreSQL".to_owned(),
            };
            println!("Reynard {} is running on {backend}.", env!("CARGO_PKG_VERSION"));
            println!("Open {url} in your browser.");
            serve(config, store, listener, shutdown_signal()).await
        }
    }
}
