//! A layer's build command as people wrote it.

/// A layer's history command as it was written: the shell wrapper of `RUN` (classic
/// `/bin/sh -c cmd`, BuildKit's `RUN /bin/sh -c cmd # buildkit`, and `|N ARG=v … /bin/sh -c cmd` for
/// RUN with build args) becomes `RUN cmd`, the `#(nop)` marker of metadata instructions is dropped,
/// and BuildKit's `# buildkit` suffix too. The viewer and every report show commands through this
/// one function (JSON keeps `created_by` as the image has it); the caller escapes and shortens.
pub fn clean_command(cmd: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let cmd = cmd.trim();
    let cmd = cmd.strip_suffix("# buildkit").map_or(cmd, str::trim_end);
    if let Some(rest) = cmd.strip_prefix("/bin/sh -c #(nop)") {
        return Cow::Borrowed(rest.trim_start());
    }
    for shell in ["/bin/sh -c ", "RUN /bin/sh -c ", "|"] {
        if let Some(rest) = cmd.strip_prefix(shell)
            && (shell != "|" || rest.starts_with(|c: char| c.is_ascii_digit()))
        {
            let rest = if shell == "|" {
                rest.split_once("/bin/sh -c ").map_or(rest, |(_, r)| r)
            } else {
                rest
            };
            return Cow::Owned(format!("RUN {}", rest.trim_start()));
        }
    }
    Cow::Borrowed(cmd)
}
