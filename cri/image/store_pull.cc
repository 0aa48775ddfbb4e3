// Store::Pull: registry -> content store -> unpacked layers -> record.

#include "cri/image/digest.h"
#include "cri/image/manifest.h"
#include "cri/image/reference.h"
#include "cri/image/registry_client.h"
#include "cri/image/store_impl.h"

namespace capstan::cri::image {
namespace {

Result<NewImage> Fetch(const Reference& ref, RegistryClient& client, const ContentStore& content,
                       Lease& lease) {
  NewImage n;
  std::string target = ref.digest.empty() ? ref.tag : ref.digest;
  CAPSTAN_ASSIGN_OR_RETURN(auto top, client.FetchManifest(target));
  lease.Add(top.digest);
  CAPSTAN_TRY(content.WriteBlob(top.body, top.digest));
  n.blobs.insert(top.digest);
  CAPSTAN_ASSIGN_OR_RETURN(ManifestKind kind, ClassifyManifest(top.media_type, top.body));
  n.manifest_digest = top.digest;
  std::string body = std::move(top.body);
  if (kind == ManifestKind::kIndex) {
    CAPSTAN_ASSIGN_OR_RETURN(Index index, ParseIndex(body));
    CAPSTAN_ASSIGN_OR_RETURN(Descriptor d, SelectPlatform(index, HostPlatform()));
    CAPSTAN_ASSIGN_OR_RETURN(auto child, client.FetchManifest(d.digest));
    CAPSTAN_ASSIGN_OR_RETURN(ManifestKind child_kind,
                             ClassifyManifest(child.media_type, child.body));
    if (child_kind != ManifestKind::kManifest) {
      return Fail(Code::kInvalidArgument, "index entry {} is itself an index", d.digest);
    }
    lease.Add(child.digest);
    CAPSTAN_TRY(content.WriteBlob(child.body, child.digest));
    n.blobs.insert(child.digest);
    n.manifest_digest = child.digest;
    body = std::move(child.body);
  }
  CAPSTAN_ASSIGN_OR_RETURN(Manifest manifest, ParseManifest(body));
  if (manifest.config.size > kMaxConfigSize) {
    return Fail(Code::kInvalidArgument, "manifest.config.size {} exceeds the {} bytes allowed",
                manifest.config.size, kMaxConfigSize);
  }
  std::vector<Descriptor> blobs = manifest.layers;
  blobs.insert(blobs.begin(), manifest.config);
  for (const Descriptor& d : blobs) {
    lease.Add(d.digest);  // before looking: GC decides under the same lock
    if (!content.Has(d.digest)) {
      CAPSTAN_TRY(client.FetchBlob(d, content));
    }
    n.blobs.insert(d.digest);
  }
  if (ref.digest.empty()) {
    n.tags.push_back(ref.TagString());
  }
  n.repo_digests.push_back(ref.DigestString(top.digest));
  return n;
}

}  // namespace

Result<Image> StoreImpl::Pull(std::string_view ref_str, const AuthConfig& auth) {
  auto pull = [&]() -> Result<Image> {
    CAPSTAN_ASSIGN_OR_RETURN(Reference ref, ParseReference(ref_str));
    CAPSTAN_ASSIGN_OR_RETURN(Credentials creds, ToCredentials(auth));
    RegistryClient client(cfg_, std::move(creds), ref);
    Lease lease(this);
    CAPSTAN_ASSIGN_OR_RETURN(NewImage n, Fetch(ref, client, content_, lease));
    CAPSTAN_ASSIGN_OR_RETURN(PreparedImage p, Prepare(std::move(n), lease));
    std::vector<PreparedImage> one;
    one.push_back(std::move(p));
    CAPSTAN_ASSIGN_OR_RETURN(std::vector<Image> images, Record(std::move(one)));
    return images.front();
  };
  auto image = pull();
  if (!image) {
    return Fail(image.error().Wrap("pulling image {}", ref_str));
  }
  log_.Info("image pulled", {{"ref", ref_str}, {"id", image->id}});
  return image;
}

}  // namespace capstan::cri::image
