//! Cargo's JSON messages (`--message-format json`): the compiler errors of a build.
//!
//! With that flag cargo prints one JSON object per line on standard output for what rustc
//! reports, instead of rustc's text on standard error. Each `compiler-message` holds rustc's
//! diagnostic: its level, its message, its spans (file, line, column; one marked primary) and
//! `rendered`, the text rustc would have printed. Reading fields is sturdier than matching
//! rustc's text, whose layout changes between Rust versions. Libtest's own lines (`running 3
//! tests`, `test x ... ok`) never start with `{`, so both can share one stream.

use serde_json::Value;

/// One error of the compiler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// The file, as rustc names it: relative to the workspace root for a workspace member.
    pub file: String,
    pub line: u64,
    pub column: u64,
    /// The one-line message, e.g. "expected `;`, found `}`".
    pub message: String,
    /// The full text rustc prints for it: the message, the source line and the marker.
    pub rendered: String,
}

impl CompileError {
    /// `file:line:column: message`, the form editors and terminals turn into a link.
    pub fn location_line(&self) -> String {
        format!(
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// The error in one line of cargo's JSON output, if that line is a compiler error.
/// Anything else (libtest's lines, artifacts, warnings, a line that is not JSON) is `None`.
pub fn parse_line(line: &str) -> Option<CompileError> {
    if !line.starts_with('{') {
        return None;
    }
    let value: Value = serde_json::from_str(line).ok()?;
    if value.get("reason")?.as_str()? != "compiler-message" {
        return None;
    }
    let message = value.get("message")?;
    // "error" and "error: internal compiler error"; warnings and notes do not stop a build.
    if !message.get("level")?.as_str()?.starts_with("error") {
        return None;
    }
    let text = message.get("message")?.as_str()?.to_string();
    let rendered = message
        .get("rendered")
        .and_then(Value::as_str)
        .unwrap_or(&text)
        .trim_end()
        .to_string();
    let spans = message.get("spans").and_then(Value::as_array);
    let primary = spans.and_then(|spans| {
        spans
            .iter()
            .find(|s| s.get("is_primary").and_then(Value::as_bool) == Some(true))
            .or_else(|| spans.first())
    });
    let field = |name: &str| {
        primary
            .and_then(|s| s.get(name))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    Some(CompileError {
        file: primary
            .and_then(|s| s.get("file_name"))
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string(),
        line: field("line_start"),
        column: field("column_start"),
        message: text,
        rendered,
    })
}

/// Adds `error` unless the same one is there already: cargo compiles a lab's library twice
/// (once as a dependency of its tests, once with its unit tests), and rustc reports each
/// mistake in both.
pub fn push_unique(errors: &mut Vec<CompileError>, error: CompileError) {
    let same = |e: &CompileError| {
        e.file == error.file
            && e.line == error.line
            && e.column == error.column
            && e.message == error.message
    };
    if !errors.iter().any(same) {
        errors.push(error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ERROR: &str = r#"{"reason":"compiler-message","package_id":"path+file:///w/labs/02-log-segment#lab02-log-segment@0.1.0","manifest_path":"/w/labs/02-log-segment/Cargo.toml","target":{"kind":["lib"],"name":"lab02_log_segment"},"message":{"rendered":"error: expected `;`, found `}`\n  --> labs/02-log-segment/src/segment.rs:42:18\n","$message_type":"diagnostic","children":[],"code":null,"level":"error","message":"expected `;`, found `}`","spans":[{"byte_end":1,"byte_start":0,"column_end":19,"column_start":18,"expansion":null,"file_name":"labs/02-log-segment/src/segment.rs","is_primary":true,"label":null,"line_end":42,"line_start":42,"suggested_replacement":null,"suggestion_applicability":null,"text":[]}]}}"#;

    #[test]
    fn a_compiler_error_gives_its_file_line_and_message() {
        let error = parse_line(ERROR).unwrap();
        assert_eq!(
            error.location_line(),
            "labs/02-log-segment/src/segment.rs:42:18: expected `;`, found `}`"
        );
        assert!(error.rendered.starts_with("error: expected `;`"));
    }

    #[test]
    fn warnings_libtest_lines_and_other_messages_are_not_errors() {
        let warning = ERROR.replace(r#""level":"error""#, r#""level":"warning""#);
        assert_eq!(parse_line(&warning), None);
        assert_eq!(parse_line("test step1_x ... ok"), None);
        assert_eq!(
            parse_line(r#"{"reason":"build-finished","success":false}"#),
            None
        );
        assert_eq!(parse_line("{ not json"), None);
    }

    #[test]
    fn the_same_error_twice_is_kept_once() {
        let mut errors = Vec::new();
        push_unique(&mut errors, parse_line(ERROR).unwrap());
        push_unique(&mut errors, parse_line(ERROR).unwrap());
        assert_eq!(errors.len(), 1);
    }
}
