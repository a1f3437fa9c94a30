//! One tiering pass: the buckets' lifecycle rules (and, for buckets without any, the default
//! policy) decide what happens. First the catalog-only actions — expirations (through the
//! delete path and `gc_queue`) and aborts of stale multipart uploads — which need no cold tier;
//! then the transitions: hot objects that a rule (or the default policy) matches are streamed to
//! the cold tier in batches with bounded concurrency, verified, switched by compare-and-set, and
//! only then is the hot copy let go (when configured). One pass at a time, across every
//! process, so no move is in flight while expirations run. Every rule is one catalog query,
//! paged by key, or by object id from the tag index for a rule with tags
//! (`Catalog::rule_matches`): a pass reads no row it does not act on more than once per rule.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use thiserror::Error;
use tiergate_core::catalog::{
    now_ms, BucketRules, CatalogError, CatalogObject, RuleCursor, RuleQuery, RuleResult, TieringRun,
};
use tiergate_core::lifecycle::{RuleFilter, Trigger};
use tiergate_core::metrics::metrics;
use tiergate_core::objects::{backing_metadata, Meter};
use tiergate_core::settings::DefaultPolicy;
use tiergate_core::storage::{PutOptions, Reported, StorageError};
use tiergate_core::Core;

#[derive(Debug, Error)]
pub enum PassError {
    #[error("another tiering pass is running")]
    Busy,
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// Points where tests step in (to overwrite or delete an object mid-move, deterministically).
pub trait PassHooks: Send + Sync {
    /// Called after an object's bytes are in the cold tier and verified, before the switch,
    /// while the move still holds its transfer slot.
    fn after_copy<'a>(&'a self, object: &'a CatalogObject) -> BoxFuture<'a, ()>;
}

/// How far a pass has got, for progress displays.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub candidates: i64,
    pub done: i64,
    pub moved: i64,
    pub failed: i64,
    pub bytes_moved: i64,
}

/// What a dry run would do to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryAction {
    Move,
    Expire,
}

/// Told, in a dry run, of each object the pass would move or expire.
pub type DryMatch = Arc<dyn Fn(DryAction, &CatalogObject) + Send + Sync>;

/// What to run.
pub struct PassOptions {
    /// `schedule`, `manual` (REST) or `cli`.
    pub trigger: String,
    pub dry_run: bool,
    pub hooks: Option<Arc<dyn PassHooks>>,
    pub progress: Option<Arc<dyn Fn(Progress) + Send + Sync>>,
    /// In a dry run, told of each object the pass would move or expire.
    pub on_dry_match: Option<DryMatch>,
}

impl PassOptions {
    pub fn new(trigger: &str) -> Self {
        Self { trigger: trigger.into(), dry_run: false, hooks: None, progress: None, on_dry_match: None }
    }
}

