//! Whether an SQLite database in WAL mode has changed, told without a transaction.
//!
//! SQLite keeps a header at the start of the WAL index (the `-shm` file, mapped into every process that has
//! the database open) and rewrites it on every commit: the last valid frame, the last frame's checksum and,
//! when the WAL starts over, its salts all change. A header equal to one read earlier therefore means that no
//! transaction has committed since. The header is read the way SQLite's own readers read it
//! (`walIndexTryHdr`): its first copy, a memory barrier, its second copy; the writer writes them in the other
//! order, so equal copies are a consistent header and unequal ones a header being rewritten. Layout:
//! <https://sqlite.org/walformat.html>, "The WAL-Index Header" (`struct WalIndexHdr`, 48 bytes, twice).
//!
//! Starting and ending a read transaction takes and drops file locks (`fcntl`), which costs more than the
//! query of a determination's balances; this lets a reader connection keep one read transaction open for as
//! long as nothing commits, and still answer from the newest state (see `SqliteStore::read_balances_held`).
//!
//! The only `unsafe` code of the workspace: SQLite has no safe API for this, so the module asks SQLite's own
//! VFS for the mapping (`SQLITE_FCNTL_FILE_POINTER`, `xShmMap`) rather than mapping the file itself.
#![allow(unsafe_code)]

use std::sync::atomic::{fence, AtomicU32, Ordering};

use rusqlite::{ffi, Connection};

/// Words of one copy of the header (`sizeof(WalIndexHdr)` is 48 bytes).
const WORDS: usize = 12;
/// The size of a wal-index region (SQLite's `WALINDEX_PGSZ`); the header is at the start of region 0.
const REGION_BYTES: i32 = 32768;

/// One consistent copy of the header.
pub(crate) type Header = [u32; WORDS];

/// The WAL index of one connection's main database.
pub(crate) struct WalIndex {
    /// The connection that mapped it: [`WalIndex::header`] reads only while that connection is borrowed,
    /// hence open.
    conn: *mut ffi::sqlite3,
    /// The start of region 0 as SQLite mapped it for the connection: it stays mapped, at this address, until
    /// the connection closes.
    region: *const AtomicU32,
}

// SAFETY: the pointers are only compared (`conn`) or read through atomics (`region`, memory that other threads
// and processes share by design), and only while the connection that mapped the region is borrowed.
unsafe impl Send for WalIndex {}

impl WalIndex {
    /// The WAL index of `conn`'s main database, if SQLite keeps it in shared memory and has mapped it (a file
    /// database in WAL mode, after its first read); `None` otherwise.
    pub(crate) fn of(conn: &Connection) -> Option<WalIndex> {
        // SAFETY: the handle is only passed to SQLite, and compared later.
        let handle = unsafe { conn.handle() };
        let mut file: *mut ffi::sqlite3_file = std::ptr::null_mut();
        // SAFETY: `conn` is open; SQLITE_FCNTL_FILE_POINTER writes the main database's `sqlite3_file*`.
        let rc = unsafe {
            ffi::sqlite3_file_control(handle, c"main".as_ptr(), ffi::SQLITE_FCNTL_FILE_POINTER, (&raw mut file).cast())
        };
        if rc != ffi::SQLITE_OK || file.is_null() {
            return None;
        }
        // SAFETY: SQLite returned an open file; its methods outlive it. Shared-memory methods exist from
        // version 2 of `sqlite3_io_methods`.
        let methods = unsafe { (*file).pMethods };
        if methods.is_null() || unsafe { (*methods).iVersion } < 2 {
            return None;
        }
        let map = unsafe { (*methods).xShmMap }?;
        let mut region: *mut std::ffi::c_void = std::ptr::null_mut();
        // SAFETY: xShmMap with bExtend = 0 maps region 0 if the file already holds it and never grows the
        // file; it takes the shared-memory node's own mutex.
        let rc = unsafe { map(file, 0, REGION_BYTES, 0, &raw mut region) };
        if rc != ffi::SQLITE_OK || region.is_null() || !region.cast::<AtomicU32>().is_aligned() {
            return None;
        }
        Some(WalIndex { conn: handle, region: region.cast_const().cast() })
    }

    /// The header now, or `None` while a writer is rewriting it (or before SQLite has initialised it), or if
    /// `conn` is not the connection this index was mapped for.
    pub(crate) fn header(&self, conn: &Connection) -> Option<Header> {
        // SAFETY: the handle is only compared.
        if unsafe { conn.handle() } != self.conn {
            return None;
        }
        // SAFETY: the connection that mapped region 0 is borrowed, so open, so the region (32 KiB) is mapped;
        // the header's two copies are its first 24 words.
        let word = |i: usize| unsafe { (*self.region.add(i)).load(Ordering::Relaxed) };
        let first: Header = std::array::from_fn(word);
        fence(Ordering::SeqCst);
        let second: Header = std::array::from_fn(|i| word(WORDS + i));
        // `isInit` is the byte at offset 12, the first byte of word 3 in memory order.
        let initialised = first[3].to_ne_bytes()[0] != 0;
        (first == second && initialised).then_some(first)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_header_changes_with_each_commit_and_only_then() {
        let dir = std::env::temp_dir().join(format!("tiergate-wal-index-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("header.db");
        let _ = std::fs::remove_file(&path);
        let a = Connection::open(&path).unwrap();
        a.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(())).unwrap();
        a.execute_batch("CREATE TABLE t (x INTEGER)").unwrap();
        let wal = WalIndex::of(&a).unwrap();
        let before = wal.header(&a).unwrap();
        a.query_row("SELECT count(*) FROM t", [], |_| Ok(())).unwrap();
        assert_eq!(wal.header(&a), Some(before), "a read commits nothing");
        let b = Connection::open(&path).unwrap();
        b.execute("INSERT INTO t VALUES (1)", []).unwrap();
        let after = wal.header(&a).unwrap();
        assert_ne!(after, before, "another connection's commit");
        assert_eq!(wal.header(&b), None, "only through the connection that mapped it");
    }

    #[test]
    fn no_index_without_shared_memory() {
        assert!(WalIndex::of(&Connection::open_in_memory().unwrap()).is_none());
    }
}
