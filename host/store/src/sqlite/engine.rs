//! The SQLite engine, without blocking the async runtime: one writer thread owns the only
//! write connection (one writer path), and a small pool of read connections serves queries
//! from tokio's blocking threads. WAL lets readers run while the writer commits;
//! `synchronous=FULL` makes a commit durable. Everything about connections, pragmas and
//! threads lives in this file (the place to add group commit or a statement cache).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::migrations;
use crate::error::VaultError;

type WriteJob = Box<dyn FnOnce(&mut Connection) + Send>;

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub(crate) struct Db {
    writer: mpsc::UnboundedSender<WriteJob>,
    readers: Arc<ReaderPool>,
    path: PathBuf,
}

struct ReaderPool {
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

const READERS: usize = 4;

impl Db {
    /// Open (or create) the database at `path` and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Db, VaultError> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                VaultError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let mut writer = Connection::open(path)?;
        configure(&writer)?;
        // Write transactions take the write lock at BEGIN: another process writing the same
        // file (the CLI, a second gateway) then waits its turn (busy timeout) instead of
        // failing on a read-to-write lock upgrade.
        writer.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        // The first statement that touches the file tells us if it is a database at all.
        writer.pragma_update(None, "journal_mode", "WAL")?;
        migrations::apply(&mut writer)?;

        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            configure(&conn)?;
            readers.push(conn);
        }

        let (tx, mut rx) = mpsc::unbounded_channel::<WriteJob>();
        std::thread::Builder::new()
            .name("latchkey-db-writer".into())
            .spawn(move || {
                while let Some(job) = rx.blocking_recv() {
                    job(&mut writer);
                }
            })
            .map_err(|e| VaultError::Backend(format!("cannot start the writer thread: {e}")))?;

        Ok(Db {
            writer: tx,
            readers: Arc::new(ReaderPool {
                idle: Mutex::new(readers),
                permits: Semaphore::new(READERS),
            }),
            path: path.to_path_buf(),
        })
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Cap the database at `max_bytes` (SQLite's `max_page_count`, rounded down to whole pages;
    /// never below the current size). Writes past the cap fail as `Full`, exactly as on a full
    /// disk. Returns the page count in force.
    pub async fn cap_size(&self, max_bytes: u64) -> Result<u64, VaultError> {
        self.write(move |c| {
            let page_size: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0))?;
            let pages = max_bytes / u64::try_from(page_size).unwrap_or(4096).max(1);
            // 0 would only query the limit: ask for at least one page (SQLite raises it to the
            // current size).
            let pages = i64::try_from(pages).unwrap_or(i64::MAX).max(1);
            // The pragma answers with the limit it set (at least the current page count).
            let set: i64 = c.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
                r.get(0)
            })?;
            Ok(u64::try_from(set).unwrap_or(0))
        })
        .await
    }

    /// Run `f` on the writer connection. Writes are serialised; `f` should open a transaction
    /// when it writes more than one statement.
    pub async fn write<R, F>(&self, f: F) -> Result<R, VaultError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, VaultError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: WriteJob = Box::new(move |conn| {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)))
                .unwrap_or_else(|_| Err(VaultError::Backend("a database write panicked".into())));
            let _ = tx.send(result);
        });
        self.writer.send(job).map_err(|_| VaultError::closed())?;
        rx.await.map_err(|_| VaultError::closed())?
    }

    /// Run `f` on a read-only connection from the pool, off the async workers.
    pub async fn read<R, F>(&self, f: F) -> Result<R, VaultError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, VaultError> + Send + 'static,
    {
        let _permit = self
            .readers
            .permits
            .acquire()
            .await
            .map_err(|_| VaultError::closed())?;
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool
                .idle
                .lock()
                .map_err(|_| VaultError::closed())?
                .pop()
                .ok_or_else(VaultError::closed)?;
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&conn)))
                .unwrap_or_else(|_| Err(VaultError::Backend("a database read panicked".into())));
            if let Ok(mut idle) = pool.idle.lock() {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|_| VaultError::closed())?
    }
}

fn configure(conn: &Connection) -> Result<(), VaultError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // FULL: a committed credential (e.g. a rotated refresh token) survives power loss.
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_are_visible_to_readers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(&dir.path().join("v.db")).expect("open");
        db.write(|c| {
            c.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')", [])?;
            Ok(())
        })
        .await
        .expect("write");
        let v: String = db
            .read(|c| Ok(c.query_row("SELECT value FROM meta WHERE key = 'k'", [], |r| r.get(0))?))
            .await
            .expect("read");
        assert_eq!(v, "v");
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_database_is_refused_clearly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("garbage.db");
        std::fs::write(&path, vec![0x42u8; 8192]).expect("write garbage");
        let err = Db::open(&path).err().expect("must refuse");
        assert!(matches!(err, VaultError::Corrupt(_)), "{err}");
        assert_eq!(
            std::fs::read(&path).expect("read"),
            vec![0x42u8; 8192],
            "file left untouched"
        );
    }

    #[tokio::test]
    async fn a_panicking_write_reports_an_error_and_the_writer_survives() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(&dir.path().join("v.db")).expect("open");
        let r: Result<(), _> = db.write(|_| panic!("boom")).await;
        assert!(r.is_err());
        db.write(|c| Ok(c.execute("DELETE FROM meta", [])?))
            .await
            .expect("still writes");
    }
}
