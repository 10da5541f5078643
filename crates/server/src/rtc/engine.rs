//! The call engine: one thread that owns the media port, the SFU and the
//! signaling state of every call of this process, so that neither needs a
//! lock. Sockets talk to it through [`Calls`] (a channel in); it answers
//! through each participant's [`Outbox`] (JSON frames out). Its loop waits for
//! a datagram, a command or the SFU's next timer, whichever comes first, then
//! lets the SFU run.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use reynard_proto::call::{CallCommand, CallEvent, LeaveReason};
use reynard_proto::chat::CallMember;
use reynard_proto::{ParticipantId, Role, RoomId, UserId, WorkspaceId};
use reynard_rtc::call::{Call, CallConfig, Effect, Joining, Refusal};
use reynard_rtc::media::{MediaAction, MediaEvent};
use reynard_rtc::sfu::{Protocol, Sfu, SfuConfig, SfuOutput, SfuStats, Transmit};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use super::summary::CallSummary;
use crate::ws::Outbox;
use crate::ws::close_code;

/// What the sockets and handlers ask of the engine.
#[derive(Debug)]
enum Command {
    Join {
        room: RoomId,
        workspace: WorkspaceId,
        joining: Joining,
        outbox: Outbox,
        reply: oneshot::Sender<Result<(), Refusal>>,
    },
    Frame {
        room: RoomId,
        participant: ParticipantId,
        command: CallCommand,
    },
    SocketClosed {
        room: RoomId,
        participant: ParticipantId,
    },
    Reply {
        room: RoomId,
        participant: ParticipantId,
        event: CallEvent,
    },
    RoleChanged {
        workspace: WorkspaceId,
        user: UserId,
        role: Option<Role>,
    },
}

/// Told who is in a room's call whenever that changes.
pub type RosterSink = Arc<dyn Fn(&WorkspaceId, &RoomId, &[CallMember]) + Send + Sync>;

/// Who is in each active call, by workspace (for tabs that open mid-call).
type Rosters = Arc<Mutex<HashMap<WorkspaceId, HashMap<RoomId, Vec<CallMember>>>>>;

/// The handle every part of the server uses to reach the calls.
#[derive(Clone)]
pub struct Calls {
    tx: mpsc::UnboundedSender<Command>,
    stats: Arc<Mutex<SfuStats>>,
    media_addr: SocketAddr,
    rosters: Rosters,
    roster_sink: Arc<OnceLock<RosterSink>>,
}

impl std::fmt::Debug for Calls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Calls").field("media_addr", &self.media_addr).finish_non_exhaustive()
    }
}

/// Why a join did not happen.
#[derive(Debug)]
pub enum JoinError {
    Refused(Refusal),
    /// The engine stopped (the server is shutting down).
    Stopped,
}

