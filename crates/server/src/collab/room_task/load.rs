//! Opening a document: subscribing to its topic, then reading its snapshot and
//! the log after it into a [`DocRoom`], with what the room needs to know about
//! its versions and its log.

use std::collections::HashMap;

use crate::collab::queue;
use reynard_bus::Topic;
use reynard_collab::DocRoom;
use reynard_collab::update_log::LogSize;
use reynard_proto::{DocumentId, WorkspaceId};

use super::versions::Versions;
use super::{RoomContext, RoomTask, replication};
use crate::collab::events::{HubError, RoomEvent};

impl RoomTask {
    /// Loads `doc`; `tx` is the task's own queue, which the bus subscription
    /// feeds (weakly, so that the subscription does not keep the queue open).
    pub(super) async fn load(
        context: &RoomContext,
        doc: DocumentId,
        tx: queue::WeakSender<RoomEvent>,
    ) -> Result<RoomTask, HubError> {
        let (store, config, bus) = (context.store.clone(), context.config.clone(), context.bus.clone());
        let topic = Topic::Document(doc.clone());
        // Subscribe before reading the log, so that nothing published meanwhile is missed
        // (what was already read is recognised by its sequence number).
        let process = context.process;
        let subscription = replication::subscribe(bus.as_ref(), &topic, process, tx);
        let workspace = match store.document(&doc).await {
            Ok(document) => document.map_or_else(|| WorkspaceId::new(""), |d| d.workspace_id),
            Err(err) => {
                bus.unsubscribe(&topic, subscription);
                return Err(HubError::Storage(err.to_string()));
            }
        };
        let state = match store.load_document_state(&doc).await {
            Ok(state) => state,
            Err(err) => {
                bus.unsubscribe(&topic, subscription);
                return Err(HubError::Storage(err.to_string()));
            }
        };
        let seq = state.last_seq();
        let log = LogSize {
            entries: state.updates.len(),
            bytes: state.updates.iter().map(|(_, data)| data.len()).sum(),
            snapshot_bytes: state.snapshot.as_ref().map_or(0, |(_, data)| data.len()),
        };
        let version_seq = match store.version_base(&doc).await {
            Ok(base) => base.map_or(0, |b| b.seq),
            Err(err) => {
                bus.unsubscribe(&topic, subscription);
                return Err(HubError::Storage(err.to_string()));
            }
        };
        let authors = state.authors_after(version_seq);
        let parts = state
            .snapshot
            .iter()
            .map(|(_, data)| data.as_slice())
            .chain(state.updates.iter().map(|(_, d)| d.as_slice()));
        let room = match DocRoom::load(config.limits, parts) {
            Ok(room) => room,
            Err(err) => {
                bus.unsubscribe(&topic, subscription);
                return Err(HubError::Storage(err.to_string()));
            }
        };
        tracing::debug!(seq, entries = log.entries, "document loaded");
        Ok(RoomTask {
            doc,
            workspace,
            store,
            config,
            bus,
            topic,
            process,
            subscription,
            room,
            clients: HashMap::new(),
            seq,
            log,
            versions: Versions::loaded(version_seq, authors, seq),
            broken: false,
            catch_ups: context.catch_ups.clone(),
            next_check: super::bus_check_after(&context.bus),
            remote_clients: super::ghosts::RemoteClients::default(),
            liveness: context.liveness.clone(),
            presence: super::presence::Presence::default(),
        })
    }
}