/// The result of moving one object.
enum Moved {
    Done(u64),
    /// Not moved and not a failure: the object changed or went away, or a collector holds its
    /// key; the next pass looks again.
    Skipped(&'static str),
}

/// Why one object could not be moved; `fatal` ends the pass (the cold tier is down).
struct MoveFailure {
    reason: String,
    fatal: bool,
}

impl From<CatalogError> for MoveFailure {
    fn from(e: CatalogError) -> Self {
        MoveFailure { fatal: matches!(e, CatalogError::Unavailable(_)), reason: format!("catalog: {e}") }
    }
}

fn storage_failure(what: &str, e: StorageError) -> MoveFailure {
    MoveFailure { fatal: matches!(e, StorageError::Unavailable(_)), reason: format!("{what}: {e}") }
}

/// How a copy's bytes are proved: by the MD5 the catalog has (compared with what the cold tier
/// reports), or by hashing them on the way.
enum CopyCheck {
    Known(String),
    Hashed(Meter),
}

/// Why the intent of a candidate the pass never copied was given up.
const NOT_COPIED: &str = "the pass stopped before copying";

/// What the moves of a pass share: the transfer slots (`tiering.concurrency` copies at a
/// time) and the word to start no more copies.
struct Slots {
    transfers: tokio::sync::Semaphore,
    stop: AtomicBool,
}

/// Moves one object whose intent the pass registered (`None`: a collector holds its key).
async fn move_object(
    core: &Core,
    object: &CatalogObject,
    intent: Option<i64>,
    slots: &Slots,
    hooks: Option<&Arc<dyn PassHooks>>,
) -> Result<Moved, MoveFailure> {
    let Some(hot_key) = object.hot_key.clone() else {
        return Ok(Moved::Skipped("no hot copy"));
    };
    // The same relative key in both tiers (invariant 1).
    let cold_key = hot_key.clone();
    let Some(intent) = intent else {
        return Ok(Moved::Skipped("a collector is deleting this key"));
    };
    let slot = slots.transfers.acquire().await.expect("the transfer slots are never closed");
    if slots.stop.load(Ordering::SeqCst) {
        core.catalog.abandon_tiering_intent(intent, NOT_COPIED).await?;
        return Ok(Moved::Skipped("the pass stopped before copying it"));
    }
    let outcome = copy_and_verify(core, object, &hot_key, &cold_key).await;
    if let (Ok(Some(_)), Some(hooks)) = (&outcome, hooks) {
        hooks.after_copy(object).await;
    }
    // What is left are catalog writes: the next copy need not wait for them.
    drop(slot);
    let moved = match outcome {
        Ok(Some(bytes)) => {
            let drop_hot = core.settings.tiering.delete_hot_after_copy.then_some(core.settings.gc.grace);
            if core.catalog.switch_to_cold(object, &cold_key, intent, drop_hot).await? {
                Moved::Done(bytes)
            } else {
                Moved::Skipped("the object changed while it was copied")
            }
        }
        Ok(None) => {
            core.catalog.abandon_tiering_intent(intent, "orphaned cold copy: the object went away").await?;
            Moved::Skipped("the object was overwritten or deleted")
        }
        Err(failure) => {
            core.catalog.abandon_tiering_intent(intent, "cold copy of a failed move").await?;
            return Err(failure);
        }
    };
    Ok(moved)
}

/// Streams the hot copy to the cold tier and checks what arrived. `Ok(None)` when the hot
/// copy is gone because the object moved on (overwritten or deleted meanwhile).
async fn copy_and_verify(
    core: &Core,
    object: &CatalogObject,
    hot_key: &tiergate_core::domain::BackingKey,
    cold_key: &tiergate_core::domain::BackingKey,
) -> Result<Option<u64>, MoveFailure> {
    let mut body = match core.hot.backend.get(hot_key, None).await {
        Ok(body) => body,
        Err(StorageError::NotFound) => {
            let now = core.catalog.object(object.owner, object.bucket_id, &object.key).await?;
            return match now {
                Some(o) if o.version_id == object.version_id => {
                    Err(MoveFailure { reason: "the hot copy is missing".into(), fatal: false })
                }
                _ => Ok(None),
            };
        }
        Err(e) => return Err(storage_failure("reading the hot copy", e)),
    };
    // Cold copies carry where they belong, as hot ones do, and the object's tags (as
    // `x-amz-tagging` writes them), so the cold tier can be read without the catalog.
    let mut metadata = backing_metadata(object.owner, &object.bucket, &object.key);
    if !object.tags.is_empty() {
        metadata.push((tiergate_core::objects::META_TAGS.to_string(), object.tags.to_header()));
    }
    let opts = PutOptions { content_type: object.content_type.clone(), metadata, content_length: Some(object.size) };
    // When the catalog has the object's MD5 and the cold tier reports the MD5 of what it
    // stored, comparing the two proves the copy: the bytes need not be hashed here too.
    let check =
        match object.checksums.get("md5").filter(|_| core.cold.backend.reports(Some(object.size)) == Reported::Md5) {
            Some(known) => CopyCheck::Known(known.clone()),
            None => {
                let (metered, meter) = Meter::hashing(body, None);
                body = metered;
                CopyCheck::Hashed(meter)
            }
        };
    let receipt =
        core.cold.backend.put(cold_key, body, opts).await.map_err(|e| storage_failure("writing the cold copy", e))?;
    let md5 = match check {
        CopyCheck::Hashed(meter) => {
            let measured = meter.finish().await;
            let (read, md5) = (measured.bytes, measured.md5.map(hex::encode));
            let Some(md5) = md5.filter(|_| read == object.size) else {
                return Err(MoveFailure { reason: format!("read {read} bytes of {}", object.size), fatal: false });
            };
            if let Some(expected) = object.checksums.get("md5") {
                if *expected != md5 {
                    return Err(MoveFailure {
                        reason: format!("checksum mismatch: hot copy has MD5 {md5}, expected {expected}"),
                        fatal: false,
                    });
                }
            }
            md5
        }
        CopyCheck::Known(known) => {
            if receipt.md5.is_none() {
                return Err(MoveFailure { reason: "the cold tier reported no MD5 of the copy".into(), fatal: false });
            }
            known
        }
    };
    if receipt.size != object.size || receipt.contradicts(&md5) {
        return Err(MoveFailure {
            reason: format!(
                "the cold tier holds other bytes than the catalog's ({} bytes, MD5 {:?}; expected {} bytes, MD5 {md5})",
                receipt.size, receipt.md5, object.size
            ),
            fatal: false,
        });
    }
    // A backend that reported the MD5 of what it holds has proved the bytes; ask the others.
    if receipt.md5.is_none() {
        let stored =
            core.cold.backend.head(cold_key).await.map_err(|e| storage_failure("checking the cold copy", e))?;
        if stored.size != object.size {
            return Err(MoveFailure {
                reason: format!("the cold copy has {} bytes of {}", stored.size, object.size),
                fatal: false,
            });
        }
    }
    Ok(Some(object.size))
}

/// Keeps the lease alive while the pass runs; `lost` turns true if it could not.
fn keep_lease(core: Core, holder: String, ttl: Duration, lost: Arc<AtomicBool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = (ttl / 3).max(Duration::from_millis(100));
        loop {
            tokio::time::sleep(every).await;
            match core.catalog.renew_tiering_lease(&holder, ttl).await {
                Ok(true) => {}
                Ok(false) | Err(_) => {
                    lost.store(true, Ordering::SeqCst);
                    return;
                }
            }
        }
    })
}