impl Calls {
    /// Binds the media port and starts the engine's thread. `advertised` is
    /// the address browsers are told to send media to.
    pub async fn start(
        bind: SocketAddr,
        advertise: std::net::IpAddr,
        limit: u32,
        summaries: mpsc::UnboundedSender<CallSummary>,
    ) -> anyhow::Result<Calls> {
        let std_socket = std::net::UdpSocket::bind(bind)
            .map_err(|e| anyhow::anyhow!("cannot bind the media port {bind} (--rtc-udp-port): {e}"))?;
        std_socket.set_nonblocking(true)?;
        let local = std_socket.local_addr()?;
        let media_addr = SocketAddr::new(advertise, local.port());
        // ICE-TCP on the same port number, for networks that block UDP.
        let tcp_listener = match std::net::TcpListener::bind(local).and_then(|l| l.set_nonblocking(true).map(|()| l)) {
            Ok(listener) => Some(listener),
            Err(err) => {
                tracing::warn!(%err, "ICE-TCP is off: TCP port {} could not be bound", local.port());
                None
            }
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let stats = Arc::new(Mutex::new(SfuStats::default()));
        let engine_stats = stats.clone();
        let rosters = Rosters::default();
        let roster_sink = Arc::new(OnceLock::new());
        let (engine_rosters, engine_sink) = (rosters.clone(), roster_sink.clone());
        std::thread::Builder::new().name("reynard-calls".to_owned()).spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(err) => {
                    tracing::error!(%err, "the call engine could not start");
                    return;
                }
            };
            runtime.block_on(async move {
                let socket = match UdpSocket::from_std(std_socket) {
                    Ok(socket) => socket,
                    Err(err) => {
                        tracing::error!(%err, "the media socket could not be used");
                        return;
                    }
                };
                let (tcp_tx, tcp_rx) = mpsc::unbounded_channel();
                let mut tcp_candidates = Vec::new();
                match tcp_listener.map(tokio::net::TcpListener::from_std) {
                    Some(Ok(listener)) => {
                        tcp_candidates.push(media_addr);
                        tokio::spawn(accept_tcp(listener, tcp_tx));
                    }
                    Some(Err(err)) => tracing::warn!(%err, "ICE-TCP is off: its socket could not be used"),
                    None => {}
                }
                let sfu = Sfu::new(SfuConfig { udp_candidates: vec![media_addr], tcp_candidates });
                let engine = Engine {
                    sfu,
                    calls: HashMap::new(),
                    media_addr,
                    limit,
                    stats: engine_stats,
                    summaries,
                    tcp: HashMap::new(),
                    rosters: engine_rosters,
                    roster_sink: engine_sink,
                };
                engine.run(socket, rx, tcp_rx).await;
            });
        })?;
        tracing::info!(%media_addr, "calls: media on UDP {}", local);
        Ok(Calls { tx, stats, media_addr, rosters, roster_sink })
    }

    /// Where roster changes go (the workspace's live socket); set once.
    pub fn on_roster(&self, sink: RosterSink) {
        let _ = self.roster_sink.set(sink);
    }

    /// Who is in each active call of `workspace` now.
    pub fn rosters_of(&self, workspace: &WorkspaceId) -> Vec<(RoomId, Vec<CallMember>)> {
        let rosters = self.rosters.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        rosters
            .get(workspace)
            .map(|rooms| rooms.iter().map(|(r, m)| (r.clone(), m.clone())).collect())
            .unwrap_or_default()
    }

    /// The rooms whose call has participants here.
    pub fn active_rooms(&self) -> Vec<RoomId> {
        let rosters = self.rosters.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        rosters.values().flat_map(|rooms| rooms.keys().cloned()).collect()
    }

    /// Where browsers send media.
    pub fn media_addr(&self) -> SocketAddr {
        self.media_addr
    }

    /// The SFU's counters as of its last run.
    pub fn stats(&self) -> SfuStats {
        *self.stats.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Joins `room`'s call; its frames go to `outbox` from now on.
    pub async fn join(
        &self,
        room: RoomId,
        workspace: WorkspaceId,
        joining: Joining,
        outbox: Outbox,
    ) -> Result<(), JoinError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Command::Join { room, workspace, joining, outbox, reply }).map_err(|_| JoinError::Stopped)?;
        rx.await.map_err(|_| JoinError::Stopped)?.map_err(JoinError::Refused)
    }

    /// A frame a participant sent.
    pub fn frame(&self, room: RoomId, participant: ParticipantId, command: CallCommand) {
        let _ = self.tx.send(Command::Frame { room, participant, command });
    }

    /// Sends `event` to one participant (an answer to a frame that was not understood).
    pub fn reply(&self, room: RoomId, participant: ParticipantId, event: CallEvent) {
        let _ = self.tx.send(Command::Reply { room, participant, event });
    }

    /// A participant's socket closed.
    pub fn socket_closed(&self, room: RoomId, participant: ParticipantId) {
        let _ = self.tx.send(Command::SocketClosed { room, participant });
    }

    /// `user`'s role in `workspace` changed (`None`: removed).
    pub fn role_changed(&self, workspace: WorkspaceId, user: UserId, role: Option<Role>) {
        let _ = self.tx.send(Command::RoleChanged { workspace, user, role });
    }
}

/// One active call.
#[derive(Debug)]
struct ActiveCall {
    workspace: WorkspaceId,
    call: Call,
    sockets: HashMap<ParticipantId, Outbox>,
    started: Instant,
}

struct Engine {
    sfu: Sfu,
    calls: HashMap<RoomId, ActiveCall>,
    media_addr: SocketAddr,
    limit: u32,
    stats: Arc<Mutex<SfuStats>>,
    summaries: mpsc::UnboundedSender<CallSummary>,
    /// Open ICE-TCP connections by the browser's address: their write queues.
    tcp: HashMap<SocketAddr, mpsc::Sender<Bytes>>,
    rosters: Rosters,
    roster_sink: Arc<OnceLock<RosterSink>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("calls", &self.calls.len())
            .field("media_addr", &self.media_addr)
            .finish_non_exhaustive()
    }
}

