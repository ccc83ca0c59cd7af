//! Putting Hearth together: open the database, start the message writer and the hub,
//! mount the pages and the API behind their middleware, listen, and shut down cleanly.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use poem::{
    Endpoint, EndpointExt, IntoResponse, PathPattern, Request, Response, Route, Server, get,
    listener::{Acceptor, Listener, TcpAcceptor, TcpListener},
    session::ServerSession,
};
use tokio::task::JoinHandle;

use crate::{
    api,
    auth::{
        self, Accounts, BearerAuth, ClientLimits, Passwords, SameOriginOnly, SessionCookie,
        SessionStore, cookie_config,
    },
    config::Config,
    files::Files,
    live::{
        Fanout, Hub, Relay,
        redis_bridge::{self, RedisStatus},
    },
    messages::{Outbox, RateLimiter, Recent, Writer},
    metrics,
    peer::{ResolveClient, TrustedProxies},
    push::{self, Endpoints, PushKeys},
    rooms,
    server::{
        BodyLimit, ConnectionLimits, GuardedAcceptor, MAX_BODY_BYTES, default_max_connections,
    },
    store::{self, Db},
    web, webhooks,
};

/// Everything a handler may need, shared by all requests (`Data<&AppState>`).
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub hub: Arc<Hub>,
    pub writer: Writer,
    pub limiter: Arc<RateLimiter>,
    pub passwords: Passwords,
    /// Set when Redis links this node to others.
    pub redis: Option<RedisStatus>,
    /// How often open sockets check that their session still exists.
    pub session_recheck: Duration,
    /// Logins and registrations per client address.
    pub client_limits: Arc<ClientLimits>,
    /// Rooms created per user.
    pub room_limit: Arc<rooms::CreationLimit>,
    /// Sockets one user may hold open on this node.
    pub sockets_per_user: usize,
    /// Each open room's newest page, as of its last event.
    pub recent: Arc<Recent>,
    /// Where uploaded files are kept.
    pub files: Arc<Files>,
    /// The key pushes are signed with, and which endpoints are accepted.
    pub push_keys: Arc<PushKeys>,
    pub push_endpoints: Endpoints,
    /// The sessions behind the cookie, for ending a person's others.
    pub sessions: SessionStore,
    /// Set once a bot has an outgoing webhook (see `webhooks`).
    pub hooked: webhooks::Hooked,
    /// Where people reach Hearth (`--public-url`), for the links admins hand out;
    /// without it, the address a page was asked at (https with Secure cookies).
    pub public_url: Option<String>,
    pub secure: bool,
}

impl AppState {
    /// What registering and logging in need.
    pub fn accounts(&self) -> Accounts<'_> {
        Accounts {
            db: &self.db,
            passwords: &self.passwords,
            limits: &self.client_limits,
            sessions: &self.sessions,
            sockets: &*self.hub,
        }
    }

    /// Sets `user`'s avatar (or removes it, with `None`): in the store and the
    /// database, on this session, and on the pages this node keeps (which showed the
    /// old one).
    pub async fn set_avatar(
        &self,
        session: &poem::session::Session,
        user: &auth::CurrentUser,
        image: Option<crate::files::Received>,
    ) -> crate::error::AppResult<Option<String>> {
        let key = crate::people::set_avatar(&self.db, &self.files, user, image).await?;
        // A bot's request (bearer token) has an empty session: leave it so.
        if session.get::<i64>("user_id") == Some(user.id) {
            auth::remember_avatar(session, key.as_deref());
        }
        self.recent.forget_all();
        Ok(key)
    }

    /// Deletes `user`'s account (see `auth::delete_account`), and their picture with
    /// it; the pages this node keeps show "deleted user" from now on.
    pub async fn delete_account(
        &self,
        user: &auth::CurrentUser,
        password: &str,
    ) -> crate::error::AppResult<()> {
        let avatar = store::files::avatar(&self.db, user.id).await?;
        auth::delete_account(self.accounts(), user, password).await?;
        if let Some(avatar) = avatar {
            self.files.remove_avatar(&avatar).await;
        }
        self.recent.forget_all();
        Ok(())
    }

    /// Renames a group room (admins only: see `rooms::rename`); the pages this node
    /// keeps name it anew.
    pub async fn rename_room(
        &self,
        admin: &auth::Admin,
        name: &str,
        new_name: &str,
    ) -> crate::error::AppResult<rooms::Room> {
        let room = rooms::rename(&self.db, &*self.hub, admin, name, new_name).await?;
        self.recent.forget_all();
        Ok(room)
    }

    /// What writing to a room's stream needs.
    pub fn outbox(&self) -> Outbox<'_> {
        Outbox {
            db: &self.db,
            writer: &self.writer,
            limiter: &self.limiter,
            files: &self.files,
        }
    }
}

