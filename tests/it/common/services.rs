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

/// What [`FaultProxy`] does with one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Forward it and its whole answer.
    Pass,
    /// Forward it, and cut the connection after this many bytes of the answer's body.
    CutAfter(usize),
    /// Forward it, and send the answer's first `after` bytes of body, then one byte every `every`.
    Drip { after: usize, every: Duration },
    /// Answer it without asking the registry: this status, these headers, an empty body.
    Answer(u16, Vec<(String, String)>),
    /// Forward it without its `Range` header (a registry that ignores ranges).
    NoRange,
}

/// One request as the proxy saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The request's `Range` header, if it had one.
    pub range: Option<String>,
    pub at: Instant,
}

/// An HTTP proxy to a registry on loopback that decides, request by request, what fault to inject
/// (`rule` sees the request and every request seen before it). One request per connection: it
/// asks the registry to close after answering, so each request is a connection of its own.
pub struct FaultProxy {
    pub port: u16,
    pub seen: Arc<std::sync::Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

type Rule = dyn Fn(&Seen, &[Seen]) -> Fault + Send + Sync;

impl FaultProxy {
    pub fn start(
        upstream: u16,
        rule: impl Fn(&Seen, &[Seen]) -> Fault + Send + Sync + 'static,
    ) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let rule: Arc<Rule> = Arc::new(rule);
        let (stop2, seen2) = (stop.clone(), seen.clone());
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let (rule, seen, stop) = (rule.clone(), seen2.clone(), stop2.clone());
                        std::thread::spawn(move || {
                            fault_one(client, upstream, &*rule, &seen, &stop)
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        FaultProxy { port, seen, stop }
    }

    /// The requests seen so far whose path contains `part`.
    pub fn requests_to(&self, part: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path.contains(part))
            .cloned()
            .collect()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn fault_one(
    mut client: TcpStream,
    upstream: u16,
    rule: &Rule,
    seen: &std::sync::Mutex<Vec<Seen>>,
    stop: &AtomicBool,
) {
    // The request head (GETs only: no body).
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let path = first.next().unwrap_or("").to_string();
    let headers: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    let range = headers.iter().find_map(|h| {
        h.to_ascii_lowercase()
            .strip_prefix("range:")
            .map(|v| v.trim().to_string())
    });
    let this = Seen {
        method,
        path,
        range,
        at: Instant::now(),
    };
    let fault = {
        let mut seen = seen.lock().unwrap();
        let fault = rule(&this, &seen);
        seen.push(this.clone());
        fault
    };
    if let Fault::Answer(status, extra) = &fault {
        let mut answer =
            format!("HTTP/1.1 {status} Injected\r\nContent-Length: 0\r\nConnection: close\r\n");
        for (k, v) in extra {
            answer.push_str(&format!("{k}: {v}\r\n"));
        }
        answer.push_str("\r\n");
        let _ = client.write_all(answer.as_bytes());
        let _ = client.shutdown(std::net::Shutdown::Both);
        return;
    }
    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else {
        return;
    };
    let mut forwarded = format!("{} {} HTTP/1.1\r\n", this.method, this.path);
    for h in &headers {
        let lower = h.to_ascii_lowercase();
        if lower.starts_with("connection:")
            || (matches!(fault, Fault::NoRange) && lower.starts_with("range:"))
        {
            continue;
        }
        forwarded.push_str(h);
        forwarded.push_str("\r\n");
    }
    forwarded.push_str("Connection: close\r\n\r\n");
    if server.write_all(forwarded.as_bytes()).is_err() {
        return;
    }
    let (cut_after, drip) = match fault {
        Fault::CutAfter(n) => (n, None),
        Fault::Drip { after, every } => (usize::MAX, Some((after, every))),
        _ => (usize::MAX, None),
    };
    // Bytes counted from the start of the body: the answer's head is passed first.
    let mut head: Option<Vec<u8>> = Some(Vec::new());
    let mut sent = 0usize;
    let mut buf = [0u8; 8192];
    'copy: while let Ok(n) = server.read(&mut buf) {
        if n == 0 {
            break;
        }
        let mut start = 0;
        if let Some(h) = &mut head {
            h.extend_from_slice(&buf[..n]);
            let Some(end) = h.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            if client.write_all(&h[..end + 4]).is_err() {
                break;
            }
            // What came after the head is the body's first bytes, still in `buf`.
            start = n - (h.len() - end - 4);
            head = None;
        }
        let buf = &buf[start..n];
        if buf.is_empty() {
            continue;
        }
        let n = buf.len().min(cut_after.saturating_sub(sent));
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        let fast = match drip {
            Some((after, _)) => after.saturating_sub(sent).min(n),
            None => n,
        };
        if client.write_all(&chunk[..fast]).is_err() {
            break;
        }
        sent += fast;
        for b in &chunk[fast..] {
            let every = drip.map_or(Duration::ZERO, |(_, every)| every);
            // One byte, then a wait — ended early when the test is over.
            let until = Instant::now() + every;
            while Instant::now() < until {
                if stop.load(Ordering::Relaxed) {
                    break 'copy;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if client.write_all(std::slice::from_ref(b)).is_err() {
                break 'copy;
            }
            sent += 1;
        }
    }
    let _ = client.shutdown(std::net::Shutdown::Both);
    let _ = server.shutdown(std::net::Shutdown::Both);
}
