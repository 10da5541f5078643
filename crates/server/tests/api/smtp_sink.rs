//! A real SMTP server for the mail tests: aiosmtpd on a loopback port, storing
//! each message it receives as a file of a Maildir, started and stopped by the
//! test. The Python comes from `REYNARD_TEST_PYTHON`, else `.venv/bin/python`
//! at the repository root (`.ci/run` creates it from `requirements-test.txt`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running aiosmtpd; killed when dropped.
pub struct SmtpSink {
    pub port: u16,
    child: Child,
    maildir: tempfile::TempDir,
}

/// One received message, headers and body decoded enough to read links.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub to: String,
    pub subject: String,
    /// The text of the message with quoted-printable soft breaks and escapes undone.
    pub text: String,
    /// The message as received.
    pub raw: String,
}

impl ReceivedMail {
    /// The first link in the text that contains `path` (e.g. `/verify-email/`).
    #[track_caller]
    pub fn link(&self, path: &str) -> String {
        self.text
            .split_whitespace()
            .find(|word| word.starts_with("http") && word.contains(path))
            .unwrap_or_else(|| panic!("no {path} link in {}", self.text))
            .to_owned()
    }

    /// The message's `text/calendar` part as read by an independent parser
    /// (Python's `icalendar`, see `ical_summary.py`): method, time zones, events.
    #[track_caller]
    pub fn calendar(&self) -> serde_json::Value {
        ical_summary(self.raw.as_bytes(), false)
    }
}

/// What `ical_summary.py` makes of `input` (a mail, or with `feed` an .ics file).
#[track_caller]
pub fn ical_summary(input: &[u8], feed: bool) -> serde_json::Value {
    use std::io::Write;
    let python = python().expect("a Python with icalendar (see requirements-test.txt)");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/ical_summary.py");
    let mut command = Command::new(python);
    command.arg(script);
    if feed {
        command.arg("--feed");
    }
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run python");
    child.stdin.take().expect("stdin").write_all(input).expect("write to python");
    let output = child.wait_with_output().expect("python output");
    assert!(output.status.success(), "icalendar refused it: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON from ical_summary.py")
}

fn python() -> Option<PathBuf> {
    if let Ok(python) = std::env::var("REYNARD_TEST_PYTHON") {
        // Set explicitly (CI sets it): it must work.
        return Some(PathBuf::from(python));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    venv.exists().then_some(venv)
}

impl SmtpSink {
    /// Starts aiosmtpd, or returns `None` (after saying so loudly) when no Python
    /// with aiosmtpd is set up on this machine.
    pub fn start() -> Option<SmtpSink> {
        let Some(python) = python() else {
            eprintln!(
                "\n!!! SKIPPED: no Python with aiosmtpd (set REYNARD_TEST_PYTHON, or run \
                 `python3 -m venv .venv && .venv/bin/pip install -r requirements-test.txt` at the repository root)\n"
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let maildir = tempfile::tempdir().expect("maildir");
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            // aiosmtpd creates the Maildir (new/, cur/, tmp/) only where nothing exists yet.
            .arg(maildir.path().join("mail"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start aiosmtpd with {}: {e}", python.display()));
        let mut sink = SmtpSink { port, child, maildir };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = sink.child.try_wait() {
                panic!("aiosmtpd exited at start ({status}): is aiosmtpd installed for {}?", python.display());
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not listen on port {port} within 15 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(sink)
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.path().join("mail").join(sub)) else { continue };
            for entry in entries.flatten() {
                if let Ok(raw) = std::fs::read_to_string(entry.path()) {
                    out.push(parse(&raw));
                }
            }
        }
        out
    }

    /// Messages to `to` whose subject contains `subject`.
    pub fn matching(&self, to: &str, subject: &str) -> Vec<ReceivedMail> {
        self.messages().into_iter().filter(|m| m.to.contains(to) && m.subject.contains(subject)).collect()
    }

    /// Waits (up to 10 s) for a message to `to` whose subject contains `subject`.
    pub async fn wait_for(&self, to: &str, subject: &str) -> ReceivedMail {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(mail) = self.messages().into_iter().find(|m| m.to.contains(to) && m.subject.contains(subject)) {
                return mail;
            }
            assert!(Instant::now() < deadline, "no mail to {to} about {subject:?}; got {:?}", self.messages());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse(raw: &str) -> ReceivedMail {
    let raw = raw.replace("\r\n", "\n");
    let (headers, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let header = |name: &str| {
        headers
            .lines()
            .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(": ")))
            .unwrap_or_default()
            .to_owned()
    };
    ReceivedMail { to: header("To"), subject: header("Subject"), text: decode_quoted_printable(body), raw: raw.clone() }
}

/// Undoes quoted-printable (soft line breaks and `=XX`); plain 7-bit text passes unchanged.
fn decode_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(byte)) => {
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
