//! The part of containerd's gRPC API imgscope calls, over tonic and prost: images (get, list),
//! content (info, read), namespaces (list) and introspection (plugins). The messages are declared
//! here with prost's derive, field for field as containerd's `.proto` files give them (`api/`
//! in containerd 1.6–2.x; fields imgscope does not read are left out and skipped on decode), so
//! building imgscope needs no `protoc` and no generated code for the thirty services it does not
//! use. Unknown fields are ignored by protobuf; the field numbers are the wire contract.

use std::collections::HashMap;

use tonic::Status;
use tonic::client::Grpc;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;
use tonic::{Request, Response, Streaming};

/// `containerd.types.Descriptor`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Descriptor {
    #[prost(string, tag = "1")]
    pub media_type: String,
    #[prost(string, tag = "2")]
    pub digest: String,
    #[prost(int64, tag = "3")]
    pub size: i64,
    #[prost(map = "string, string", tag = "5")]
    pub annotations: HashMap<String, String>,
}

/// `containerd.services.images.v1.Image` (without its timestamps).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Image {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(map = "string, string", tag = "2")]
    pub labels: HashMap<String, String>,
    #[prost(message, optional, tag = "3")]
    pub target: Option<Descriptor>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetImageRequest {
    #[prost(string, tag = "1")]
    pub name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetImageResponse {
    #[prost(message, optional, tag = "1")]
    pub image: Option<Image>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ListImagesRequest {
    #[prost(string, repeated, tag = "1")]
    pub filters: Vec<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ListImagesResponse {
    #[prost(message, repeated, tag = "1")]
    pub images: Vec<Image>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Namespace {
    #[prost(string, tag = "1")]
    pub name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ListNamespacesRequest {
    #[prost(string, tag = "1")]
    pub filter: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ListNamespacesResponse {
    #[prost(message, repeated, tag = "1")]
    pub namespaces: Vec<Namespace>,
}

/// `containerd.services.content.v1.Info` (without timestamps and labels).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ContentInfo {
    #[prost(string, tag = "1")]
    pub digest: String,
    #[prost(int64, tag = "2")]
    pub size: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct InfoRequest {
    #[prost(string, tag = "1")]
    pub digest: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct InfoResponse {
    #[prost(message, optional, tag = "1")]
    pub info: Option<ContentInfo>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ReadContentRequest {
    #[prost(string, tag = "1")]
    pub digest: String,
    #[prost(int64, tag = "2")]
    pub offset: i64,
    /// 0 reads to the end.
    #[prost(int64, tag = "3")]
    pub size: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ReadContentResponse {
    #[prost(int64, tag = "1")]
    pub offset: i64,
    #[prost(bytes = "vec", tag = "2")]
    pub data: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PluginsRequest {
    #[prost(string, repeated, tag = "1")]
    pub filters: Vec<String>,
}

/// `containerd.services.introspection.v1.Plugin` (type, id and exports only).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Plugin {
    #[prost(string, tag = "1")]
    pub r#type: String,
    #[prost(string, tag = "2")]
    pub id: String,
    #[prost(map = "string, string", tag = "5")]
    pub exports: HashMap<String, String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PluginsResponse {
    #[prost(message, repeated, tag = "1")]
    pub plugins: Vec<Plugin>,
}

/// A gRPC client on `channel`, once containerd accepts calls.
async fn ready(channel: Channel) -> Result<Grpc<Channel>, Status> {
    let mut grpc = Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(format!("containerd is not ready: {e}")))?;
    Ok(grpc)
}

/// One unary call: `method` is the full gRPC path (`/package.Service/Method`).
pub async fn unary<Req, Resp>(
    channel: Channel,
    method: &'static str,
    request: Request<Req>,
) -> Result<Response<Resp>, Status>
where
    Req: prost::Message + Send + Sync + 'static,
    Resp: prost::Message + Default + Send + Sync + 'static,
{
    let mut grpc = ready(channel).await?;
    grpc.unary(
        request,
        PathAndQuery::from_static(method),
        tonic_prost::ProstCodec::default(),
    )
    .await
}

/// One call whose answer is a stream of messages.
pub async fn server_streaming<Req, Resp>(
    channel: Channel,
    method: &'static str,
    request: Request<Req>,
) -> Result<Response<Streaming<Resp>>, Status>
where
    Req: prost::Message + Send + Sync + 'static,
    Resp: prost::Message + Default + Send + Sync + 'static,
{
    let mut grpc = ready(channel).await?;
    grpc.server_streaming(
        request,
        PathAndQuery::from_static(method),
        tonic_prost::ProstCodec::default(),
    )
    .await
}

pub const IMAGES_GET: &str = "/containerd.services.images.v1.Images/Get";
pub const IMAGES_LIST: &str = "/containerd.services.images.v1.Images/List";
pub const NAMESPACES_LIST: &str = "/containerd.services.namespaces.v1.Namespaces/List";
pub const CONTENT_INFO: &str = "/containerd.services.content.v1.Content/Info";
pub const CONTENT_READ: &str = "/containerd.services.content.v1.Content/Read";
pub const INTROSPECTION_PLUGINS: &str =
    "/containerd.services.introspection.v1.Introspection/Plugins";

/// A channel over containerd's unix socket (the URI is required by tonic and not used).
pub async fn connect(path: std::path::PathBuf) -> Result<Channel, tonic::transport::Error> {
    tonic::transport::Endpoint::from_static("http://[::]:50051")
        .connect_with_connector(tower::service_fn(move |_| {
            let path = path.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(path).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
            }
        }))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn descriptors_decode_from_containerds_wire_form() {
        // An Image as containerd encodes it, with a timestamp (field 7) imgscope does not read.
        let target = Descriptor {
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            digest: "sha256:ab".into(),
            size: 42,
            annotations: HashMap::new(),
        };
        let mut bytes = Image {
            name: "docker.io/library/redis:7".into(),
            labels: HashMap::new(),
            target: Some(target.clone()),
        }
        .encode_to_vec();
        bytes.extend([0x3a, 0x02, 0x08, 0x01]); // created_at { seconds: 1 }
        let image = Image::decode(&bytes[..]).unwrap();
        assert_eq!(image.name, "docker.io/library/redis:7");
        assert_eq!(image.target, Some(target));
    }
}
