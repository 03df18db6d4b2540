//! Unified diffs of requirement blocks, for `show --diff`: the main spec's
//! block against the MODIFIED block of a delta.
//!
//! Shape: hunks with four lines of context (as OpenSpec 1.13.2 prints them), each starting with its
//! `@@ -a,b +c,d @@` header, lines prefixed with ` `, `-` or `+`, joined by
//! `\n`, no file header and no final newline. Identical blocks give `""`.
//! Both blocks are compared with line ends normalised and trailing blank
//! lines removed.
use similar::{ChangeTag, TextDiff};

/// The unified diff from `old` to `new` (see the module doc for the shape).
pub fn block_diff(old: &str, new: &str) -> String {
    let old = normalise(old);
    let new = normalise(new);
    let diff = TextDiff::from_lines(old.as_str(), new.as_str());
    let mut out: Vec<String> = Vec::new();
    for hunk in diff.unified_diff().context_radius(4).iter_hunks() {
        out.push(hunk.header().to_string());
        for change in hunk.iter_changes() {
            let sign = match change.tag() {
                ChangeTag::Equal => ' ',
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
            };
            let line = change.value();
            out.push(format!("{sign}{}", line.strip_suffix('\n').unwrap_or(line)));
        }
    }
    out.join("\n")
}

/// Lines joined by `\n`, carriage returns and trailing blank lines dropped,
/// with a final newline so the last line compares like the others.
fn normalise(s: &str) -> String {
    let mut t = s.replace("\r\n", "\n").trim_end().to_string();
    t.push('\n');
    t
}

#[cfg(test)]
mod tests {
    use super::block_diff;

    #[test]
    fn hunks_carry_four_lines_of_context() {
        let old = "### Requirement: Login\nThe system SHALL log in.\n\nl1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\n\n#### Scenario: ok\n- **WHEN** x\n- **THEN** y\n";
        let new = old
            .replace("log in.", "log in now.")
            .replace("THEN** y", "THEN** z");
        assert_eq!(
            block_diff(old, &new),
            "@@ -1,6 +1,6 @@\n ### Requirement: Login\n-The system SHALL log in.\n+The system SHALL log in now.\n \n l1\n l2\n l3\n@@ -12,5 +12,5 @@\n l9\n \n #### Scenario: ok\n - **WHEN** x\n-- **THEN** y\n+- **THEN** z"
        );
        assert_eq!(block_diff(old, &format!("{old}\n\n")), "");
        assert_eq!(block_diff(old, &old.replace('\n', "\r\n")), "");
    }
}
