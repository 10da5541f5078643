//! The database lease of a single-process server. The in-process fan-out
//! reaches only this process, so a second process serving the same database
//! would never hear this one's edits (and its snapshots would miss them): a
//! process that serves on its own holds the database's lease, renews it while
//! it runs, and a second one refuses to start. A holder that died stops
//! renewing, and its lease expires; one that died on this host is recognised
//! at once by its process id.

use std::time::Duration;

use reynard_store::Store;
use reynard_store::lease::LeaseHolder;

/// How long a lease lasts without renewal.
const TTL: Duration = Duration::from_secs(30);
/// How often the holder renews it.
const RENEW_EVERY: Duration = Duration::from_secs(10);

/// This process's hold on the database.
#[derive(Debug)]
pub struct DatabaseLease {
    store: Store,
    holder: String,
}

/// `host:pid:start` of this server (a server restarted within one process
/// is another holder).
fn this_holder() -> String {
    format!("{}:{}:{}", host_name(), std::process::id(), reynard_store::now_millis())
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|name| name.trim().to_owned())
        .unwrap_or_default()
}

/// Whether `holder` is a process of this host that no longer runs.
fn died_on_this_host(holder: &str) -> bool {
    let mut parts = holder.splitn(3, ':');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else { return false };
    let Ok(pid) = pid.parse::<u32>() else { return false };
    host == host_name() && pid != std::process::id() && std::path::Path::new("/proc/self").exists() && {
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl DatabaseLease {
    /// Takes the database's lease, or explains who holds it.
    pub async fn acquire(store: &Store) -> anyhow::Result<DatabaseLease> {
        let holder = this_holder();
        let now = reynard_store::now_millis();
        let expires_at = now + millis(TTL);
        match store.acquire_lease(&holder, now, expires_at).await? {
            None => {}
            Some(current) if died_on_this_host(&current.holder) => {
                if !store.take_over_lease(&current.holder, &holder, expires_at).await? {
                    anyhow::bail!(held_message(&store.lease_holder().await?.unwrap_or(current)));
                }
                tracing::info!(previous = %current.holder, "took over the database lease of a process that stopped");
            }
            Some(current) => anyhow::bail!(held_message(&current)),
        }
        Ok(DatabaseLease { store: store.clone(), holder })
    }

    /// Renews the lease until it is lost (another process took it after this
    /// one failed to renew in time); returns then. Runs for the server's life.
    pub async fn keep(&self) {
        let mut renewed_at = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(RENEW_EVERY).await;
            let expires_at = reynard_store::now_millis() + millis(TTL);
            match self.store.renew_lease(&self.holder, expires_at).await {
                Ok(true) => renewed_at = tokio::time::Instant::now(),
                Ok(false) => {
                    tracing::error!("another process took this database's lease; stopping");
                    return;
                }
                Err(err) if renewed_at.elapsed() >= TTL => {
                    tracing::error!(%err, "could not renew the database lease before it expired; stopping");
                    return;
                }
                Err(err) => tracing::warn!(%err, "could not renew the database lease; trying again"),
            }
        }
    }

    /// Gives the lease up (the server stopped).
    pub async fn release(&self) {
        if let Err(err) = self.store.release_lease(&self.holder).await {
            tracing::warn!(%err, "could not release the database lease; it expires on its own");
        }
    }
}

fn held_message(current: &LeaseHolder) -> String {
    let left = (current.expires_at - reynard_store::now_millis()).max(0) / 1000;
    format!(
        "another reynard process ({}) is serving this database. Run one process per database \
         (several processes need the Redis fan-out); if that process has stopped, its lease \
         expires within {left} s",
        current.holder
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_that_died_here_are_recognised() {
        let host = host_name();
        assert!(died_on_this_host(&format!("{host}:4000000000:abc")));
        assert!(!died_on_this_host(&format!("{host}:{}:abc", std::process::id())));
        assert!(!died_on_this_host(&format!("{host}:1:abc")), "pid 1 runs");
        assert!(!died_on_this_host("elsewhere.example:4000000000:abc"));
        assert!(!died_on_this_host("garbage"));
    }
}
