//! A small bearer-token issuer for the registry's `auth: token` mode: an HTTP endpoint on loopback
//! that checks basic credentials and answers with a JWT (RS256, certificate chain in `x5c`) granting
//! the requested repository scope. The key and certificate are made with the `openssl` tool.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

pub const SERVICE: &str = "imgscope-test";
pub const ISSUER: &str = "imgscope-test-issuer";

pub struct TokenIssuer {
    pub port: u16,
    pub cert: PathBuf,
    /// Tokens handed out so far.
    pub issued: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

fn openssl(args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl");
    let mut input = child.stdin.take().unwrap();
    if let Some(data) = stdin {
        input.write_all(data).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl TokenIssuer {
    /// Start an issuer in `dir` that accepts `user`/`password`.
    pub fn start(dir: &Path, user: &str, password: &str) -> TokenIssuer {
        let key = dir.join("token.key");
        let cert = dir.join("token.crt");
        openssl(
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=imgscope-test-issuer",
                "-keyout",
                key.to_str().unwrap(),
                "-out",
                cert.to_str().unwrap(),
            ],
            None,
        );
        let der = openssl(
            &["x509", "-in", cert.to_str().unwrap(), "-outform", "DER"],
            None,
        );
        let x5c = STANDARD.encode(der);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let issued = Arc::new(AtomicUsize::new(0));
        let expected = format!("Basic {}", STANDARD.encode(format!("{user}:{password}")));
        let (stop2, issued2, user) = (stop.clone(), issued.clone(), user.to_string());
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap_or(0);
                let mut authorization = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':')
                        && k.eq_ignore_ascii_case("authorization")
                    {
                        authorization = v.trim().to_string();
                    }
                }
                let mut stream = stream;
                if authorization != expected {
                    let _ = stream.write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    continue;
                }
                let target = request_line.split_whitespace().nth(1).unwrap_or("/");
                let query = target.split_once('?').map_or("", |(_, q)| q);
                let mut access = Vec::new();
                for pair in query.split('&') {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    if k == "scope" {
                        let scope = percent_decode(v);
                        let parts: Vec<&str> = scope.split(':').collect();
                        if parts.len() >= 3 {
                            access.push(serde_json::json!({
                                "type": parts[0],
                                "name": parts[1..parts.len() - 1].join(":"),
                                "actions": parts[parts.len() - 1].split(',').collect::<Vec<_>>(),
                            }));
                        }
                    }
                }
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5c": [x5c]});
                let n = issued2.fetch_add(1, Ordering::Relaxed);
                let claims = serde_json::json!({
                    "iss": ISSUER, "sub": user, "aud": SERVICE,
                    "exp": now + 600, "nbf": now - 60, "iat": now, "jti": format!("t{n}"),
                    "access": access,
                });
                let signing_input = format!(
                    "{}.{}",
                    URL_SAFE_NO_PAD.encode(header.to_string()),
                    URL_SAFE_NO_PAD.encode(claims.to_string())
                );
                let sig = openssl(
                    &["dgst", "-sha256", "-sign", key.to_str().unwrap()],
                    Some(signing_input.as_bytes()),
                );
                let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig));
                let body =
                    serde_json::json!({"token": token, "access_token": token, "expires_in": 600})
                        .to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        TokenIssuer {
            port,
            cert,
            issued,
            stop,
        }
    }

    /// The registry's `auth:` section trusting this issuer.
    pub fn registry_auth_yaml(&self) -> String {
        format!(
            "auth:\n  token:\n    realm: http://127.0.0.1:{}/token\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
            self.port,
            self.cert.display()
        )
    }
}

impl Drop for TokenIssuer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