/// A pass that holds the lease and has its run record; [`StartedPass::finish`] does the work.
pub struct StartedPass {
    core: Core,
    options: PassOptions,
    holder: String,
    lost: Arc<AtomicBool>,
    heartbeat: tokio::task::JoinHandle<()>,
    run: TieringRun,
    created_before: i64,
}

/// Takes the lease (else `Busy`), cleans up after a pass that died, and records a new run.
pub async fn begin_pass(core: &Core, options: PassOptions) -> Result<StartedPass, PassError> {
    let settings = &core.settings.tiering;
    let holder = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
    if !core.catalog.acquire_tiering_lease(&holder, settings.lease_ttl).await? {
        return Err(PassError::Busy);
    }
    let lost = Arc::new(AtomicBool::new(false));
    let heartbeat = keep_lease(core.clone(), holder.clone(), settings.lease_ttl, lost.clone());
    let started = async {
        // Whatever a dead pass left: its run record and its half-made copies.
        core.catalog.fail_interrupted_runs().await?;
        core.catalog.release_tiering_intents().await?;
        let run = core.catalog.start_tiering_run(&options.trigger, options.dry_run).await?;
        let created_before = now_ms() - i64::try_from(settings.min_age.as_millis()).unwrap_or(i64::MAX);
        Ok::<_, CatalogError>((run, created_before))
    }
    .await;
    match started {
        Ok((run, created_before)) => {
            Ok(StartedPass { core: core.clone(), options, holder, lost, heartbeat, run, created_before })
        }
        Err(e) => {
            heartbeat.abort();
            let _ = core.catalog.release_tiering_lease(&holder).await;
            Err(e.into())
        }
    }
}

impl StartedPass {
    pub fn run_id(&self) -> i64 {
        self.run.id
    }

    /// Moves the candidates, records the outcome, and lets go of the lease.
    pub async fn finish(self) -> Result<TieringRun, PassError> {
        let result = run_leased(&self.core, &self.options, &self.lost, self.run, self.created_before).await;
        self.heartbeat.abort();
        let _ = self.core.catalog.release_tiering_lease(&self.holder).await;
        result
    }
}

/// Runs one pass and returns its record. `Busy` when another pass holds the lease.
pub async fn run_pass(core: &Core, options: PassOptions) -> Result<TieringRun, PassError> {
    begin_pass(core, options).await?.finish().await
}

/// Stores the figures so far in the run record and tells the progress callback.
async fn report(core: &Core, options: &PassOptions, run: &TieringRun, done: i64) -> Result<(), CatalogError> {
    core.catalog.update_tiering_run(run).await?;
    if let Some(progress) = &options.progress {
        progress(Progress {
            candidates: run.candidates,
            done,
            moved: run.moved,
            failed: run.failed,
            bytes_moved: run.bytes_moved,
        });
    }
    Ok(())
}

