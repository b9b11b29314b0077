//! Group commit: the writes of concurrent submissions share one transaction.
//!
//! A request checks its submission ([`super::prepare`]) in its own thread and
//! hands the prepared response to a writer. A writer takes what is queued (up
//! to `max` responses, waiting up to `wait` for more once it has one),
//! writes them in one transaction ([`super::write_batch`]), commits once and
//! only then answers each request: nothing is acknowledged before its commit.
//! While a writer commits, the next batch forms in the queue, so batches
//! grow with the load by themselves and a lone submission is not delayed.
//!
//! SQLite has one writer (it has one write lock anyway); PostgreSQL several,
//! so that one batch is being committed (waiting for the disk) while the next
//! is written. A writer takes a pooled connection per batch.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Prepared, Stored, SurveyError};
use crate::db::{DbError, Engine, Pool};

type Reply = tokio::sync::oneshot::Sender<Result<Stored, SurveyError>>;

struct Job {
    prepared: Prepared,
    reply: Reply,
}

/// How the writers batch.
#[derive(Debug, Clone, Copy)]
pub struct GroupCommit {
    /// Responses per transaction at most (1: no batching).
    pub max: usize,
    /// Wait this long for more once a writer holds one (zero: none).
    pub wait: Duration,
}

/// Called with the size of every batch committed (the `/metrics` histogram).
pub type BatchObserver = Arc<dyn Fn(usize) + Send + Sync>;

/// The queue to the writers. Cloning shares it; the writer threads end when
/// the last clone is dropped.
#[derive(Clone)]
pub struct Writer {
    queue: Sender<Job>,
}

#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    #[error("the response writer has stopped")]
    Stopped,
    #[error(transparent)]
    Survey(#[from] SurveyError),
}

impl Writer {
    /// Starts the writers for the pool's engine.
    pub fn start(
        pool: Pool,
        engine: Engine,
        settings: GroupCommit,
        observe: BatchObserver,
    ) -> std::io::Result<Self> {
        let (queue, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let writers = match engine {
            Engine::Sqlite => 1,
            // One committing while another writes; never most of the pool.
            Engine::Postgres => (pool.max_size() / 2).clamp(1, 4),
        };
        for i in 0..writers {
            let (pool, rx, observe) = (pool.clone(), rx.clone(), observe.clone());
            std::thread::Builder::new()
                .name(format!("response-writer-{i}"))
                .spawn(move || run(&pool, &rx, settings, &*observe))?;
        }
        Ok(Writer { queue })
    }

    /// Writes a prepared response with whatever else is queued, and answers
    /// once it is committed (or refused).
    pub async fn write(&self, prepared: Prepared) -> Result<Stored, WriterError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.queue
            .send(Job { prepared, reply })
            .map_err(|_| WriterError::Stopped)?;
        Ok(answer.await.map_err(|_| WriterError::Stopped)??)
    }
}

/// One writer: batches until the queue is closed.
fn run(pool: &Pool, rx: &Mutex<Receiver<Job>>, settings: GroupCommit, observe: &dyn Fn(usize)) {
    loop {
        let Some(batch) = take_batch(rx, settings) else {
            return;
        };
        let n = batch.len();
        let (prepared, replies): (Vec<Prepared>, Vec<Reply>) =
            batch.into_iter().map(|j| (j.prepared, j.reply)).unzip();
        let results = match pool.get() {
            Ok(mut conn) => super::write_batch(&mut conn, &prepared),
            Err(e) => {
                let e = DbError::Pool(e).to_string();
                prepared
                    .iter()
                    .map(|_| {
                        Err(SurveyError::Db(diesel::result::Error::DatabaseError(
                            diesel::result::DatabaseErrorKind::UnableToSendCommand,
                            Box::new(e.clone()),
                        )))
                    })
                    .collect()
            }
        };
        observe(n);
        for (reply, result) in replies.into_iter().zip(results) {
            // The request may have gone (client hung up): its answer is stored anyway.
            let _ = reply.send(result);
        }
    }
}

/// The next batch: waits for one job, then takes what is queued up to `max`,
/// waiting up to `wait` for more. `None` once the queue is closed and empty.
/// The receiver is held while collecting, so writers take turns.
fn take_batch(rx: &Mutex<Receiver<Job>>, settings: GroupCommit) -> Option<Vec<Job>> {
    let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
    let first = rx.recv().ok()?;
    let mut batch = vec![first];
    let deadline = Instant::now() + settings.wait;
    while batch.len() < settings.max {
        match rx.try_recv() {
            Ok(job) => batch.push(job),
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                match rx.recv_timeout(left) {
                    Ok(job) => batch.push(job),
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
                }
            }
        }
    }
    Some(batch)
}
