//! The protobuf codec of the generated service: prost's, except that a message that does
//! not decode is the client's fault, INVALID_ARGUMENT (tonic's codec says INTERNAL, which
//! clients treat as retryable).

use std::marker::PhantomData;

use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic::{Code, Status};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};

/// [`ProstCodec`] with decode failures as INVALID_ARGUMENT.
#[derive(Debug, Clone, Default)]
pub struct WireCodec<T, U> {
    inner: ProstCodec<T, U>,
}

/// The decoder of [`WireCodec`].
#[derive(Debug, Clone, Default)]
pub struct WireDecoder<U> {
    inner: ProstDecoder<U>,
    _message: PhantomData<U>,
}

impl<T, U> Codec for WireCodec<T, U>
where
    T: prost::Message + Send + 'static,
    U: prost::Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = WireDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.inner.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        WireDecoder {
            inner: self.inner.decoder(),
            _message: PhantomData,
        }
    }
}

impl<U: prost::Message + Default> Decoder for WireDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        self.inner.decode(buf).map_err(|status| {
            if status.code() == Code::Internal {
                Status::invalid_argument(format!(
                    "the message is not a valid protobuf {}: {}",
                    std::any::type_name::<U>()
                        .rsplit("::")
                        .next()
                        .unwrap_or("message"),
                    status.message()
                ))
            } else {
                status
            }
        })
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.inner.buffer_settings()
    }
}

/// The monitor service with tonic's "message too large" answer (OUT_OF_RANGE, given before
/// the handler runs) turned into RESOURCE_EXHAUSTED, the gRPC convention for a message
/// above the receiver's limit. The service never answers OUT_OF_RANGE itself, and only a
/// trailers-only answer (a status in the headers) is rewritten.
#[derive(Debug, Clone)]
pub struct SizeLimitAsResourceExhausted<S>(pub S);

impl<S, B> tower_service::Service<http::Request<B>> for SizeLimitAsResourceExhausted<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let answer = self.0.call(request);
        Box::pin(async move {
            let mut response = answer.await?;
            let headers = response.headers_mut();
            // OUT_OF_RANGE is 11, RESOURCE_EXHAUSTED 8 (google.rpc.Code).
            if headers.get("grpc-status").map(http::HeaderValue::as_bytes) == Some(b"11") {
                headers.insert("grpc-status", http::HeaderValue::from_static("8"));
            }
            Ok(response)
        })
    }
}

impl<S: tonic::server::NamedService> tonic::server::NamedService
    for SizeLimitAsResourceExhausted<S>
{
    const NAME: &'static str = S::NAME;
}
