//! The server's standard streams. A reader thread turns stdin into messages with
//! [`framing`] and answers undecodable frames itself; tower-lsp-server runs behind two
//! in-memory pipes; one writer thread owns stdout and writes whole frames only, from
//! tower-lsp-server, from the reader and from the [`Outbox`] alike.
//!
//! Plain threads do the blocking reads and writes: a read pending on stdin cannot be
//! cancelled, and must not keep the process alive once the session has ended.

use super::framing::{self, FrameReader, Incoming};
use serde::Serialize;
use std::io::{self, Write};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::{ClientSocket, LanguageServer, LspService, Server};

/// In-memory pipe capacity: a large publication crosses in a few chunks.
const PIPE: usize = 1 << 20;

/// Frames waiting for stdout or for tower-lsp-server; a full queue holds the producer back.
const QUEUE: usize = 64;

/// How long the end of the session waits for the last frames to reach stdout.
const FLUSH: Duration = Duration::from_secs(5);

/// What the writer thread is given.
enum Out {
    Frame(Vec<u8>),
    /// The session is over: nothing more will come.
    End,
}

/// The way to stdout, before the session starts: [`Stdio::outbox`] for the server, then
/// [`Stdio::serve`].
pub struct Stdio {
    out: mpsc::Sender<Out>,
    out_queue: mpsc::Receiver<Out>,
}

/// Sends notifications to the client without tower-lsp-server's `Client`, which turns
/// every notification into a `serde_json::Value` tree before writing it: for a thousand
/// diagnostics that takes longer than finding them. Serialised here straight from the
/// typed parameters. Used for every `publishDiagnostics`, so that they stay in order.
#[derive(Clone)]
pub struct Outbox(mpsc::Sender<Out>);

impl Outbox {
    pub async fn notify<N: Notification>(&self, params: &N::Params) {
        #[derive(Serialize)]
        struct Message<'a, P> {
            jsonrpc: &'static str,
            method: &'static str,
            params: &'a P,
        }
        let message = Message {
            jsonrpc: "2.0",
            method: N::METHOD,
            params,
        };
        match serde_json::to_vec(&message) {
            // Fails only once the session is over, when nothing more is written.
            Ok(body) => drop(self.0.send(Out::Frame(framing::frame(&body))).await),
            Err(e) => eprintln!("azpls: cannot write {}: {e}", N::METHOD),
        }
    }
}

impl Stdio {
    pub fn new() -> Stdio {
        let (out, out_queue) = mpsc::channel(QUEUE);
        Stdio { out, out_queue }
    }

    pub fn outbox(&self) -> Outbox {
        Outbox(self.out.clone())
    }

    /// Serves `service` on stdin and stdout until the client sends `exit` or closes stdin.
    pub async fn serve<S: LanguageServer>(
        self,
        service: LspService<S>,
        socket: ClientSocket,
    ) -> io::Result<()> {
        let Stdio { out, out_queue } = self;
        let (to_server, server_input) = tokio::io::duplex(PIPE);
        let (server_output, from_server) = tokio::io::duplex(PIPE);
        let (messages, message_queue) = mpsc::channel(QUEUE);
        let replies = out.clone();
        std::thread::Builder::new()
            .name("azpls-stdin".into())
            .spawn(move || read_stdin(messages, replies))?;
        let (written, all_written) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("azpls-stdout".into())
            .spawn(move || {
                write_stdout(out_queue);
                drop(written);
            })?;

        let forward = tokio::spawn(forward_messages(message_queue, to_server));
        let server = Server::new(server_input, server_output, socket).serve(service);
        let (_, pumped) = tokio::join!(server, pump_output(from_server, out.clone()));
        // tower-lsp-server has stopped reading (after `exit`, or at the end of its input):
        // a message still on its way to it has nowhere to go.
        forward.abort();
        if let Err(e) = pumped {
            eprintln!("azpls: lost the server's output: {e}");
        }
        // The reader thread may be blocked on stdin for good; the writer ends on `End`.
        let _ = out.send(Out::End).await;
        let _ = all_written.recv_timeout(FLUSH);
        Ok(())
    }
}

/// Reads stdin until it ends or nobody listens: messages go to tower-lsp-server, the
/// answers to undecodable frames straight to stdout.
fn read_stdin(messages: mpsc::Sender<Vec<u8>>, replies: mpsc::Sender<Out>) {
    let stdin = io::stdin();
    let mut reader = FrameReader::new(stdin.lock());
    loop {
        let next = reader.next();
        for problem in reader.take_problems() {
            eprintln!("azpls: {problem}");
        }
        let sent = match next {
            Ok(Some(Incoming::Message(body))) => {
                messages.blocking_send(framing::frame(&body)).is_ok()
            }
            Ok(Some(Incoming::Rejected(bodies))) => bodies.iter().all(|body| {
                replies
                    .blocking_send(Out::Frame(framing::frame(body)))
                    .is_ok()
            }),
            // Dropping `messages` ends tower-lsp-server's input.
            Ok(None) => return,
            Err(e) => {
                eprintln!("azpls: cannot read stdin: {e}");
                return;
            }
        };
        if !sent {
            return;
        }
    }
}

/// Hands messages to tower-lsp-server; its input ends when the queue does.
async fn forward_messages(mut queue: mpsc::Receiver<Vec<u8>>, mut to_server: DuplexStream) {
    while let Some(frame) = queue.recv().await {
        if to_server.write_all(&frame).await.is_err() {
            return;
        }
    }
    let _ = to_server.shutdown().await;
}

/// Cuts tower-lsp-server's output into frames for the writer.
async fn pump_output(from_server: DuplexStream, out: mpsc::Sender<Out>) -> io::Result<()> {
    let mut input = BufReader::with_capacity(PIPE, from_server);
    loop {
        let mut frame = Vec::new();
        // tower-lsp-server writes `Content-Length: N`, an empty line, then N bytes.
        while !frame.ends_with(b"\r\n\r\n") {
            if input.read_until(b'\n', &mut frame).await? == 0 {
                return Ok(());
            }
        }
        let length = framing::content_length(&frame).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, "a frame without Content-Length")
        })?;
        let head = frame.len();
        frame.resize(head + length, 0);
        input.read_exact(&mut frame[head..]).await?;
        if out.send(Out::Frame(frame)).await.is_err() {
            return Ok(());
        }
    }
}

/// Writes frames to stdout, each whole and flushed, until told the session is over.
fn write_stdout(mut queue: mpsc::Receiver<Out>) {
    let stdout = io::stdout();
    let mut failed = false;
    while let Some(Out::Frame(frame)) = queue.blocking_recv() {
        if failed {
            // Keep taking frames so that nothing waits on a client that is gone.
            continue;
        }
        let mut stdout = stdout.lock();
        if let Err(e) = stdout.write_all(&frame).and_then(|()| stdout.flush()) {
            eprintln!("azpls: cannot write to stdout: {e}");
            failed = true;
        }
    }
}