/// Where a pass's transition candidates come from: the default policy (buckets without rules),
/// then each enabled transition rule of each bucket, one after the other.
struct TransitionScope {
    /// The index of its figures in the pass's results.
    result: usize,
    bucket_id: Option<i64>,
    kind: ScopeKind,
}

enum ScopeKind {
    Default { created_before: i64 },
    Rule { filter: RuleFilter, created_cutoff: i64, min_size: u64 },
}

/// The next thing the transition loop gets.
enum Page {
    Objects(usize, Vec<CatalogObject>),
    /// The next scope is in a bucket an earlier scope walked: wait for the moves in flight
    /// first, so that an object two rules match is not moved twice at once.
    Drain,
    Done,
}

struct Candidates {
    scopes: Vec<TransitionScope>,
    current: usize,
    /// Where the current scope's next page starts: by id for the default policy, by the
    /// rule's own cursor for a rule.
    after_id: i64,
    rule_cursor: RuleCursor,
    seen_buckets: std::collections::HashSet<i64>,
    drained: bool,
}

impl Candidates {
    async fn next_page(&mut self, core: &Core, limit: i64) -> Result<Page, CatalogError> {
        loop {
            let Some(scope) = self.scopes.get(self.current) else { return Ok(Page::Done) };
            if let (Some(bucket), false) = (scope.bucket_id, self.drained) {
                if self.rule_cursor == RuleCursor::Start && !self.seen_buckets.insert(bucket) {
                    self.drained = true;
                    return Ok(Page::Drain);
                }
            }
            let objects = match &scope.kind {
                ScopeKind::Default { created_before } => {
                    core.catalog.default_policy_candidates(*created_before, self.after_id, limit).await?
                }
                ScopeKind::Rule { filter, created_cutoff, min_size } => {
                    let q = RuleQuery {
                        bucket_id: scope.bucket_id.unwrap_or(0),
                        filter,
                        hot_only: true,
                        created_cutoff: *created_cutoff,
                        min_size: *min_size,
                    };
                    let (objects, next) = core.catalog.rule_matches(&q, &self.rule_cursor, limit).await?;
                    self.rule_cursor = next;
                    objects
                }
            };
            match objects.last() {
                Some(last) => {
                    // The default policy pages by id; rules by their own cursor (set above).
                    self.after_id = last.id;
                    return Ok(Page::Objects(scope.result, objects));
                }
                None => {
                    self.current += 1;
                    self.after_id = 0;
                    self.rule_cursor = RuleCursor::Start;
                    self.drained = false;
                }
            }
        }
    }
}

/// What each rule did in a pass: `results[0]` is the default policy's, the others are found by
/// (bucket, rule) index.
struct Figures {
    results: Vec<RuleResult>,
    index: std::collections::HashMap<(usize, usize), usize>,
}

impl Figures {
    fn new() -> Self {
        Figures { results: vec![RuleResult::default()], index: Default::default() }
    }

    /// Objects and uploads whose action failed.
    fn failures(&self) -> i64 {
        self.results.iter().map(|r| r.move_failed + r.expire_failed + r.abort_failed).sum()
    }

    /// The place of rule `r` of bucket `b` (made on first use).
    fn slot(&mut self, b: usize, r: usize, bucket: &BucketRules, rule_id: &str) -> usize {
        let results = &mut self.results;
        *self.index.entry((b, r)).or_insert_with(|| {
            results.push(RuleResult {
                owner: Some(bucket.owner),
                bucket: Some(bucket.bucket.clone()),
                rule_id: Some(rule_id.to_string()),
                ..Default::default()
            });
            results.len() - 1
        })
    }
}

