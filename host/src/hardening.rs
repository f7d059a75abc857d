//! What the gateway does to its own process before it holds any secret: no core dumps (a
//! core of a crashed gateway held the master key, client secrets and live tokens), not
//! dumpable (no core, no ptrace attach by other processes of the same user), and a umask of
//! 077 so every file and folder it creates (the database with its WAL and SHM files, the
//! plugin state and cache) is its user's only. Files left by an older version are narrowed
//! with [`restrict`].

use std::path::Path;

/// Turn off core dumps and dumpability, and set the umask. Call first thing in `main`.
#[cfg(target_os = "linux")]
pub fn harden_process() -> Result<(), std::io::Error> {
    let no_core = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on the calling process with valid arguments.
    unsafe {
        libc::umask(0o077);
        if libc::setrlimit(libc::RLIMIT_CORE, &no_core) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Turn off core dumps and set the umask (no `PR_SET_DUMPABLE` outside Linux).
#[cfg(all(unix, not(target_os = "linux")))]
pub fn harden_process() -> Result<(), std::io::Error> {
    let no_core = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on the calling process with valid arguments.
    unsafe {
        libc::umask(0o077);
        if libc::setrlimit(libc::RLIMIT_CORE, &no_core) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Nothing to do where there is no such thing.
#[cfg(not(unix))]
pub fn harden_process() -> Result<(), std::io::Error> {
    Ok(())
}

/// Narrow `path` to `mode` (0600 files, 0700 folders) if it exists and is wider.
#[cfg(unix)]
pub fn restrict(path: &Path, mode: u32) -> Result<(), std::io::Error> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o777 & !mode != 0 => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Nothing to narrow where modes do not exist.
#[cfg(not(unix))]
pub fn restrict(_path: &Path, _mode: u32) -> Result<(), std::io::Error> {
    Ok(())
}

/// The database file, its WAL and SHM files (0600) and its folder (0700).
pub fn restrict_database(database: &Path) -> Result<(), std::io::Error> {
    if let Some(dir) = database.parent().filter(|d| !d.as_os_str().is_empty()) {
        restrict(dir, 0o700)?;
    }
    restrict(database, 0o600)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        restrict(Path::new(&name), 0o600)?;
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn wide_files_and_folders_are_narrowed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("dir");
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let db = data.join("x.db");
        std::fs::write(&db, b"x").expect("db");
        std::fs::write(data.join("x.db-wal"), b"x").expect("wal");
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        restrict_database(&db).expect("restrict");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&data.join("x.db-wal")), 0o600);
    }
}