/// A Hearth server, bound and ready to run.
pub struct App {
    acceptor: GuardedAcceptor,
    addr: SocketAddr,
    /// The operators' listener (`--metrics-addr`), if any.
    operators: Option<(TcpAcceptor, SocketAddr)>,
    state: AppState,
    tasks: Background,
    secure_cookies: bool,
    proxies: TrustedProxies,
    max_upload_bytes: u64,
}

/// The long-lived tasks, stopped in this order at shutdown.
struct Background {
    writer: JoinHandle<()>,
    fanout: JoinHandle<()>,
    redis: Option<JoinHandle<()>>,
    /// Web Push: pushes still queued when the node stops are not sent.
    push: JoinHandle<()>,
    /// Bots' webhooks: calls still queued when the node stops are not made.
    webhooks: JoinHandle<()>,
}

/// How long shutdown waits for open requests before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);
/// How long shutdown then waits for submitted messages to be stored and delivered.
const DRAIN_GRACE: Duration = Duration::from_millis(1500);

impl App {
    /// Opens (and migrates) the database and binds the listening socket.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        metrics::install();
        let db = config.open_database().await?;
        let files = Arc::new(Files::open(&config.files()).await?);
        // With Redis, the fan-out relays this node's events (and the hub its presence
        // changes and users' events) to the bridge, which hands other nodes' back, and
        // a session ended or changed on one node is forgotten by all.
        let (relay, link) = match &config.redis_url {
            Some(url) => {
                let (relay, outbound) = Relay::new();
                (Some(relay), Some((url, outbound, RedisStatus::default())))
            }
            None => (None, None),
        };
        let hub = Arc::new(Hub::new(relay.clone()));
        let peers = relay
            .clone()
            .zip(link.as_ref())
            .map(|(relay, (_, _, status))| {
                let status = status.clone();
                Arc::new(redis_bridge::LinkedPeers { relay, status }) as Arc<dyn auth::Peers>
            });
        let sessions = SessionStore::new(db.clone(), peers);
        let (fanout, committed, fanout_task) = Fanout::start(db.clone(), Arc::clone(&hub), relay);
        let (redis, redis_task) = match link {
            Some((url, outbound, status)) => {
                let node = format!("{:016x}", rand::random::<u64>());
                let listeners = redis_bridge::Listeners {
                    hub: Arc::clone(&hub),
                    fanout,
                    sessions: sessions.cache(),
                };
                let task = redis_bridge::start(url, node, status.clone(), listeners, outbound)
                    .context("configuring Redis")?;
                (Some(status), Some(task))
            }
            None => (None, None),
        };
        let push_keys = Arc::new(
            PushKeys::load(&db, config.push_contact.clone())
                .await
                .context("loading the Web Push key")?,
        );
        let (new_messages, push_task) =
            push::start(db.clone(), Arc::clone(&hub), Arc::clone(&push_keys));
        let (bot_messages, hooked, bot_incoming) = webhooks::channel();
        let (writer, writer_task) =
            Writer::start(db.clone(), committed, vec![new_messages, bot_messages]);
        let limiter = Arc::new(RateLimiter::new(config.message_rate, config.message_burst));
        let webhooks_task = webhooks::start(
            webhooks::Replies {
                db: db.clone(),
                writer: writer.downgrade(),
                limiter: Arc::clone(&limiter),
                files: Arc::clone(&files),
            },
            bot_incoming,
        );
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let passwords = Passwords::new(cores);
        passwords.warm_up();
        let auth_window = Duration::from_secs(config.auth_window_secs.max(1));
        let state = AppState {
            sessions,
            db,
            hub,
            writer,
            limiter,
            hooked,
            public_url: config.public_url.clone(),
            secure: config.secure_cookies,
            passwords,
            redis,
            session_recheck: Duration::from_secs(config.session_recheck_secs.max(1)),
            client_limits: Arc::new(ClientLimits::new(config.auth_attempts, auth_window)),
            room_limit: Arc::new(rooms::CreationLimit::new(
                config.rooms_per_hour,
                Duration::from_secs(3600),
            )),
            sockets_per_user: config.sockets_per_user.max(1),
            recent: Arc::default(),
            files,
            push_keys,
            push_endpoints: Endpoints {
                allow_loopback_http: config.push_allow_loopback_http,
            },
        };
        let tasks = Background {
            writer: writer_task,
            fanout: fanout_task,
            redis: redis_task,
            push: push_task,
            webhooks: webhooks_task,
        };
        let acceptor = TcpListener::bind(config.addr)
            .into_acceptor()
            .await
            .with_context(|| format!("listening on {}", config.addr))?;
        let addr = bound_address(&acceptor)?;
        let operators = match config.metrics_addr {
            Some(metrics_addr) => {
                let acceptor = TcpListener::bind(metrics_addr)
                    .into_acceptor()
                    .await
                    .with_context(|| format!("listening on {metrics_addr} for metrics"))?;
                let addr = bound_address(&acceptor)?;
                Some((acceptor, addr))
            }
            None => None,
        };
        let limits = ConnectionLimits {
            max_connections: config
                .max_connections
                .unwrap_or_else(default_max_connections),
            header_timeout: Duration::from_secs(config.header_timeout_secs.max(1)),
            keep_alive: Duration::from_secs(config.keep_alive_secs.max(1)),
        };
        tracing::debug!(?limits, "connection limits");
        Ok(Self {
            acceptor: GuardedAcceptor::new(acceptor, limits),
            addr,
            operators,
            state,
            tasks,
            secure_cookies: config.secure_cookies,
            max_upload_bytes: config.max_upload_bytes,
            proxies: TrustedProxies::new(config.trusted_proxies),
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The metrics address actually bound, when one was asked for.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.operators.as_ref().map(|(_, addr)| *addr)
    }

    /// Serves until `shutdown` completes, then stops in order: refuse new sockets and
    /// close open ones with 1012, finish open requests, store every message already
    /// accepted, close the database.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let App {
            acceptor,
            operators,
            state,
            tasks,
            secure_cookies,
            proxies,
            max_upload_bytes,
            ..
        } = self;
        let hub = Arc::clone(&state.hub);
        let db = state.db.clone();
        let sweeper = tokio::spawn(sweep_expired_rows(db.clone()));
        let checkpointer = db.checkpoint_in_background();
        // The operators' listener serves only /metrics and /healthz; it holds no
        // long-lived connections, so it simply stops with the rest.
        let operators = operators.map(|(acceptor, _)| {
            let routes = operator_routes(state.clone());
            tokio::spawn(Server::new_with_acceptor(acceptor).run(routes))
        });
        let public = Public {
            secure_cookies,
            metrics_here: operators.is_none(),
            proxies,
            max_upload_bytes,
        };
        let routes = routes(state, public);
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down");
            hub.shut_down();
        };
        Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(routes, signal, Some(SHUTDOWN_GRACE))
            .await?;
        sweeper.abort();
        if let Some(operators) = operators {
            operators.abort();
        }
        if let Some(checkpointer) = checkpointer {
            checkpointer.abort();
        }
        // The routes (and with them every `Writer` handle) are gone: the writer drains
        // what was submitted and stops, then the fan-out delivers what it committed,
        // then the Redis bridge relays the last of it.
        // Every socket was told to close, so this is quick; the timeout only guards the
        // promise to exit within five seconds. Acknowledged messages are committed already.
        let drained = async {
            tasks.writer.await.context("the message writer failed")?;
            tasks.fanout.await.context("the fan-out failed")
        };
        match tokio::time::timeout(DRAIN_GRACE, drained).await {
            Ok(result) => result?,
            Err(_) => tracing::warn!("gave up waiting for the message writer to drain"),
        }
        if let Some(redis) = tasks.redis {
            redis.abort();
        }
        tasks.push.abort();
        tasks.webhooks.abort();
        db.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// How the public routes are set up.