/// Expirations and aborts: catalog work only, done before any move starts (so none is in
/// flight) and whether or not the cold tier answers. `Err` only for a catalog that is down or
/// a lost lease (the pass fails).
async fn expire_and_abort(
    core: &Core,
    options: &PassOptions,
    lost: &AtomicBool,
    rules: &[BucketRules],
    figures: &mut Figures,
    run: &mut TieringRun,
    would_expire: &mut std::collections::HashSet<i64>,
) -> Result<(), String> {
    let (now, day) = (now_ms(), core.day_length_ms());
    let limit = i64::from(core.settings.tiering.batch_size);
    let grace = core.settings.gc.grace;
    let down = |e: CatalogError| format!("catalog: {e}");
    for (b, bucket) in rules.iter().enumerate() {
        for (r, rule) in bucket.configuration.rules.iter().enumerate().filter(|(_, r)| r.enabled) {
            let slot = figures.slot(b, r, bucket, &rule.id);
            let results = &mut figures.results;
            if let Some(cutoff) = rule.expiration.and_then(|t| t.created_cutoff(now, day)) {
                let q = RuleQuery {
                    bucket_id: bucket.bucket_id,
                    filter: &rule.filter,
                    hot_only: false,
                    created_cutoff: cutoff,
                    min_size: 0,
                };
                let mut after = RuleCursor::Start;
                loop {
                    if lost.load(Ordering::SeqCst) {
                        return Err("the tiering lease was lost".into());
                    }
                    // A configuration replaced or removed since the pass read it stops its
                    // expirations: a user who takes back a rule means it.
                    if core.catalog.lifecycle_revision_now(bucket.bucket_id).await.map_err(down)?
                        != Some(bucket.revision)
                    {
                        tracing::info!(bucket = %bucket.bucket, rule = %rule.id, "lifecycle configuration changed during the pass; its expirations stop");
                        break;
                    }
                    let (page, next) = core.catalog.rule_matches(&q, &after, limit).await.map_err(down)?;
                    if page.is_empty() {
                        break;
                    }
                    after = next;
                    for object in &page {
                        results[slot].matched += 1;
                        if options.dry_run {
                            if let Some(f) = &options.on_dry_match {
                                f(DryAction::Expire, object);
                            }
                            // It would be gone: the transitions of this dry run pass it by.
                            would_expire.insert(object.id);
                            continue;
                        }
                        match core.catalog.expire_object(object, grace).await {
                            Ok(true) => {
                                results[slot].expired += 1;
                                results[slot].bytes_expired += object.size as i64;
                                run.expired += 1;
                            }
                            Ok(false) => {
                                tracing::info!(object_id = object.id, "object changed before it expired; skipped")
                            }
                            Err(e @ CatalogError::Unavailable(_)) => return Err(down(e)),
                            Err(e) => {
                                results[slot].expire_failed += 1;
                                tracing::warn!(object_id = object.id, bucket = %bucket.bucket, key = %object.key, error = %e,
                                    "could not expire an object");
                            }
                        }
                    }
                }
            }
            if let Some(days) = rule.abort_incomplete_multipart_upload_days {
                let cutoff = Trigger::Days(days).created_cutoff(now, day).unwrap_or(i64::MIN);
                let mut after = 0;
                loop {
                    if lost.load(Ordering::SeqCst) {
                        return Err("the tiering lease was lost".into());
                    }
                    let page = core
                        .catalog
                        .rule_stale_uploads(bucket.bucket_id, &rule.filter.prefix, cutoff, after, limit)
                        .await
                        .map_err(down)?;
                    let Some((last, _)) = page.last() else { break };
                    after = *last;
                    for (_, upload) in page {
                        if options.dry_run {
                            continue;
                        }
                        match core.abort_multipart(&upload).await {
                            Ok(()) => {
                                results[slot].aborted += 1;
                                run.aborted += 1;
                            }
                            Err(e) => {
                                results[slot].abort_failed += 1;
                                tracing::warn!(upload_id = %upload.upload_id, bucket = %bucket.bucket, error = %e,
                                    "could not abort a multipart upload by a lifecycle rule");
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// What the transition phase carries from one page of buckets to the next: the copy slots, the
/// objects not to try again (their move failed in this pass, or a dry run would have expired
/// them) and the count of objects done.
struct Moves {
    slots: Arc<Slots>,
    skip: std::collections::HashSet<i64>,
    done: i64,
}

/// Moves what `scopes` match, to the end (nothing is in flight when it returns); the figures go
/// to `figures` and `run`. A fatal error (the cold tier went down, the lease was lost) is
/// returned, and stops every later page too.
async fn move_scopes(
    core: &Core,
    options: &PassOptions,
    lost: &AtomicBool,
    moves: &mut Moves,
    scopes: Vec<TransitionScope>,
    figures: &mut Figures,
    run: &mut TieringRun,
) -> Result<Option<String>, PassError> {
    let settings = &core.settings.tiering;
    let mut fatal: Option<String> = None;
    let mut candidates = Candidates {
        scopes,
        current: 0,
        after_id: 0,
        rule_cursor: RuleCursor::Start,
        seen_buckets: Default::default(),
        drained: false,
    };
    // Candidates come in pages of `batch_size`, and the intents of a page are registered
    // together. Each move is a task of its own, so moves go on while this loop waits for
    // the catalog (the next page, the run record) and share the runtime's worker threads.
    // `concurrency` copies run at a time and a new one starts as soon as one ends, with no
    // pause between pages; a move's switch in the catalog does not hold its copy's slot, so
    // up to twice as many tasks are about.
    let slots = moves.slots.clone();
    let mut in_flight = tokio::task::JoinSet::new();
    let mut page = std::collections::VecDeque::new();
    let (mut exhausted, mut draining) = (false, false);
    loop {
        if fatal.is_some() || lost.load(Ordering::SeqCst) {
            slots.stop.store(true, Ordering::SeqCst);
        }
        while in_flight.len() < 2 * settings.concurrency as usize && !slots.stop.load(Ordering::SeqCst) {
            if page.is_empty() {
                if exhausted || (draining && !in_flight.is_empty()) {
                    break;
                }
                draining = false;
                match candidates.next_page(core, i64::from(settings.batch_size)).await? {
                    Page::Done => exhausted = true,
                    Page::Drain => draining = true,
                    Page::Objects(scope, next) => {
                        let next: Vec<_> = next.into_iter().filter(|o| !moves.skip.contains(&o.id)).collect();
                        run.candidates += next.len() as i64;
                        figures.results[scope].matched += next.len() as i64;
                        if options.dry_run {
                            if let Some(f) = &options.on_dry_match {
                                next.iter().for_each(|o| f(DryAction::Move, o));
                            }
                            continue;
                        }
                        let keys: Vec<_> = next.iter().filter_map(|o| o.hot_key.clone()).collect();
                        let mut intents = core.catalog.register_tiering_intents(&keys).await?.into_iter();
                        page.extend(next.into_iter().map(|o| {
                            let intent = if o.hot_key.is_some() { intents.next().flatten() } else { None };
                            (scope, o, intent)
                        }));
                    }
                }
                continue;
            }
            let Some((scope, object, intent)) = page.pop_front() else { break };
            let (core, slots, hooks) = (core.clone(), slots.clone(), options.hooks.clone());
            in_flight.spawn(async move {
                let r = move_object(&core, &object, intent, &slots, hooks.as_ref()).await;
                (scope, object, r)
            });
        }
        let (scope, object, result) = match in_flight.join_next().await {
            None => break,
            Some(Ok(moved)) => moved,
            // A move that panicked: the pass fails as it did when the moves ran inline (its
            // intent, if any, is released by the next pass).
            Some(Err(e)) => std::panic::resume_unwind(e.into_panic()),
        };
        moves.done += 1;
        match result {
            Ok(Moved::Done(n)) => {
                run.moved += 1;
                run.bytes_moved += n as i64;
                figures.results[scope].moved += 1;
                figures.results[scope].bytes_moved += n as i64;
            }
            Ok(Moved::Skipped(why)) => {
                tracing::info!(object_id = object.id, reason = why, "object skipped");
            }
            Err(failure) => {
                run.failed += 1;
                figures.results[scope].move_failed += 1;
                moves.skip.insert(object.id);
                tracing::warn!(object_id = object.id, bucket = %object.bucket, key = %object.key, reason = %failure.reason,
                    "object stays hot");
                core.catalog.record_tiering_failure(run.id, &object, &failure.reason).await?;
                if failure.fatal {
                    fatal.get_or_insert(failure.reason);
                }
            }
        }
        if moves.done % i64::from(settings.batch_size) == 0 {
            report(core, options, run, moves.done).await?;
        }
    }
    // A pass that stopped early leaves the rest of its page for the next one.
    for intent in page.into_iter().filter_map(|(_, _, intent)| intent) {
        core.catalog.abandon_tiering_intent(intent, NOT_COPIED).await?;
    }
    if lost.load(Ordering::SeqCst) {
        fatal.get_or_insert("the tiering lease was lost".to_string());
    }
    report(core, options, run, moves.done).await?;
    Ok(fatal)
}

/// Buckets with rules are read this many at a time: a pass holds one page of configurations
/// (each at most about 2 MiB) and one page of per-rule figures.
const BUCKET_PAGE: i64 = 10;

async fn run_leased(
    core: &Core,
    options: &PassOptions,
    lost: &AtomicBool,
    mut run: TieringRun,
    created_before: i64,
) -> Result<TieringRun, PassError> {
    let settings = &core.settings.tiering;
    let started = Instant::now();
    let mut failures = 0;
    let mut moves = Moves {
        slots: Arc::new(Slots {
            transfers: tokio::sync::Semaphore::new(settings.concurrency as usize),
            stop: AtomicBool::new(false),
        }),
        skip: std::collections::HashSet::new(),
        done: 0,
    };

    // (a) Expirations and aborts, a page of buckets at a time.
    let mut fatal = None;
    let mut after = 0;
    while fatal.is_none() {
        let page = core.catalog.lifecycle_buckets(after, BUCKET_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.bucket_id;
        let mut figures = Figures::new();
        fatal = expire_and_abort(core, options, lost, &page, &mut figures, &mut run, &mut moves.skip).await.err();
        failures += figures.failures();
        core.catalog.record_rule_results(run.id, &figures.results).await?;
    }
    // (b) The cold tier must answer for any move.
    if fatal.is_none() && !options.dry_run {
        if let Err(e) = core.cold.backend.check().await {
            fatal = Some(format!(
                "the cold tier is unavailable: {e}; no object was moved (expirations and aborts were done)"
            ));
        }
    }
    // (c) Transitions: the default policy's, then a page of buckets' rules at a time.
    let (now, day) = (now_ms(), core.day_length_ms());
    if fatal.is_none() && settings.default_policy == DefaultPolicy::All {
        let mut figures = Figures::new();
        let scope = TransitionScope { result: 0, bucket_id: None, kind: ScopeKind::Default { created_before } };
        fatal = move_scopes(core, options, lost, &mut moves, vec![scope], &mut figures, &mut run).await?;
        failures += figures.failures();
        core.catalog.record_rule_results(run.id, &figures.results).await?;
    }
    let mut after = 0;
    while fatal.is_none() {
        let page = core.catalog.lifecycle_buckets(after, BUCKET_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.bucket_id;
        let mut figures = Figures::new();
        let mut scopes = Vec::new();
        for (b, bucket) in page.iter().enumerate() {
            for (r, rule) in bucket.configuration.rules.iter().enumerate().filter(|(_, r)| r.enabled) {
                let Some(transition) = &rule.transition else { continue };
                let Some(created_cutoff) = transition.trigger.created_cutoff(now, day) else { continue };
                let result = figures.slot(b, r, bucket, &rule.id);
                let min_size = rule.min_transition_bytes(bucket.configuration.minimum_object_size);
                scopes.push(TransitionScope {
                    result,
                    bucket_id: Some(bucket.bucket_id),
                    kind: ScopeKind::Rule { filter: rule.filter.clone(), created_cutoff, min_size },
                });
            }
        }
        if !scopes.is_empty() {
            fatal = move_scopes(core, options, lost, &mut moves, scopes, &mut figures, &mut run).await?;
        }
        failures += figures.failures();
        core.catalog.record_rule_results(run.id, &figures.results).await?;
    }

    run.status = match (&fatal, failures) {
        (Some(_), _) => "failed",
        (None, 0) => "succeeded",
        (None, _) => "partial",
    }
    .to_string();
    run.error = fatal;
    core.catalog.update_tiering_run(&run).await?;
    let seconds = started.elapsed().as_secs_f64();
    let m = metrics();
    // The run-derived series come from the run records on each scrape (`metrics::refresh_from_catalog`),
    // whichever process ran the pass; the duration histogram is this process's own.
    m.tiering_run_duration.observe(seconds);
    if run.status == "succeeded" {
        tracing::info!(run_id = run.id, trigger = %run.trigger, status = %run.status, dry_run = run.dry_run,
            candidates = run.candidates, moved = run.moved, failed = run.failed, bytes_moved = run.bytes_moved, expired = run.expired, aborted = run.aborted,
            seconds = format!("{seconds:.2}"), "tiering pass finished");
    } else {
        tracing::warn!(run_id = run.id, trigger = %run.trigger, status = %run.status, dry_run = run.dry_run,
            candidates = run.candidates, moved = run.moved, failed = run.failed, bytes_moved = run.bytes_moved, expired = run.expired, aborted = run.aborted,
            seconds = format!("{seconds:.2}"), error = run.error.as_deref().unwrap_or(""), "tiering pass did not move everything");
    }
    Ok(run)
}
