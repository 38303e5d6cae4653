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
    Ok(())
}