/// What ICE-TCP connections tell the engine.
#[derive(Debug)]
enum TcpEvent {
    Opened(SocketAddr, mpsc::Sender<Bytes>),
    Packet(SocketAddr, Bytes),
    Closed(SocketAddr),
}

/// Packets queued for one ICE-TCP connection before new ones are dropped.
const TCP_QUEUE: usize = 256;

/// Accepts ICE-TCP connections on the media port number and runs each: reads
/// RFC 4571 frames into the engine, writes what the engine queues.
async fn accept_tcp(listener: tokio::net::TcpListener, events: mpsc::UnboundedSender<TcpEvent>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    loop {
        let Ok((stream, peer)) = listener.accept().await else { continue };
        let _ = stream.set_nodelay(true);
        let (mut reader, mut writer) = stream.into_split();
        let (tx, mut rx) = mpsc::channel::<Bytes>(TCP_QUEUE);
        if events.send(TcpEvent::Opened(peer, tx)).is_err() {
            return;
        }
        tokio::spawn(async move {
            while let Some(frame) = rx.recv().await {
                if writer.write_all(&frame).await.is_err() {
                    break;
                }
            }
        });
        let events = events.clone();
        tokio::spawn(async move {
            let mut len = [0u8; 2];
            loop {
                if reader.read_exact(&mut len).await.is_err() {
                    break;
                }
                let mut packet = vec![0u8; usize::from(u16::from_be_bytes(len))];
                if reader.read_exact(&mut packet).await.is_err() {
                    break;
                }
                if events.send(TcpEvent::Packet(peer, Bytes::from(packet))).is_err() {
                    return;
                }
            }
            let _ = events.send(TcpEvent::Closed(peer));
        });
    }
}

/// Datagrams and events the SFU produced during one run.
struct Collected<'a> {
    socket: &'a UdpSocket,
    tcp: &'a HashMap<SocketAddr, mpsc::Sender<Bytes>>,
    events: Vec<(RoomId, reynard_rtc::media::MediaEvent)>,
}

impl SfuOutput for Collected<'_> {
    fn transmit(&mut self, transmit: &Transmit) {
        if transmit.proto == Protocol::Tcp {
            // ICE-TCP (RFC 6544): each packet framed with its length (RFC 4571).
            if let Some(writer) = self.tcp.get(&transmit.destination) {
                let len = u16::try_from(transmit.contents.len()).unwrap_or(u16::MAX);
                let mut framed = Vec::with_capacity(2 + transmit.contents.len());
                framed.extend_from_slice(&len.to_be_bytes());
                framed.extend_from_slice(&transmit.contents);
                // A full queue drops the packet, as a congested link would.
                let _ = writer.try_send(Bytes::from(framed));
            }
            return;
        }
        if transmit.proto != Protocol::Udp {
            return;
        }
        // A full send buffer drops the datagram, as the network would.
        if let Err(err) = self.socket.try_send_to(&transmit.contents, transmit.destination)
            && err.kind() != std::io::ErrorKind::WouldBlock
        {
            tracing::debug!(%err, to = %transmit.destination, "a media datagram could not be sent");
        }
    }

    fn event(&mut self, room: &RoomId, event: reynard_rtc::media::MediaEvent) {
        self.events.push((room.clone(), event));
    }
}

