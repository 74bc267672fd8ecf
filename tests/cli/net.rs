//! Loopback network stand-ins for failure tests: a proxy that answers 500 a set number of
//! times before passing requests through, and a server that accepts connections and never
//! answers. Both serve a bounded number of connections and stop with the test process.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Reads one HTTP/1.1 request (headers and a Content-Length body).
pub(crate) fn read_request(stream: &mut TcpStream) -> Option<Vec<u8>> {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let header_end = loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let headers = String::from_utf8_lossy(&data[..header_end]).to_ascii_lowercase();
    let length: usize = headers
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while data.len() < header_end + length {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    Some(data)
}

/// Forces `Connection: close` on a request so the upstream closes after answering.
fn with_connection_close(request: &[u8]) -> Vec<u8> {
    let end = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(request.len(), |i| i + 2);
    let head = String::from_utf8_lossy(&request[..end]);
    let mut out: String = head
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&request[(end + 2).min(request.len())..]);
    bytes
}

/// A proxy to `upstream` that answers the first `failures` requests with HTTP 500.
pub struct FlakyProxy {
    /// Its address.
    pub addr: SocketAddr,
    served: Arc<AtomicUsize>,
}

impl FlakyProxy {
    /// Starts the proxy on an ephemeral loopback port.
    pub fn start(upstream: SocketAddr, failures: usize) -> FlakyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let served = Arc::new(AtomicUsize::new(0));
        let count = served.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(64) {
                let Ok(mut stream) = stream else { continue };
                let Some(request) = read_request(&mut stream) else {
                    continue;
                };
                let n = count.fetch_add(1, Ordering::SeqCst);
                if n < failures {
                    let body = b"{\"code\":500,\"message\":\"injected failure\"}";
                    let _ = write!(
                        stream,
                        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(body);
                    continue;
                }
                let Ok(mut up) = TcpStream::connect(upstream) else {
                    continue;
                };
                let _ = up.write_all(&with_connection_close(&request));
                let mut answer = Vec::new();
                let _ = up.read_to_end(&mut answer);
                let _ = stream.write_all(&answer);
            }
        });
        FlakyProxy { addr, served }
    }

    /// How many requests it has received.
    pub fn requests(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }
}

/// A server that accepts connections and never answers.
pub fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let held: Vec<TcpStream> = listener.incoming().take(64).flatten().collect();
        drop(held);
    });
    addr
}