struct Public {
    secure_cookies: bool,
    /// Whether `/metrics` is served here (no separate metrics address).
    metrics_here: bool,
    proxies: TrustedProxies,
    /// The largest file an upload may carry.
    max_upload_bytes: u64,
}

/// The public routes, behind their middleware (outermost last): who the client is,
/// security headers, errors as pages or problem+json, the body limit, sessions and
/// their cookie, and the cross-site check.
fn routes(state: AppState, public: Public) -> impl poem::Endpoint + 'static {
    let sessions = ServerSession::new(cookie_config(public.secure_cookies), state.sessions.clone());
    let mut routes = web::routes()
        .at("/healthz", get(web::health))
        .nest("/assets", web::assets::routes())
        .nest("/api", api::routes())
        .nest("/hooks", api::hook_routes());
    if public.metrics_here {
        routes = routes.at("/metrics", get(web::metrics));
    }
    routes
        .around(timed)
        .with(SameOriginOnly)
        .with(BearerAuth::new(state.db.clone()))
        .with(BodyLimit::new(MAX_BODY_BYTES, public.max_upload_bytes))
        .around(errors_as_responses)
        .with(sessions)
        .with(SessionCookie::new(public.secure_cookies))
        .with(web::SecurityHeaders::new(public.secure_cookies))
        .with(ResolveClient(public.proxies))
        .data(state)
}

