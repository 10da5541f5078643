//! Connecting to SQLite or PostgreSQL, migrations and readiness.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::Result;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The handle every repository method hangs off. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// SQLite has one write lock, and a writer that finds it taken sleeps and
    /// retries with growing delays; many rooms committing at once then wait far
    /// longer than the commits take. Hot write paths queue here instead (FIFO).
    write_gate: Option<Arc<Semaphore>>,
    /// Update-log appends waiting to be committed together.
    pub(crate) log_writer: Arc<crate::log_writer::LogWriter>,
    /// SQLite: the one connection that commits update-log appends. A connection
    /// throws its page cache away whenever another one wrote, so appends that
    /// took turns on the pooled connections re-read the pages they write into
    /// from the WAL on every commit.
    log_pool: Option<AnyPool>,
}

/// Connections of the SQLite pool: twice the cores, from 2 to 8.
fn sqlite_readers() -> u32 {
    let cores = std::thread::available_parallelism().map_or(4, |n| u32::try_from(n.get()).unwrap_or(u32::MAX));
    cores.saturating_mul(2).clamp(2, 8)
}

impl Store {
    /// The SQLite URL of `<data_dir>/reynard.db` (created if missing).
    pub fn sqlite_url(data_dir: &Path) -> String {
        format!("sqlite://{}?mode=rwc", data_dir.join("reynard.db").display())
    }

    /// Connects to `url` (`sqlite://…` or `postgres://…`). Does not migrate.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(crate::Error::Database(sqlx::Error::Configuration(
                format!("unsupported database URL (expected sqlite: or postgres://): {url}").into(),
            )));
        };
        let options = AnyConnectOptions::from_str(url)?;
        let pool_options = |connections: u32| match backend {
            // One writer at a time in SQLite; WAL lets readers run beside it.
            // synchronous=NORMAL in WAL mode keeps every committed transaction
            // across a process crash (only an OS crash can lose the last ones).
            // A SQLite connection is a local file and cannot drop: testing it
            // before every acquire (the pool's default) would cost a round trip
            // to its worker thread on every query, every log append included.
            Backend::Sqlite => AnyPoolOptions::new()
                .max_connections(connections)
                .test_before_acquire(false)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                        )
                        .await?;
                        Ok(())
                    })
                }),
            Backend::Postgres => AnyPoolOptions::new().max_connections(connections),
        };
        let connections = match backend {
            // Reads run on the connections' own threads and cost CPU, not
            // waiting: more of them than twice the cores only adds threads,
            // page caches and memory.
            Backend::Sqlite => sqlite_readers(),
            Backend::Postgres => 16,
        };
        let timeout = Duration::from_secs(10);
        let pool = pool_options(connections).acquire_timeout(timeout).connect_with(options.clone()).await?;
        let log_pool = match backend {
            Backend::Sqlite => Some(pool_options(1).acquire_timeout(timeout).connect_with(options).await?),
            Backend::Postgres => None,
        };
        let write_gate = (backend == Backend::Sqlite).then(|| Arc::new(Semaphore::new(1)));
        Ok(Store { pool, backend, write_gate, log_writer: Arc::default(), log_pool })
    }

    /// Connects and applies pending migrations.
    pub async fn open(url: &str) -> Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the migrations of this store's backend that have not run yet.
    pub async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// Waits for this process's turn to write (SQLite only; PostgreSQL writers
    /// do not contend on one lock). Hold the permit for the write transaction.
    pub(crate) async fn write_turn(&self) -> Option<OwnedSemaphorePermit> {
        match &self.write_gate {
            Some(gate) => gate.clone().acquire_owned().await.ok(),
            None => None,
        }
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The backend this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where update-log appends are written.
    pub(crate) fn log_pool(&self) -> &AnyPool {
        self.log_pool.as_ref().unwrap_or(&self.pool)
    }

    /// Closes every pooled connection (at shutdown).
    pub async fn close(&self) {
        if let Some(log_pool) = &self.log_pool {
            log_pool.close().await;
        }
        self.pool.close().await;
    }
}

impl Store {
    /// Runs one statement of trusted SQL (schema set-up in tests and tools).
    pub async fn execute_raw(&self, sql: &str) -> Result<()> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&self.pool).await?;
        Ok(())
    }
}
