//! A backend started as a child process: it prints `listening on http://ADDR` when ready, and is
//! stopped with SIGTERM (then killed) when dropped. Its log goes to the terminal, or to a file
//! when tests run (a request log would bury the test runners' reports).

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Stdio};

use crate::shell::{Result, command, describe};

/// A running `mfa-resync serve`.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, as the server reported it.
    pub url: String,
}

impl Server {
    /// Starts `BINARY --db DB serve --addr ADDR [--dist DIST]` with extra environment variables
    /// and waits for its ready line. With `log`, its output after that line goes to that file.
    pub fn start(
        binary: &Path,
        db: impl AsRef<OsStr>,
        addr: &str,
        dist: Option<&Path>,
        env: &[(&str, &str)],
        log: Option<&Path>,
    ) -> Result<Server> {
        let mut cmd = command(binary.to_str().expect("UTF-8 path"));
        cmd.envs(env.iter().copied());
        cmd.arg("--db")
            .arg(db.as_ref())
            .args(["serve", "--addr", addr]);
        if let Some(dist) = dist {
            cmd.arg("--dist").arg(dist);
        }
        let shown = describe(&cmd);
        let mut log_file = match log {
            Some(path) => {
                let file =
                    std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
                cmd.stderr(file.try_clone().map_err(|e| e.to_string())?);
                println!("xtask: the server's log is in {}", path.display());
                Some(file)
            }
            None => None,
        };
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("could not start `{shown}`: {e}"))?;
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    println!("{line}");
                    if let Some(url) = line.trim().strip_prefix("listening on ") {
                        break url.to_owned();
                    }
                }
                _ => {
                    let status = child.wait().map_err(|e| e.to_string())?;
                    return Err(format!("`{shown}` stopped before it was ready ({status})"));
                }
            }
        };
        // Keep draining the server's stdout so it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in lines.map_while(std::result::Result::ok) {
                match log_file.as_mut() {
                    Some(file) => {
                        let _ = writeln!(file, "{line}");
                    }
                    None => println!("{line}"),
                }
            }
        });
        Ok(Server { child, url })
    }

    /// Waits for the server to exit by itself (Ctrl-C reaches it too).
    pub fn wait(mut self) -> Result {
        let status = self.child.wait().map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("the server exited with {status}"))
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let stopped = std::process::Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if !stopped {
                let _ = self.child.kill();
            }
            let _ = self.child.wait();
        }
    }
}
