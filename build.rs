//! Compiles `proto/` with protox (pure Rust, no system `protoc`) and writes
//! the descriptor set that tonic-reflection serves.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = ["proto/sentinel/v1/monitor.proto"];
    let descriptors = protox::compile(protos, ["proto"])?;
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("sentinel_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    // Decode failures are INVALID_ARGUMENT (src/grpc/codec.rs), not tonic's INTERNAL.
    tonic_prost_build::configure()
        .codec_path("crate::grpc::codec::WireCodec")
        .compile_fds(descriptors)?;
    println!("cargo:rerun-if-changed=proto");
    export_git_commit();
    Ok(())
}

/// Sets `SENTINEL_GIT_COMMIT` for `sentinel_build_info`: the checked-out commit, or
/// `unknown` when the sources are not a git checkout (e.g. a vendored build context).
fn export_git_commit() {
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=SENTINEL_GIT_COMMIT={commit}");
    for path in [".git/HEAD", ".git/refs/heads"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
