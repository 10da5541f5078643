//! The harness both repository suites share: a store on SQLite, one on
//! PostgreSQL in a schema of its own when `REYNARD_TEST_DATABASE_URL` is set,
//! and `on_both_backends!` to run each test on both.

use reynard_store::{Store, now_millis};

/// A store for one test, and what must outlive it.
pub struct TestDb {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&Store::sqlite_url(dir.path())).await.expect("open sqlite");
    TestDb { store, _dir: Some(dir) }
}

pub async fn postgres() -> Option<TestDb> {
    let Ok(base) = std::env::var("REYNARD_TEST_DATABASE_URL") else {
        eprintln!("REYNARD_TEST_DATABASE_URL not set: PostgreSQL run skipped");
        return None;
    };
    let schema = format!("t_{}", uuid_like());
    let admin = Store::connect(&base).await.expect("REYNARD_TEST_DATABASE_URL must be reachable");
    admin.execute_raw(&format!("CREATE SCHEMA {schema}")).await.expect("create schema");
    admin.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let store = Store::open(&url).await.expect("open postgres");
    Some(TestDb { store, _dir: None })
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!("s{}_{}_{}", std::process::id(), now_millis(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(#[tokio::test]
            async fn $name() {
                let db = super::backends::sqlite().await;
                super::$name(&db.store).await;
            })*
        }
        mod postgres_backend {
            $(#[tokio::test]
            async fn $name() {
                if let Some(db) = super::backends::postgres().await {
                    super::$name(&db.store).await;
                }
            })*
        }
    };
}
