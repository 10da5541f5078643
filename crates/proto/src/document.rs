//! Documents as files: path rules and the editor language of a path (Monaco's ids).

use std::fmt;

/// Longest document path accepted, in bytes.
pub const MAX_PATH_BYTES: usize = 512;

/// Why a document path was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPath(pub &'static str);

impl fmt::Display for InvalidPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid document path: {}", self.0)
    }
}

impl std::error::Error for InvalidPath {}

/// Normalizes a document path (`src/main.rs`): trims it and leading slashes, and
/// refuses empty, `.`/`..` or blank segments, backslashes, control characters and
/// paths over [`MAX_PATH_BYTES`]. Folders are the `/`-separated prefixes.
pub fn normalize_document_path(path: &str) -> Result<String, InvalidPath> {
    let path = path.trim().trim_start_matches('/');
    if path.is_empty() {
        return Err(InvalidPath("the path is empty"));
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(InvalidPath("the path is longer than 512 bytes"));
    }
    if path.chars().any(|c| c.is_control() || c == '\\') {
        return Err(InvalidPath("the path contains a control character or a backslash"));
    }
    for segment in path.split('/') {
        if segment.trim().is_empty() {
            return Err(InvalidPath("the path has an empty segment (// or a trailing /)"));
        }
        if segment == "." || segment == ".." {
            return Err(InvalidPath("the path has a . or .. segment"));
        }
        if segment != segment.trim() {
            return Err(InvalidPath("a path segment starts or ends with a space"));
        }
    }
    Ok(path.to_owned())
}

/// Monaco language id for a path: by extension, or by well-known file name;
/// `plaintext` when unknown.
pub fn language_for_path(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name {
        "Dockerfile" => return "dockerfile",
        "Makefile" | "makefile" | "GNUmakefile" => return "makefile",
        _ => {}
    }
    let Some((_, ext)) = name.rsplit_once('.') else {
        return "plaintext";
    };
    match ext.to_ascii_lowercase().as_str() {
        "rs" => "rust",
        "ts" | "mts" | "cts" => "typescript",
        "tsx" => "typescript",
        "js" | "mjs" | "cjs" | "jsx" => "javascript",
        "json" => "json",
        "py" | "pyi" => "python",
        "go" => "go",
        "java" => "java",
        "kt" | "kts" => "kotlin",
        "c" | "h" => "c",
        "cc" | "cpp" | "cxx" | "hpp" | "hh" | "hxx" => "cpp",
        "cs" => "csharp",
        "rb" => "ruby",
        "php" => "php",
        "swift" => "swift",
        "scala" => "scala",
        "sh" | "bash" | "zsh" => "shell",
        "sql" => "sql",
        "html" | "htm" => "html",
        "css" => "css",
        "scss" => "scss",
        "less" => "less",
        "md" | "markdown" => "markdown",
        "yaml" | "yml" => "yaml",
        "toml" => "toml",
        "xml" | "svg" => "xml",
        "lua" => "lua",
        "r" => "r",
        "dart" => "dart",
        "ex" | "exs" => "elixir",
        "hs" => "haskell",
        "ini" | "cfg" => "ini",
        "proto" => "protobuf",
        "graphql" | "gql" => "graphql",
        "vue" => "html",
        "txt" => "plaintext",
        _ => "plaintext",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(normalize_document_path(" /src/main.rs "), Ok("src/main.rs".into()));
        assert_eq!(normalize_document_path("a b/c d.txt"), Ok("a b/c d.txt".into()));
        for bad in ["", "/", "a//b", "a/", "../x", "a/./b", "a\\b", "a\u{7}b", "a/ b"] {
            assert!(normalize_document_path(bad).is_err(), "{bad:?}");
        }
        assert!(normalize_document_path(&"x".repeat(513)).is_err());
    }

    #[test]
    fn languages() {
        let cases = [
            ("src/main.rs", "rust"),
            ("web/App.TSX", "typescript"),
            ("README.md", "markdown"),
            ("a/b/Dockerfile", "dockerfile"),
            ("Makefile", "makefile"),
            ("notes", "plaintext"),
            ("archive.tar.gz", "plaintext"),
            (".gitignore", "plaintext"),
            ("x.py", "python"),
        ];
        for (path, language) in cases {
            assert_eq!(language_for_path(path), language, "{path}");
        }
    }
}
