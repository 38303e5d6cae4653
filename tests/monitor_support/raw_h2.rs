//! A gRPC client written directly on h2 that sends one DATA frame per message, as grpcio
//! (Python), grpc-java and grpcurl do; tonic's own client packs many messages into one
//! frame and so never meets h2's limit on small frames. It respects flow control: a
//! frame is sent only when the stream has the window for it.

use std::net::SocketAddr;

use bytes::{BufMut, Bytes, BytesMut};
use prost::Message;

/// How a call ended.
#[derive(Debug)]
pub enum RawEnd {
    /// The server answered with a gRPC status (`grpc-status`, `grpc-message`) and, on
    /// success, the reply message's bytes.
    Status {
        code: i32,
        message: String,
        reply: Option<Bytes>,
    },
    /// The connection or stream failed (e.g. GOAWAY): no gRPC status reached the client.
    Transport(String),
}

impl RawEnd {
    /// The reply decoded as `M` when the call succeeded (status 0).
    pub fn ok<M: Message + Default>(&self) -> Result<M, String> {
        match self {
            RawEnd::Status {
                code: 0,
                reply: Some(reply),
                ..
            } => M::decode(reply.clone()).map_err(|e| e.to_string()),
            other => Err(format!("{other:?}")),
        }
    }
}

/// One gRPC message frame: the 5-byte prefix (uncompressed, length) and `body`.
pub fn framed(body: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(5 + body.len());
    out.put_u8(0);
    out.put_u32(body.len() as u32);
    out.put_slice(body);
    out.freeze()
}

/// Calls `method` (e.g. `/sentinel.v1.MonitorService/IngestWithdrawals`) at `addr`, sending each
/// of `frames` (already framed, see [`framed`]) as its own DATA frame, unpaced.
pub async fn call(addr: SocketAddr, method: &str, frames: impl Iterator<Item = Bytes>) -> RawEnd {
    let (connection_end, ended) = tokio::sync::oneshot::channel();
    match call_inner(addr, method, frames, connection_end).await {
        Ok(end) => end,
        Err(e) => {
            let connection = ended.await.unwrap_or_else(|_| "still open".into());
            RawEnd::Transport(format!("{e}; connection: {connection}"))
        }
    }
}

async fn call_inner(
    addr: SocketAddr,
    method: &str,
    frames: impl Iterator<Item = Bytes>,
    connection_end: tokio::sync::oneshot::Sender<String>,
) -> Result<RawEnd, h2::Error> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .expect("the server listens");
    tcp.set_nodelay(true).unwrap();
    let (client, connection) = h2::client::handshake(tcp).await?;
    tokio::spawn(async move {
        let end = match connection.await {
            Ok(()) => "closed".to_owned(),
            Err(e) => format!("{e} (GOAWAY: {})", e.is_go_away()),
        };
        let _ = connection_end.send(end);
    });
    let mut client = client.ready().await?;
    let request = http::Request::builder()
        .method("POST")
        .uri(format!("http://{addr}{method}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .unwrap();
    let (response, mut send) = client.send_request(request, false)?;
    // A send fails when the server has answered early (e.g. INVALID_ARGUMENT) and reset
    // the stream: the answer is then read below.
    if send_all(&mut send, frames).await.is_ok() {
        let _ = send.send_data(Bytes::new(), true);
    }
    let response = response.await?;
    let (head, mut body) = response.into_parts();
    if let Some(code) = head.headers.get("grpc-status") {
        return Ok(status_of(&head.headers, code, None));
    }
    let mut data = BytesMut::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        let _ = body.flow_control().release_capacity(chunk.len());
        data.extend_from_slice(&chunk);
    }
    let trailers = body.trailers().await?.unwrap_or_default();
    let code = trailers
        .get("grpc-status")
        .cloned()
        .unwrap_or_else(|| http::HeaderValue::from_static("2"));
    let reply = (data.len() >= 5).then(|| data.freeze().slice(5..));
    Ok(status_of(&trailers, &code, reply))
}

/// Sends every frame as its own DATA frame(s), each when the window allows it.
async fn send_all(
    send: &mut h2::SendStream<Bytes>,
    frames: impl Iterator<Item = Bytes>,
) -> Result<(), h2::Error> {
    for mut frame in frames {
        while !frame.is_empty() {
            send.reserve_capacity(frame.len());
            let granted = match std::future::poll_fn(|cx| send.poll_capacity(cx)).await {
                Some(granted) => granted?,
                None => return Err(h2::Error::from(h2::Reason::CANCEL)),
            };
            let chunk = frame.split_to(granted.min(frame.len()));
            send.send_data(chunk, false)?;
        }
    }
    Ok(())
}

fn status_of(headers: &http::HeaderMap, code: &http::HeaderValue, reply: Option<Bytes>) -> RawEnd {
    let code = code.to_str().ok().and_then(|c| c.parse().ok()).unwrap_or(2);
    let message = headers
        .get("grpc-message")
        .and_then(|m| m.to_str().ok())
        .map(percent_decoded)
        .unwrap_or_default();
    RawEnd::Status {
        code,
        message,
        reply,
    }
}

/// `grpc-message` is percent-encoded.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
