//! A hostile registry for tests: an HTTP/1.1 server on loopback whose every answer is chosen by
//! the test — endless bodies, bodies that drip a byte at a time, absurd declared lengths,
//! challenges naming any token realm — and which records the requests it saw (method, target,
//! Authorization header), so tests can check what imgscope sent where.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How an answer's body is sent.
pub enum Body {
    Bytes(Vec<u8>),
    /// Chunks of `b' '` forever (until the client hangs up).
    Endless,
    /// One byte per interval, forever.
    Drip(Duration),
    /// A `Content-Length` of this many bytes, then spaces forever.
    Declared(u64),
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Reply {
    pub fn json(status: u16, body: &[u8]) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Body::Bytes(body.to_vec()),
        }
    }

    pub fn body(body: Body) -> Reply {
        Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body,
        }
    }

    pub fn header(mut self, key: &str, value: &str) -> Reply {
        self.headers.push((key.into(), value.into()));
        self
    }
}

/// A request as seen: method, target (path and query), Authorization header.
#[derive(Debug, Clone)]
pub struct Seen {
    #[expect(
        dead_code,
        reason = "no test asserts on it; it is shown, through Debug, in the failure messages"
    )]
    pub method: String,
    pub target: String,
    pub authorization: Option<String>,
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

pub struct FakeRegistry {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl FakeRegistry {
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> FakeRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let (stop2, seen2) = (stop.clone(), seen.clone());
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        let (handler, seen, stop) = (handler.clone(), seen2.clone(), stop2.clone());
                        std::thread::spawn(move || serve(stream, &*handler, &seen, &stop));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FakeRegistry { port, seen, stop }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for FakeRegistry {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(stream: TcpStream, handler: &Handler, seen: &Mutex<Vec<Seen>>, stop: &AtomicBool) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut authorization = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(v.trim().to_string());
        }
    }
    let request = Seen {
        method,
        target,
        authorization,
    };
    seen.lock().unwrap().push(request.clone());
    let reply = handler(&request);
    let mut head = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", reply.status);
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let chunk = vec![b' '; 64 * 1024];
    let _ = match reply.body {
        Body::Bytes(b) => {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", b.len()));
            out.write_all(head.as_bytes())
                .and_then(|_| out.write_all(&b))
        }
        Body::Declared(n) => {
            head.push_str(&format!("Content-Length: {n}\r\n\r\n"));
            let mut r = out.write_all(head.as_bytes());
            while r.is_ok() && !stop.load(Ordering::Relaxed) {
                r = out.write_all(&chunk);
            }
            r
        }
        Body::Endless | Body::Drip(_) => {
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            let mut r = out.write_all(head.as_bytes());
            let (piece, pause) = match reply.body {
                Body::Drip(d) => (&chunk[..1], Some(d)),
                _ => (&chunk[..], None),
            };
            let framed = [format!("{:x}\r\n", piece.len()).as_bytes(), piece, b"\r\n"].concat();
            while r.is_ok() && !stop.load(Ordering::Relaxed) {
                r = out.write_all(&framed);
                if let Some(d) = pause {
                    std::thread::sleep(d);
                }
            }
            r
        }
    };
}
