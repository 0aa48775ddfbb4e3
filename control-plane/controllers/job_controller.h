#pragma once
// JobController: runs a Job's pods to completion, as kube-controller-manager's job
// controller does:
//   - up to spec.parallelism pods at once, until spec.completions have succeeded (without
//     completions: until one succeeded and the rest finished); Indexed jobs give each pod
//     an index (annotation, label, hostname, JOB_COMPLETION_INDEX) and complete each once;
//   - failed pods count against spec.backoffLimit (with restartPolicy OnFailure, container
//     restarts do); replacements wait 10 s doubling to 6 min after each failure;
//   - spec.activeDeadlineSeconds from status.startTime; spec.suspend stops the pods;
//   - the Complete or Failed condition (BackoffLimitExceeded, DeadlineExceeded) ends it,
//     its remaining pods deleted; status active/ready/succeeded/failed, startTime,
//     completionTime and completedIndexes are what `kubectl get/describe/wait` read.

#include "api/k8s/client/event_recorder.h"
#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/controller.h"
#include "control-plane/controllers/expectations.h"
#include "control-plane/controllers/failure_backoff.h"

namespace capstan::control_plane::controllers {

inline constexpr const char* kJobCompletionIndex = "batch.kubernetes.io/job-completion-index";

class JobController : public Controller {
 public:
  JobController(api::k8s::client::ApiClient* api, const Clock* clock,
                api::k8s::client::Reflector* jobs, api::k8s::client::Reflector* pods);
  Status Sync(const std::string& key) override;

 private:
  struct Counts;
  Status Finish(const Json& job, Json& status, const std::vector<Json>& active,
                const std::string& type, const std::string& reason, const std::string& message);
  Status ManagePods(const Json& job, const Counts& counts, std::vector<Json>& active);
  Status CreatePod(const Json& job, std::optional<int64_t> index);

  api::k8s::client::ApiClient* api_;
  Expectations expectations_;
  FailureBackoff failures_;  // by job key
  api::k8s::client::EventRecorder events_;
  api::k8s::client::Reflector& jobs_;
  api::k8s::client::Reflector& pods_;
};

}  // namespace capstan::control_plane::controllers
