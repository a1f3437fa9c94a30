//! The HTTP client under the S3 tiers' SDK clients: the SDK's own connector (rustls, proxy
//! settings from the environment), with one connection pool per serving thread.
//!
//! The gateway serves each connection on one thread (see `tiergate_gateway::serve`). hyper runs
//! every client connection as a task on the runtime that opened it, so a GET streamed from a
//! pooled connection that another thread opened would wake that thread for every chunk. A thread
//! that calls [`pool_tier_connections_per_thread`] gets connections of its own; every other
//! thread (control plane, tiering, the collector) shares one pool, as the SDK's default would.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;

/// The settings a connector is built for: the SDK's own cache key.
type Key = (Option<Duration>, Option<Duration>);

thread_local! {
    static OWN_POOLS: Cell<bool> = const { Cell::new(false) };
    /// This thread's connectors, by client and settings.
    static CONNECTORS: RefCell<HashMap<(u64, Key), SharedHttpConnector>> = RefCell::new(HashMap::new());
}

/// From now on, S3 tier requests made on this thread use connections opened on this thread.
/// For a thread that runs a current-thread tokio runtime of its own until it ends.
pub fn pool_tier_connections_per_thread() {
    OWN_POOLS.with(|own| own.set(true));
}

/// An HTTP client for one SDK client (each has its own pools, as with the SDK's default).
pub(crate) fn tier_http_client() -> SharedHttpClient {
    static NEXT_ID: AtomicU64 = AtomicU64::new(0);
    TierHttpClient { id: NEXT_ID.fetch_add(1, Ordering::Relaxed), shared: Mutex::default() }.into_shared()
}

#[derive(Debug)]
struct TierHttpClient {
    id: u64,
    shared: Mutex<HashMap<Key, SharedHttpConnector>>,
}

impl HttpClient for TierHttpClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        if OWN_POOLS.with(Cell::get) {
            return CONNECTORS.with(|c| {
                c.borrow_mut().entry((self.id, key)).or_insert_with(|| connector(settings, components)).clone()
            });
        }
        let mut shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        shared.entry(key).or_insert_with(|| connector(settings, components)).clone()
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        Some(ConnectorMetadata::new("hyper", Some(Cow::Borrowed("1.x"))))
    }
}

/// What the SDK's default HTTP client builds (aws-smithy-runtime's `default_https_client`).
fn connector(settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
    let mut builder = Connector::builder().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
    builder.set_connector_settings(Some(settings.clone()));
    builder.set_sleep_impl(components.sleep_impl());
    builder.set_proxy_config(Some(ProxyConfig::from_env()));
    builder.build().into_shared()
}