impl Engine {
    async fn run(
        mut self,
        socket: UdpSocket,
        mut rx: mpsc::UnboundedReceiver<Command>,
        mut tcp_rx: mpsc::UnboundedReceiver<TcpEvent>,
    ) {
        let mut buf = vec![0u8; 2048];
        let mut next = Instant::now();
        loop {
            let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(next));
            tokio::select! {
                received = socket.recv_from(&mut buf) => match received {
                    Ok((n, source)) => {
                        receive_guarded(&mut self.sfu, Protocol::Udp, source, self.media_addr, &buf[..n]);
                        // Read what else is waiting before running the SFU once for all of it.
                        for _ in 0..64 {
                            match socket.try_recv_from(&mut buf) {
                                Ok((n, source)) => {
                                    receive_guarded(&mut self.sfu, Protocol::Udp, source, self.media_addr, &buf[..n]);
                                }
                                Err(_) => break,
                            }
                        }
                    }
                    Err(err) => tracing::debug!(%err, "reading the media socket failed"),
                },
                command = rx.recv() => match command {
                    Some(command) => self.command(command),
                    None => return,
                },
                Some(event) = tcp_rx.recv() => match event {
                    TcpEvent::Opened(peer, writer) => {
                        self.tcp.insert(peer, writer);
                    }
                    TcpEvent::Packet(peer, packet) => {
                        receive_guarded(&mut self.sfu, Protocol::Tcp, peer, self.media_addr, &packet);
                    }
                    TcpEvent::Closed(peer) => {
                        self.tcp.remove(&peer);
                    }
                },
                () = sleep => {}
            }
            next = self.drive(&socket);
        }
    }

    /// Lets the SFU run and carries its events to signaling.
    fn drive(&mut self, socket: &UdpSocket) -> Instant {
        // Signaling below needs `self` whole: the TCP writers step out meanwhile.
        let tcp = std::mem::take(&mut self.tcp);
        let mut collected = Collected { socket, tcp: &tcp, events: Vec::new() };
        let mut next = drive_guarded(&mut self.sfu, &mut collected);
        // Signaling's answers may ask the SFU for more (a lost participant is
        // removed): run until it is quiet.
        for _ in 0..4 {
            if collected.events.is_empty() {
                break;
            }
            let events = std::mem::take(&mut collected.events);
            for (room, event) in events {
                let effects = match self.calls.get_mut(&room) {
                    Some(active) => active.call.media(event),
                    None => continue,
                };
                self.apply(&room, effects);
            }
            next = drive_guarded(&mut self.sfu, &mut collected);
        }
        drop(collected);
        self.tcp = tcp;
        *self.stats.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = self.sfu.stats();
        next
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Join { room, workspace, joining, outbox, reply } => {
                let participant = joining.participant.clone();
                let limit = self.limit;
                let active = self.calls.entry(room.clone()).or_insert_with(|| ActiveCall {
                    workspace,
                    call: Call::new(CallConfig { room: room.clone(), limit }),
                    sockets: HashMap::new(),
                    started: Instant::now(),
                });
                match active.call.join(now_ms(), joining) {
                    Ok(effects) => {
                        active.sockets.insert(participant, outbox);
                        let _ = reply.send(Ok(()));
                        self.apply(&room, effects);
                    }
                    Err(refusal) => {
                        let _ = reply.send(Err(refusal));
                        self.end_if_empty(&room);
                    }
                }
            }
            Command::Frame { room, participant, command } => {
                let Some(active) = self.calls.get_mut(&room) else { return };
                let effects = active.call.command(&participant, command);
                self.apply(&room, effects);
            }
            Command::SocketClosed { room, participant } => {
                let Some(active) = self.calls.get_mut(&room) else { return };
                active.sockets.remove(&participant);
                let effects = active.call.socket_closed(&participant);
                self.apply(&room, effects);
            }
            Command::Reply { room, participant, event } => {
                if let Some(outbox) = self.calls.get(&room).and_then(|a| a.sockets.get(&participant)) {
                    send(outbox, &event);
                }
            }
            Command::RoleChanged { workspace, user, role } => {
                let rooms: Vec<RoomId> =
                    self.calls.iter().filter(|(_, a)| a.workspace == workspace).map(|(r, _)| r.clone()).collect();
                for room in rooms {
                    let Some(active) = self.calls.get_mut(&room) else { continue };
                    let effects = active.call.role_changed(&user, role);
                    self.apply(&room, effects);
                }
            }
        }
    }

    /// Carries out signaling's effects for `room`.
    fn apply(&mut self, room: &RoomId, effects: Vec<Effect>) {
        let now = Instant::now();
        for effect in effects {
            match effect {
                Effect::Send(participant, event) => {
                    let Some(active) = self.calls.get(room) else { continue };
                    if let Some(outbox) = active.sockets.get(&participant) {
                        send(outbox, &event);
                    }
                }
                Effect::Close(participant, reason) => {
                    let Some(active) = self.calls.get_mut(room) else { continue };
                    if let Some(outbox) = active.sockets.remove(&participant) {
                        outbox.close_when_written(close_code::NORMAL, close_reason(reason));
                    }
                }
                Effect::Media(action) => {
                    let who = action.participant().cloned();
                    // What one browser sent must not take every call down: a
                    // panic in the media stack drops that participant only.
                    let acted = std::panic::catch_unwind(AssertUnwindSafe(|| self.sfu.act(now, room, action)));
                    if acted.is_err()
                        && let Some(who) = who
                    {
                        tracing::error!(%room, participant = %who, "the media stack failed on a participant's request: it leaves the call");
                        self.drop_broken(room, &who);
                    }
                }
            }
        }
        self.publish_roster(room);
        self.end_if_empty(room);
    }

    /// Removes a participant whose media state may be broken, and tells its call.
    fn drop_broken(&mut self, room: &RoomId, who: &ParticipantId) {
        let remove = MediaAction::RemoveParticipant { participant: who.clone() };
        if std::panic::catch_unwind(AssertUnwindSafe(|| self.sfu.act(Instant::now(), room, remove))).is_err() {
            tracing::error!(%room, participant = %who, "the media stack failed removing a participant");
        }
        let effects = match self.calls.get_mut(room) {
            Some(active) => active.call.media(MediaEvent::ConnectionLost { participant: who.clone() }),
            None => return,
        };
        self.apply(room, effects);
    }

    /// Tells the workspace who is in `room`'s call, if that changed.
    fn publish_roster(&mut self, room: &RoomId) {
        let (workspace, members) = match self.calls.get(room) {
            Some(active) => (
                active.workspace.clone(),
                active
                    .call
                    .participants()
                    .into_iter()
                    .map(|p| CallMember { user_id: p.user_id, name: p.name })
                    .collect::<Vec<_>>(),
            ),
            None => return,
        };
        {
            let mut rosters = self.rosters.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let rooms = rosters.entry(workspace.clone()).or_default();
            if rooms.get(room).is_some_and(|known| *known == members)
                || (members.is_empty() && !rooms.contains_key(room))
            {
                return;
            }
            if members.is_empty() {
                rooms.remove(room);
                if rooms.is_empty() {
                    rosters.remove(&workspace);
                }
            } else {
                rooms.insert(room.clone(), members.clone());
            }
        }
        if let Some(sink) = self.roster_sink.get() {
            sink(&workspace, room, &members);
        }
    }

    /// Drops a call nobody is in any more, and sends its summary to be kept.
    fn end_if_empty(&mut self, room: &RoomId) {
        if !self.calls.get(room).is_some_and(|a| a.call.is_empty()) {
            return;
        }
        let Some(active) = self.calls.remove(room) else { return };
        let stats = active.call.summary();
        if stats.total_joins == 0 {
            return;
        }
        let media = self.sfu.room_stats(room);
        let seconds = active.started.elapsed().as_secs_f64().max(0.001);
        tracing::debug!(%room, seconds, "call over");
        let _ = self.summaries.send(CallSummary {
            room: room.clone(),
            workspace: active.workspace,
            started_at_ms: stats.started_at_ms.unwrap_or_else(now_ms),
            ended_at_ms: now_ms(),
            peak_participants: i64::from(stats.peak_participants),
            total_joins: i64::from(stats.total_joins),
            average_bitrate_bps: (media.received_bytes as f64 * 8.0 / seconds) as i64,
            loss: media.loss,
        });
    }
}

