//! Embeds the built web client (`web/dist`, made by `npm run build` in `web/`)
//! into the binary: every file raw and gzip-compressed. Without a build, the
//! binary serves a page that says how to make one.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dist = manifest.join("../../web/dist");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed={}", dist.display());
    println!("cargo:rerun-if-changed=build.rs");

    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        collect(&dist, &dist, &mut files);
    }
    files.sort();
    let mut code = String::from("/// Files of the built web client: (path, raw bytes, gzip bytes).\n");
    code.push_str("pub static WEB_ASSETS: &[(&str, &[u8], &[u8])] = &[\n");
    for relative in &files {
        let source = dist.join(relative);
        let raw = std::fs::read(&source).expect("read web asset");
        let gz_path = out.join("web").join(format!("{relative}.gz"));
        std::fs::create_dir_all(gz_path.parent().expect("a file has a parent")).expect("create out dir");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&raw).expect("gzip");
        std::fs::write(&gz_path, encoder.finish().expect("gzip")).expect("write gzip");
        let _ = writeln!(
            code,
            "    ({relative:?}, include_bytes!({:?}), include_bytes!({:?})),",
            source.canonicalize().expect("canonical path").display().to_string(),
            gz_path.display().to_string()
        );
    }
    code.push_str("];\n");
    std::fs::write(out.join("web_assets.rs"), code).expect("write web_assets.rs");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(relative) = path.strip_prefix(root) {
            files.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}
