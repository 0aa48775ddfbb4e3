#pragma once
// Which PersistentVolume a claim may bind to, as kube-controller-manager's PV controller
// decides (pkg/controller/volume/persistentvolume's findMatchingVolume): a volume of the
// claim's storageClassName and volumeMode, with every access mode the claim asks for, at
// least its request of storage, labels its selector matches, free or already reserved for
// this claim (claimRef), and named by spec.volumeName when the claim names one. Of those,
// a volume reserved for the claim wins; otherwise the smallest.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace capstan::control_plane::controllers {

using Json = nlohmann::json;

// The class a claim asks for: its storageClassName, else the legacy beta annotation, else "".
std::string ClaimClass(const Json& claim);
// A volume's class, read the same way.
std::string VolumeClass(const Json& volume);
// The storage a claim requests or a volume offers, in bytes (-1: absent or unreadable).
int64_t ClaimRequest(const Json& claim);
int64_t VolumeCapacity(const Json& volume);
// Whether the volume's claimRef names this claim (by namespace and name, and uid if set).
bool ReservedFor(const Json& volume, const Json& claim);

// Why `volume` cannot serve `claim` ("" when it can). Does not look at whether the volume is
// taken; FindMatchingVolume does.
std::string Mismatch(const Json& claim, const Json& volume);

// The index in `volumes` of the volume to bind `claim` to.
std::optional<size_t> FindMatchingVolume(const Json& claim, const std::vector<Json>& volumes);

}  // namespace capstan::control_plane::controllers
