//! Registry credentials, found where docker and podman keep them: explicit `--username` /
//! `--password-stdin`; `$REGISTRY_AUTH_FILE` or podman's `$XDG_RUNTIME_DIR/containers/auth.json`;
//! `$DOCKER_CONFIG/config.json` or `~/.docker/config.json` with inline `auths`, per-registry
//! `credHelpers` and a global `credsStore` (run as `docker-credential-NAME get`).
//!
//! Secrets never leave this module except inside [`Credentials`], whose `Debug` hides them; no
//! error message here includes one.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Result, anyhow, bail};
use base64::Engine;
use serde::Deserialize;

#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, ***)", self.username)
    }
}

#[derive(Debug, Default, Deserialize)]
struct AuthFile {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

#[derive(Deserialize)]
struct HelperReply {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

/// The keys a registry may be filed under in auth files.
fn keys_for(registry: &str) -> Vec<String> {
    let mut keys = vec![
        registry.to_string(),
        format!("https://{registry}"),
        format!("http://{registry}"),
        format!("https://{registry}/v1/"),
        format!("https://{registry}/v2/"),
    ];
    if registry == "docker.io"
        || registry == "registry-1.docker.io"
        || registry == "index.docker.io"
    {
        keys.push("https://index.docker.io/v1/".into());
        keys.push("index.docker.io".into());
        keys.push("docker.io".into());
        keys.push("registry-1.docker.io".into());
    }
    keys
}

fn auth_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(p) = std::env::var_os("REGISTRY_AUTH_FILE") {
        files.push(PathBuf::from(p));
    }
    if let Some(run) = std::env::var_os("XDG_RUNTIME_DIR") {
        files.push(PathBuf::from(run).join("containers/auth.json"));
    }
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        files.push(PathBuf::from(dir).join("config.json"));
    } else if let Some(home) = std::env::var_os("HOME") {
        files.push(PathBuf::from(home).join(".docker/config.json"));
    }
    files
}

fn decode_inline(entry: &AuthEntry) -> Option<Credentials> {
    if let Some(auth) = &entry.auth
        && !auth.is_empty()
    {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (user, pass) = text.split_once(':')?;
        return Some(Credentials {
            username: user.to_string(),
            secret: pass.to_string(),
        });
    }
    match (&entry.username, &entry.password) {
        (Some(u), Some(p)) => Some(Credentials {
            username: u.clone(),
            secret: p.clone(),
        }),
        _ => None,
    }
}

fn run_helper(helper: &str, registry: &str) -> Result<Option<Credentials>> {
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| anyhow!("credential helper {program}: {e}"))?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(registry.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        // Helpers exit non-zero with "credentials not found": that is "no credentials".
        return Ok(None);
    }
    let reply: HelperReply = serde_json::from_slice(&out.stdout)
        .map_err(|_| anyhow!("credential helper {program} gave an unreadable reply"))?;
    Ok(Some(Credentials {
        username: reply.username,
        secret: reply.secret,
    }))
}

/// Stored credentials for `registry`, if any auth file has them.
pub fn stored_credentials(registry: &str) -> Result<Option<Credentials>> {
    let keys = keys_for(registry);
    for path in auth_files() {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let file: AuthFile = serde_json::from_slice(&bytes)
            .map_err(|e| anyhow!("{}: invalid auth file ({e})", path.display()))?;
        for key in &keys {
            if let Some(helper) = file.cred_helpers.get(key) {
                return run_helper(helper, registry);
            }
        }
        for key in &keys {
            if let Some(creds) = file.auths.get(key).and_then(decode_inline) {
                return Ok(Some(creds));
            }
        }
        if let Some(store) = &file.creds_store
            && !store.is_empty()
            && let Some(creds) = run_helper(store, registry)?
        {
            return Ok(Some(creds));
        }
    }
    Ok(None)
}

/// The password given on stdin for `--password-stdin` (one line, trailing newline dropped).
pub fn password_from_stdin() -> Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let pass = line.trim_end_matches(['\n', '\r']).to_string();
    if pass.is_empty() {
        bail!("--password-stdin: no password on stdin");
    }
    Ok(pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_auth_is_decoded() {
        let entry = AuthEntry {
            auth: Some(base64::engine::general_purpose::STANDARD.encode("bob:s3cret")),
            ..Default::default()
        };
        let c = decode_inline(&entry).unwrap();
        assert_eq!(c.username, "bob");
        assert_eq!(c.secret, "s3cret");
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn docker_hub_has_its_legacy_keys() {
        assert!(keys_for("docker.io").contains(&"https://index.docker.io/v1/".to_string()));
    }
}
