//! Starting a helper program (the OpenID provider, the webhook receiver…) and waiting for the
//! one line that says where it listens, while keeping everything it prints.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A started program, its address, and its output so far.
pub struct Spawned {
    pub child: Child,
    pub url: String,
    pub output: Arc<Mutex<String>>,
}

fn collect(output: &Arc<Mutex<String>>, line: &str) {
    if let Ok(mut l) = output.lock() {
        l.push_str(line);
        l.push('\n');
    }
}

/// Run `cmd` and wait (30 s at most) for a stdout line starting with `prefix`; the rest of that
/// line is the URL. Panics with everything the program said if it never comes.
pub async fn spawn_until(mut cmd: Command, prefix: &str, what: &str) -> Spawned {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let output = Arc::new(Mutex::new(String::new()));
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let log = output.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            collect(&log, &line);
        }
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let log = output.clone();
    let prefix = prefix.to_string();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if !sent && let Some(url) = line.trim().strip_prefix(prefix.as_str()) {
                let _ = tx.send(url.to_string());
                sent = true;
            }
            collect(&log, &line);
        }
    });
    let url = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(30)))
        .await
        .expect("join");
    match url {
        Ok(url) => Spawned { child, url, output },
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(Duration::from_millis(100));
            let said = output.lock().map(|l| l.clone()).unwrap_or_default();
            panic!("{what} did not start; it said:\n{said}");
        }
    }
}
