//! Real services for tests: Debian's `docker-registry` (the CNCF distribution registry) on a free
//! loopback port with temporary storage, `skopeo` to push images into it, and a fault-injecting
//! TCP proxy. A missing tool fails the test under CI=true and is skipped loudly elsewhere.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The tool's path, or None after a loud skip (a panic under CI=true).
pub fn require(tool: &str) -> Option<PathBuf> {
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let p = Path::new(dir).join(tool);
        if p.is_file() {
            return Some(p);
        }
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{tool} is not installed, and CI=true: service-backed tests must run");
    }
    eprintln!("SKIPPED: {tool} is not installed (apt-get install it to run this test)");
    None
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, child: &mut Child) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("service exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("service did not listen on {port} in 20 s");
}

pub struct Registry {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Child,
}

impl Registry {
    /// Start a registry; `auth_yaml` is an optional `auth:` section (indented two spaces).
    pub fn start(auth_yaml: &str) -> Option<Registry> {
        let bin = require("docker-registry")?;
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{auth_yaml}",
            dir.path().join("data").display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let mut child = Command::new(bin)
            .arg("serve")
            .arg(&config_path)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        wait_for_port(port, &mut child);
        Some(Registry { port, dir, child })
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Push `source` (a skopeo transport:path) as `repo:tag`, optionally with credentials.
    pub fn push(&self, source: &str, name: &str, creds: Option<&str>) -> bool {
        let Some(skopeo) = require("skopeo") else {
            return false;
        };
        let mut cmd = Command::new(skopeo);
        cmd.args(["copy", "--all", "--dest-tls-verify=false", "-q"]);
        if let Some(c) = creds {
            cmd.arg(format!("--dest-creds={c}"));
        }
        let out = cmd
            .arg(source)
            .arg(format!("docker://{}/{name}", self.addr()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "skopeo copy {source}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        true
    }

    /// The storage path of a blob, for corrupting it.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.dir
            .path()
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A TCP proxy to `upstream` that cuts every connection whose response has carried more than
/// `cut_after` bytes — a registry that drops the connection mid-blob.
pub struct CuttingProxy {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl CuttingProxy {
    pub fn start(upstream: u16, cut_after: usize) -> CuttingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        std::thread::spawn(move || proxy_one(client, upstream, cut_after));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        CuttingProxy { port, stop }
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn proxy_one(mut client: TcpStream, upstream: u16, cut_after: usize) {
    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else {
        return;
    };
    let mut client_r = client.try_clone().unwrap();
    let mut server_w = server.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = client_r.read(&mut buf) {
            if n == 0 || server_w.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = server_w.shutdown(std::net::Shutdown::Both);
    });
    let mut sent = 0usize;
    let mut buf = [0u8; 8192];
    while let Ok(n) = server.read(&mut buf) {
        if n == 0 {
            break;
        }
        let n = n.min(cut_after.saturating_sub(sent));
        if n == 0 || client.write_all(&buf[..n]).is_err() {
            break;
        }
        sent += n;
    }
    let _ = client.shutdown(std::net::Shutdown::Both);
    let _ = server.shutdown(std::net::Shutdown::Both);
}

/// Stop a service as its init system would: SIGTERM (a daemon then stops what it started), up to
/// 15 s to exit, then SIGKILL.
pub fn stop_gracefully(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}
