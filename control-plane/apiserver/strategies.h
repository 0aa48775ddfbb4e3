#pragma once
// The kinds with strategies of their own (strategy_pod.cc, strategy_core.cc,
// strategy_workloads.cc). Defaults follow upstream's SetDefaults_* functions; validation
// follows pkg/apis/*/validation with upstream's field paths and messages.

#include "control-plane/apiserver/strategy.h"

namespace capstan::control_plane::apiserver {

// Pod spec defaults and validation, shared by pods and every pod template.
void DefaultPodSpec(Json& spec);
void ValidatePodSpec(const Json& spec, const std::string& path, std::vector<FieldCause>& out);

class PodStrategy : public Strategy {
 public:
  void PrepareForCreate(Json& obj) const override;
  void PrepareForUpdate(Json& obj, const Json& old) const override;
  std::vector<FieldCause> Validate(const Json& obj) const override;
  std::vector<FieldCause> ValidateUpdate(const Json& obj, const Json& old) const override;
  std::map<std::string, std::string> SelectableFields(const Json& obj) const override;
  int64_t DefaultGracePeriod(const Json& obj) const override;
};

class NamespaceStrategy : public Strategy {
 public:
  void PrepareForCreate(Json& obj) const override;
  void PrepareForUpdate(Json& obj, const Json& old) const override;
  bool FinalizedByServer() const override { return true; }
  void PrepareForDelete(Json& obj) const override;
  std::map<std::string, std::string> SelectableFields(const Json& obj) const override;
};

class ServiceStrategy : public Strategy {
 public:
  void PrepareForCreate(Json& obj) const override;
  void PrepareForUpdate(Json& obj, const Json& old) const override;
  std::vector<FieldCause> Validate(const Json& obj) const override;
  std::vector<FieldCause> ValidateUpdate(const Json& obj, const Json& old) const override;
};

class NodeStrategy : public Strategy {
 public:
  std::map<std::string, std::string> SelectableFields(const Json& obj) const override;
};

class SecretStrategy : public Strategy {
 public:
  void PrepareForCreate(Json& obj) const override;
  std::vector<FieldCause> Validate(const Json& obj) const override;
  std::map<std::string, std::string> SelectableFields(const Json& obj) const override;
};

class EventStrategy : public Strategy {
 public:
  std::map<std::string, std::string> SelectableFields(const Json& obj) const override;
};

class PersistentVolumeStrategy : public Strategy {
 public:
  void PrepareForCreate(Json& obj) const override;
  std::vector<FieldCause> Validate(const Json& obj) const override;
  std::map<std::string, std::string> SelectableFields(const Json& obj) const override;
};

class PersistentVolumeClaimStrategy : public Strategy {
 public:
  void PrepareForCreate(Json& obj) const override;
  std::vector<FieldCause> Validate(const Json& obj) const override;
  std::vector<FieldCause> ValidateUpdate(const Json& obj, const Json& old) const override;
};

// scheduling.k8s.io PriorityClass: an int32 value (immutable), a boolean globalDefault and
// a known preemptionPolicy (immutable).
class PriorityClassStrategy : public Strategy {
 public:
  std::vector<FieldCause> Validate(const Json& obj) const override;
  std::vector<FieldCause> ValidateUpdate(const Json& obj, const Json& old) const override;
};

class IngressStrategy : public Strategy {
 public:
  std::vector<FieldCause> Validate(const Json& obj) const override;
};

// CertificateSigningRequests: the spec is immutable, status is only the approver's and the
// signer's (strategy_certificates.cc).
class CertificateSigningRequestStrategy : public Strategy {
 public:
  void PrepareForCreate(Json& obj) const override;
  void PrepareForUpdate(Json& obj, const Json& old) const override;
  std::vector<FieldCause> Validate(const Json& obj) const override;
  std::map<std::string, std::string> SelectableFields(const Json& obj) const override;
};

class CrdStrategy : public Strategy {
 public:
  void PrepareForCreate(Json& obj) const override;
  void PrepareForUpdate(Json& obj, const Json& old) const override;
  std::vector<FieldCause> Validate(const Json& obj) const override;
};

// Deployments, ReplicaSets, DaemonSets, StatefulSets and Jobs: a selector, a pod template.
class WorkloadStrategy : public Strategy {
 public:
  enum class Kind { kDeployment, kReplicaSet, kDaemonSet, kStatefulSet, kJob };
  explicit WorkloadStrategy(Kind kind) : kind_(kind) {}
  void PrepareForCreate(Json& obj) const override;
  void PrepareForUpdate(Json& obj, const Json& old) const override;
  std::vector<FieldCause> Validate(const Json& obj) const override;
  std::vector<FieldCause> ValidateUpdate(const Json& obj, const Json& old) const override;

 private:
  void Default(Json& obj) const;
  Kind kind_;
};

}  // namespace capstan::control_plane::apiserver