/// The metrics address: Prometheus text and a detailed health report, nothing else.
fn operator_routes(state: AppState) -> impl poem::Endpoint + 'static {
    Route::new()
        .at("/metrics", get(web::metrics_for_operators))
        .at("/healthz", get(web::health_for_operators))
        .data(state)
}

fn bound_address(acceptor: &TcpAcceptor) -> anyhow::Result<SocketAddr> {
    acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .context("the listener has no address")
}

/// The one place errors become responses: problem+json under `/api`, a page (or an
/// htmx fragment) in the reader's language elsewhere. It runs inside the session
/// layer, so an error page knows who is reading.
async fn errors_as_responses<E: Endpoint>(inner: Arc<E>, req: Request) -> poem::Result<Response> {
    let path = req.uri().path();
    let api = path.starts_with("/api/") || path.starts_with("/hooks/");
    let asker = (!api).then(|| web::Asker::of(&req));
    let reaction = api && api::names_a_reaction(path);
    let state = req.data::<AppState>().cloned();
    Ok(match (inner.call(req).await, asker) {
        (Ok(response), _) => response.into_response(),
        (Err(err), Some(asker)) => web::error_page(state.as_ref(), err, asker).await,
        (Err(err), None) => api::problem_response(err, reaction),
    })
}

/// Times each request by its route's pattern, which poem leaves on the response (or
/// the error) of the innermost route that matched.
async fn timed<E: Endpoint>(inner: Arc<E>, req: Request) -> poem::Result<Response> {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let result = inner.call(req).await.map(IntoResponse::into_response);
    let (status, pattern) = match &result {
        Ok(response) => (response.status(), response.data::<PathPattern>()),
        Err(err) => (err.status(), err.data::<PathPattern>()),
    };
    let route = pattern.map_or("(no route)", |p| &p.0);
    metrics::record_request(method.as_str(), route, status.as_u16(), started.elapsed());
    result
}

/// Deletes expired sessions, and login attempts too old to count, once an hour.
async fn sweep_expired_rows(db: Db) {
    let mut hourly = tokio::time::interval(Duration::from_secs(3600));
    loop {
        hourly.tick().await;
        if let Err(err) = store::sessions::delete_expired(&db, store::now_ms()).await {
            tracing::warn!(%err, "sweeping expired sessions failed");
        }
        if let Err(err) = auth::sweep_login_attempts(&db).await {
            tracing::warn!(error = %err, "sweeping old login attempts failed");
        }
    }
}