/// Runs the SFU; a panic in the media stack is logged and the engine goes on
/// (the connection at fault stops answering and is dropped after its grace).
fn drive_guarded(sfu: &mut Sfu, out: &mut Collected<'_>) -> Instant {
    std::panic::catch_unwind(AssertUnwindSafe(|| sfu.drive(Instant::now(), out))).unwrap_or_else(|_| {
        tracing::error!("the media stack failed while running; carrying on");
        Instant::now() + std::time::Duration::from_millis(10)
    })
}

/// Hands a datagram to the SFU, guarded like [`drive_guarded`].
fn receive_guarded(sfu: &mut Sfu, proto: Protocol, source: SocketAddr, destination: SocketAddr, data: &[u8]) {
    let received =
        std::panic::catch_unwind(AssertUnwindSafe(|| sfu.receive(Instant::now(), proto, source, destination, data)));
    if received.is_err() {
        tracing::error!(%source, "the media stack failed on a datagram; carrying on");
    }
}

fn send(outbox: &Outbox, event: &CallEvent) {
    match serde_json::to_string(event) {
        Ok(json) => {
            if outbox.push(Bytes::from(json)).is_err() {
                outbox.close(close_code::TRY_AGAIN_LATER, "too slow: reconnect");
            }
        }
        Err(err) => tracing::error!(%err, "a call event could not be encoded"),
    }
}

fn close_reason(reason: LeaveReason) -> &'static str {
    match reason {
        LeaveReason::Left => "left the call",
        LeaveReason::Disconnected => "media connection lost",
        LeaveReason::Removed => "removed from the call by a moderator",
        LeaveReason::CallEnded => "the call was ended",
        LeaveReason::AccessRemoved => crate::ws::ACCESS_REMOVED,
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
