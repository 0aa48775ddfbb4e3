#!/usr/bin/env bash
# The scheduler and the controllers inside capstan-server, driven by the real kubectl, on fake
# nodes (capstan-fake-nodes: Node objects whose leases and pod status a test agent keeps, so a
# node costs nothing). Rollouts, DaemonSets, StatefulSets, Jobs, node selection, taints,
# eviction and garbage collection, checked as a user sees them: kubectl's output and events.
# No root needed. Prints one line per check and "N passed, N failed".
# Usage: scheduling_flows.sh BIN_DIR KUBECTL
set -u
bin_dir=$1
kubectl=$2
[[ -x "$kubectl" ]] || { echo "SKIP: $kubectl is not installed"; exit 77; }
tmp=$(mktemp -d /tmp/capstan-scheduling-flows.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# A short grace period so a silent node goes Unknown within seconds, not 40.
source "$(dirname "$0")/../lib/server.sh"
start_server --node-monitor-grace-period 6 || exit 1

source "$(dirname "$0")/../lib/checks.sh"
k() { "$kubectl" "$@"; }
# fake_nodes ARGS...: starts an agent and waits for its "ready".
fake_nodes() {
  local log="$tmp/fake-nodes-${#pids[@]}.log"
  "$bin_dir/capstan-fake-nodes" --kubeconfig "$KUBECONFIG" --lease-seconds 2 "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    grep -q '^ready' "$log" && return 0
    sleep 0.1
  done
  cat "$log"
  return 1
}
# field OBJECT JSONPATH: one field of an object in the default namespace.
field() { k get "$1" -o jsonpath="$2" 2>&1; }
# is TEXT OBJECT JSONPATH: the field reads TEXT exactly.
is() { [[ "$(field "$2" "$3")" == "$1" ]] || { echo "got: $(field "$2" "$3")"; return 1; }; }
# reasons_of NAME: "REASON MESSAGE" of the events about the object called NAME.
events_of() {
  k get events --field-selector "involvedObject.name=$1" \
    -o custom-columns=REASON:.reason,MESSAGE:.message --no-headers
}
image_of() { field "deploy/$1" '{.spec.template.spec.containers[0].image}'; }
rollout() { timeout 60 "$kubectl" rollout status "$1" --timeout=50s; }
# ending_template INDENT: the pod template of the Jobs here (runs on any fake node, then
# ends with exit code 0), indented by INDENT spaces.
ending_template() {
  sed "s/^/$(printf '%*s' "$1" '')/" <<'EOF'
template:
  metadata:
    annotations: {fake.capstan.dev/exit-code: "0"}
  spec:
    restartPolicy: Never
    tolerations: [{operator: Exists}]
    containers: [{name: c, image: 127.0.0.1:5000/busybox:1.0}]
EOF
}
# job_yaml NAME SPEC_LINE...: a Job with those spec fields and the ending template.
job_yaml() {
  printf 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: %s}\nspec:\n' "$1"
  shift
  for line in "$@"; do printf '  %s\n' "$line"; done
  ending_template 2
}

echo "# kubectl $("$kubectl" version --client -o json 2>/dev/null | grep -m1 gitVersion)"
check "the scheduler holds its lease" matches '^kube-scheduler +[^ ]+_[0-9a-f]{8} ' \
  k get lease -n kube-system
check "the controllers hold theirs" matches '^kube-controller-manager +[^ ]+_[0-9a-f]{8} ' \
  k get lease -n kube-system
check "three fake nodes join" fake_nodes --count 3 --prefix fake-
check "nodes Ready" eventually 20 bash -c \
  "[[ \$('$kubectl' get nodes --no-headers | grep -c ' Ready ') == 3 ]]"

# A CronJob every minute, made first: its run is checked at the end.
{
  printf 'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: tick}\nspec:\n'
  printf '  schedule: "* * * * *"\n  jobTemplate:\n    spec:\n'
  ending_template 6
} >"$tmp/cronjob.yaml"
check "apply a CronJob" contains 'cronjob.batch/tick created' k apply -f "$tmp/cronjob.yaml"
check "get cronjob columns" matches '^tick +\* \* \* \* \* +<none> +False +0 +<none> ' k get cronjob tick

# --- Inter-pod anti-affinity: one replica per node, the one too many Pending. --------------
cat >"$tmp/spread.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: spread}
spec:
  replicas: 3
  selector: {matchLabels: {app: spread}}
  template:
    metadata: {labels: {app: spread}}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {matchLabels: {app: spread}}
            topologyKey: kubernetes.io/hostname
      containers: [{name: c, image: 127.0.0.1:5000/busybox:1.0}]
EOF
check "a Deployment with required anti-affinity" contains 'created' k apply -f "$tmp/spread.yaml"
check "its replicas come up" contains 'successfully rolled out' rollout deploy/spread
check "one per node" bash -c \
  "[[ \$('$kubectl' get pods -l app=spread -o jsonpath='{.items[*].spec.nodeName}' | tr ' ' '\n' | sort -u | wc -l) == 3 ]]"
check "a fourth replica" contains 'scaled' k scale deploy/spread --replicas=4
check "stays Pending" eventually 10 bash -c "[[ -n \$('$kubectl' get pods -l app=spread --field-selector=status.phase=Pending -o name) ]]"
check "saying why" eventually 10 bash -c \
  "'$kubectl' get events --field-selector reason=FailedScheduling -o custom-columns=M:.message | grep -q \"0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.\""
check "delete it" contains 'deleted' k delete deploy spread

# --- A PodDisruptionBudget holds kubectl drain back until it allows a disruption. ---------
check "a Deployment of 2" contains 'created' k create deploy guarded --image=127.0.0.1:5000/busybox:1.0 --replicas=2
check "a budget of minAvailable 2" contains 'created' k create pdb guarded --selector=app=guarded --min-available=2
check "ALLOWED DISRUPTIONS 0" eventually 20 matches '^guarded +2 +N/A +0 ' k get pdb guarded
check "with both pods healthy" eventually 10 is 2 pdb/guarded '{.status.currentHealthy}'
guarded_node=$(k get pods -l app=guarded -o jsonpath='{.items[0].spec.nodeName}')
check "drain is refused by the budget" contains \
  "Cannot evict pod as it would violate the pod's disruption budget." \
  k drain "$guarded_node" --pod-selector=app=guarded --timeout=3s
check "the pod is still there" bash -c \
  "[[ \$('$kubectl' get pods -l app=guarded --field-selector spec.nodeName=$guarded_node -o name | wc -l) == 1 ]]"
check "minAvailable 1" contains 'patched' k patch pdb guarded --type=merge -p '{"spec":{"minAvailable":1}}'
check "ALLOWED DISRUPTIONS 1" eventually 20 matches '^guarded +1 +N/A +1 ' k get pdb guarded
check "drain evicts" contains 'evicted' k drain "$guarded_node" --pod-selector=app=guarded --timeout=30s
check "the replacement lands elsewhere" eventually 20 bash -c \
  "[[ \$('$kubectl' get pods -l app=guarded --field-selector status.phase=Running -o jsonpath='{.items[*].spec.nodeName}' | wc -w) == 2 ]] && \
! '$kubectl' get pods -l app=guarded -o jsonpath='{.items[*].spec.nodeName}' | grep -qw $guarded_node"
check "uncordon" contains 'uncordoned' k uncordon "$guarded_node"
k delete deploy guarded >/dev/null
k delete pdb guarded >/dev/null

# --- Deployments: rollouts by apply, set image and edit; scale; history; undo. -----------
deployment() {  # deployment IMAGE CHANGE_CAUSE
  cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {kubernetes.io/change-cause: "$2"}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: 127.0.0.1:5000/busybox:$1
        resources: {requests: {cpu: 100m, memory: 64Mi}}
EOF
}
deployment 1.0 "first release" >"$tmp/web-1.0.yaml"
deployment 1.1 "apply 1.1" >"$tmp/web-1.1.yaml"
check "apply a Deployment" contains 'deployment.apps/web created' k apply -f "$tmp/web-1.0.yaml"
check "rollout status returns when done" \
  contains 'deployment "web" successfully rolled out' rollout deploy/web
check "three pods Running on fake nodes" matches '^web-[a-z0-9]+-[a-z0-9]{5} +1/1 +Running +0 .* fake-[0-2] ' \
  k get pods -l app=web -o wide
check "READY 3/3" matches '^web +3/3 +3 +3 ' k get deploy web
check "ScalingReplicaSet event" matches 'ScalingReplicaSet +Scaled up replica set web-[a-z0-9]+ to 3' \
  events_of web
check "roll by apply" contains 'deployment.apps/web configured' k apply -f "$tmp/web-1.1.yaml"
check "apply rollout finishes" contains 'successfully rolled out' rollout deploy/web
check "set image --record" contains 'deployment.apps/web image updated' \
  k set image deploy/web app=127.0.0.1:5000/busybox:1.2 --record
check "set image rollout finishes" contains 'successfully rolled out' rollout deploy/web
check "edit" contains 'deployment.apps/web edited' \
  env EDITOR="sed -i -e s@busybox:1.2@busybox:1.3@ -e s@app=127.0.0.1:5000/busybox:1.3@edited@" \
  "$kubectl" edit deploy/web
check "edit rollout finishes" contains 'successfully rolled out' rollout deploy/web
check "edited image live" is 127.0.0.1:5000/busybox:1.3 deploy/web '{.spec.template.spec.containers[0].image}'
check "every pod on the new image" bash -c \
  "[[ \$('$kubectl' get pods -l app=web -o jsonpath='{.items[*].spec.containers[0].image}') == \
'127.0.0.1:5000/busybox:1.3 127.0.0.1:5000/busybox:1.3 127.0.0.1:5000/busybox:1.3' ]]"
check "four ReplicaSets, one scaled up" bash -c \
  "[[ \$('$kubectl' get rs -l app=web --no-headers | wc -l) == 4 && \
\$('$kubectl' get rs -l app=web -o jsonpath='{.items[*].spec.replicas}' | tr ' ' '\n' | sort | tr -d '\n') == 0003 ]]"
check "scale" contains 'deployment.apps/web scaled' k scale deploy/web --replicas=5
check "scale rollout finishes" contains 'successfully rolled out' rollout deploy/web
check "scale made no new ReplicaSet" bash -c "[[ \$('$kubectl' get rs -l app=web --no-headers | wc -l) == 4 ]]"
check "READY 5/5" matches '^web +5/5 +5 +5 ' k get deploy web
check "history: change-cause from the annotation" matches '^1 +first release$' k rollout history deploy/web
check "history: from apply" matches '^2 +apply 1.1$' k rollout history deploy/web
check "history: from --record" \
  matches '^3 +kubectl set image deploy/web app=127.0.0.1:5000/busybox:1.2 --record=true$' \
  k rollout history deploy/web
check "history: from edit" matches '^4 +kubectl set image deploy/web edited --record=true$' \
  k rollout history deploy/web
check "history --revision shows the template" contains 'Image:	127.0.0.1:5000/busybox:1.1' \
  k rollout history deploy/web --revision=2
check "undo" contains 'deployment.apps/web rolled back' k rollout undo deploy/web
check "undo rollout finishes" contains 'successfully rolled out' rollout deploy/web
check "undo went back to 1.2" is 127.0.0.1:5000/busybox:1.2 deploy/web '{.spec.template.spec.containers[0].image}'
check "undo made revision 3 the newest: 5" bash -c \
  "'$kubectl' rollout history deploy/web | grep -E '^[0-9]' | awk '{print \$1}' | tr '\n' ' ' | grep -qx '1 2 4 5 '"
check "undo --to-revision=1" contains 'deployment.apps/web rolled back' \
  k rollout undo deploy/web --to-revision=1
check "undo --to-revision rollout finishes" contains 'successfully rolled out' rollout deploy/web
check "back on 1.0" is 127.0.0.1:5000/busybox:1.0 deploy/web '{.spec.template.spec.containers[0].image}'
check "undo reused the old ReplicaSets" bash -c "[[ \$('$kubectl' get rs -l app=web --no-headers | wc -l) == 4 ]]"
check "revision 1 became 6" matches '^6 +first release$' k rollout history deploy/web
check "undo to the revision already live is skipped" contains \
  'skipped rollback (current template already matches revision 6)' \
  k rollout undo deploy/web --to-revision=6
check "and changes nothing" is 6 deploy/web '{.metadata.annotations.deployment\.kubernetes\.io/revision}'
check "pause" contains 'deployment.apps/web paused' k rollout pause deploy/web
check "a paused template change waits" bash -c \
  "'$kubectl' set image deploy/web app=127.0.0.1:5000/busybox:2.0 >/dev/null && sleep 1 && \
[[ \$('$kubectl' get rs -l app=web --no-headers | wc -l) == 4 ]]"
check "resume" contains 'deployment.apps/web resumed' k rollout resume deploy/web
check "resumed rollout finishes" contains 'successfully rolled out' rollout deploy/web
check "restart" contains 'deployment.apps/web restarted' k rollout restart deploy/web
check "restart rollout finishes" contains 'successfully rolled out' rollout deploy/web
check "restart stamped the template" matches '^[0-9]{4}-' \
  field deploy/web '{.spec.template.metadata.annotations.kubectl\.kubernetes\.io/restartedAt}'

# --- Foreground deletion: the owner waits for its dependents. ---------------------------
check "old pods gone" eventually 20 bash -c "[[ \$('$kubectl' get pods -l app=web --no-headers | wc -l) == 5 ]]"
hold_pod=$(k get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
check "a finalizer holds one pod" contains 'patched' \
  k patch pod "$hold_pod" --type=merge -p '{"metadata":{"finalizers":["example.com/hold"]}}'
check "delete --cascade=foreground" contains 'deployment.apps "web" deleted' \
  k delete deploy web --cascade=foreground --wait=false
check "the Deployment waits with the foregroundDeletion finalizer" eventually 10 \
  contains 'foregroundDeletion' field deploy/web '{.metadata.finalizers}'
check "its other pods went" eventually 20 bash -c \
  "[[ \$('$kubectl' get pods -l app=web --no-headers | wc -l) == 1 ]]"
check "the Deployment is still there" is web deploy/web '{.metadata.name}'
check "release the held pod" contains 'patched' \
  k patch pod "$hold_pod" --type=merge -p '{"metadata":{"finalizers":null}}'
check "then the Deployment goes" eventually 20 fails_with 'NotFound' k get deploy web

# --- DaemonSet: a pod on every node, one more when a node joins. --------------------------
cat >"$tmp/ds.yaml" <<'EOF'
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: a, image: 127.0.0.1:5000/busybox:1.0}]
EOF
check "apply a DaemonSet" contains 'daemonset.apps/agent created' k apply -f "$tmp/ds.yaml"
check "DaemonSet rollout status" contains 'daemon set "agent" successfully rolled out' rollout ds/agent
check "a pod on each of three nodes" matches '^agent +3 +3 +3 +3 +3 +<none> ' k get ds agent
check "one per node" bash -c \
  "[[ \$('$kubectl' get pods -l app=agent -o jsonpath='{.items[*].spec.nodeName}' | tr ' ' '\n' | sort -u | wc -l) == 3 ]]"
check "a fourth node joins" fake_nodes --count 1 --prefix extra- --first-index 3
check "the DaemonSet follows it" eventually 20 matches '^agent +4 +4 +4 +4 +4 ' k get ds agent
check "its pod is on the new node" matches '^agent-[a-z0-9]{5} +1/1 +Running ' \
  k get pods -l app=agent --field-selector spec.nodeName=extra-3
check "DaemonSet history" matches '^1 +<none>$' k rollout history ds/agent

# --- nodeSelector and node affinity. -------------------------------------------------------
check "a pod for disktype=ssd" contains 'pod/picky created' \
  k run picky --image=127.0.0.1:5000/busybox:1.0 --overrides='{"spec":{"nodeSelector":{"disktype":"ssd"}}}'
check "stays Pending" eventually 10 contains 'FailedScheduling' events_of picky
check "with upstream's FailedScheduling text" contains \
  "0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling." \
  events_of picky
check "still Pending" is Pending pod/picky '{.status.phase}'
check "label a node" contains 'node/fake-1 labeled' k label node fake-1 disktype=ssd
check "the pod schedules there" eventually 20 is fake-1 pod/picky '{.spec.nodeName}'
check "and runs" eventually 10 is Running pod/picky '{.status.phase}'
check "Scheduled event" contains 'Successfully assigned default/picky to fake-1' events_of picky
k label node fake-0 zone=blue >/dev/null
cat >"$tmp/affinity.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: required}
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: kubernetes.io/hostname, operator: In, values: [fake-2]}
  containers: [{name: c, image: 127.0.0.1:5000/busybox:1.0}]
---
apiVersion: v1
kind: Pod
metadata: {name: preferred}
spec:
  affinity:
    nodeAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        preference:
          matchExpressions:
          - {key: zone, operator: In, values: [blue]}
  containers: [{name: c, image: 127.0.0.1:5000/busybox:1.0}]
---
apiVersion: v1
kind: Pod
metadata: {name: nowhere}
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: zone, operator: NotIn, values: [blue]}
          - {key: kubernetes.io/hostname, operator: In, values: [fake-0]}
  containers: [{name: c, image: 127.0.0.1:5000/busybox:1.0}]
---
apiVersion: v1
kind: Pod
metadata: {name: huge}
spec:
  containers:
  - name: c
    image: 127.0.0.1:5000/busybox:1.0
    resources: {requests: {cpu: "64", memory: 1Ti}}
EOF
check "apply affinity pods" contains 'pod/required created' k apply -f "$tmp/affinity.yaml"
check "required affinity picks its node" eventually 20 is fake-2 pod/required '{.spec.nodeName}'
check "preferred affinity picks the blue node" eventually 20 is fake-0 pod/preferred '{.spec.nodeName}'
check "contradictory affinity stays Pending" eventually 10 contains \
  "0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector." events_of nowhere
check "requests that fit no node stay Pending" eventually 10 contains \
  "0/4 nodes are available: 4 Insufficient cpu, 4 Insufficient memory. preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod." \
  events_of huge
check "huge is Pending" is Pending pod/huge '{.status.phase}'
check "describe shows the event" matches 'Warning +FailedScheduling +[0-9a-z]+ +default-scheduler +0/4 nodes are available' \
  k describe pod huge

# --- Taints: NoSchedule avoided, tolerated and bypassed by nodeName; NoExecute evicts. ------
for n in fake-1 fake-2 extra-3; do k taint node "$n" dedicated=db:NoSchedule >/dev/null; done
check "taint shows on the node" contains 'dedicated=db:NoSchedule' k describe node fake-2
k run avoid --image=127.0.0.1:5000/busybox:1.0 >/dev/null
k run tolerant --image=127.0.0.1:5000/busybox:1.0 --overrides='{"spec":{"nodeSelector":{"kubernetes.io/hostname":"fake-1"},"tolerations":[{"key":"dedicated","operator":"Equal","value":"db","effect":"NoSchedule"}]}}' >/dev/null
k run pinned --image=127.0.0.1:5000/busybox:1.0 --overrides='{"spec":{"nodeName":"fake-2"}}' >/dev/null
k run intolerant --image=127.0.0.1:5000/busybox:1.0 --overrides='{"spec":{"nodeSelector":{"kubernetes.io/hostname":"fake-1"}}}' >/dev/null
check "an untolerating pod avoids the tainted nodes" eventually 20 is fake-0 pod/avoid '{.spec.nodeName}'
check "a tolerating pod lands on a tainted node" eventually 20 is fake-1 pod/tolerant '{.spec.nodeName}'
check "nodeName bypasses the scheduler and its taint check" eventually 20 is Running pod/pinned '{.status.phase}'
check "an untolerating pod with no other place stays Pending" eventually 10 contains \
  "0/4 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 3 node(s) had untolerated taint {dedicated: db}." \
  events_of intolerant
k run stays --image=127.0.0.1:5000/busybox:1.0 --overrides='{"spec":{"nodeName":"fake-0","tolerations":[{"key":"evict","operator":"Exists","effect":"NoExecute"}]}}' >/dev/null
k run lingers --image=127.0.0.1:5000/busybox:1.0 --overrides='{"spec":{"nodeName":"fake-0","tolerations":[{"key":"evict","operator":"Exists","effect":"NoExecute","tolerationSeconds":6}]}}' >/dev/null
check "pods on fake-0 run" eventually 20 is Running pod/lingers '{.status.phase}'
check "NoExecute taint" contains 'node/fake-0 tainted' k taint node fake-0 evict=now:NoExecute
check "evicts the pods that do not tolerate it" eventually 20 fails_with NotFound k get pod avoid
check "TaintManagerEviction event" contains 'Marking for deletion Pod default/avoid' \
  k get events --field-selector reason=TaintManagerEviction -o custom-columns=M:.message
check "a pod with tolerationSeconds stays a while" is Running pod/lingers '{.status.phase}'
check "then goes" eventually 20 fails_with NotFound k get pod lingers
check "a pod tolerating it for ever stays" is Running pod/stays '{.status.phase}'
check "the DaemonSet does not return to the NoExecute node" bash -c \
  "sleep 1; ! '$kubectl' get pods -l app=agent -o jsonpath='{.items[*].spec.nodeName}' | grep -qw fake-0"
check "untaint" contains 'node/fake-0 untainted' k taint node fake-0 evict=now:NoExecute-
check "the DaemonSet pod comes back" eventually 20 bash -c \
  "'$kubectl' get pods -l app=agent -o jsonpath='{.items[*].spec.nodeName}' | grep -qw fake-0"

# --- StatefulSet: pods in order, each waiting for the one before to be Ready. --------------
cat >"$tmp/sts.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      # Ready only when the test says so, to watch the ordering.
      readinessGates: [{conditionType: example.com/warm}]
      tolerations: [{operator: Exists}]
      containers: [{name: c, image: 127.0.0.1:5000/busybox:1.0}]
EOF
warm() {
  k patch pod "$1" --subresource=status --type=json \
    -p '[{"op":"add","path":"/status/conditions/-","value":{"type":"example.com/warm","status":"True"}}]'
}
pods_of_db() { k get pods -l app=db -o jsonpath='{.items[*].metadata.name}'; }
check "apply a StatefulSet" contains 'statefulset.apps/db created' k apply -f "$tmp/sts.yaml"
check "db-0 comes first" eventually 20 is Running pod/db-0 '{.status.phase}'
check "db-1 waits for db-0 to be Ready" bash -c "sleep 2; [[ \$('$kubectl' get pods -l app=db -o jsonpath='{.items[*].metadata.name}') == db-0 ]]"
check "db-0 Ready" contains 'patched' warm db-0
check "then db-1" eventually 20 is Running pod/db-1 '{.status.phase}'
check "and not yet db-2" bash -c "sleep 1; ! '$kubectl' get pod db-2 2>/dev/null"
check "db-1 Ready" contains 'patched' warm db-1
check "then db-2" eventually 20 is Running pod/db-2 '{.status.phase}'
check "db-2 Ready" contains 'patched' warm db-2
check "StatefulSet READY 3/3" eventually 20 matches '^db +3/3 ' k get sts db
check "stable hostname and subdomain" is 'db-1 db' pod/db-1 '{.spec.hostname} {.spec.subdomain}'
check "SuccessfulCreate events in order" bash -c \
  "'$kubectl' get events --field-selector involvedObject.name=db,reason=SuccessfulCreate --sort-by=.metadata.creationTimestamp -o custom-columns=M:.message --no-headers | tr '\n' '|' | \
grep -qx 'create Pod db-0 in StatefulSet db successful|create Pod db-1 in StatefulSet db successful|create Pod db-2 in StatefulSet db successful|'"

# --- Jobs. ---------------------------------------------------------------------------------
job_yaml batch 'completions: 3' 'parallelism: 2' >"$tmp/job.yaml"
check "apply a Job" contains 'job.batch/batch created' k apply -f "$tmp/job.yaml"
check "it completes" contains 'condition met' k wait --for=condition=complete job/batch --timeout=60s
check "COMPLETIONS 3/3" matches '^batch +Complete +3/3 ' k get job batch
check "three Completed pods" bash -c \
  "[[ \$('$kubectl' get pods -l job-name=batch --no-headers | grep -c Completed) == 3 ]]"
check "Completed event" contains 'Job completed' events_of batch

job_yaml brief 'ttlSecondsAfterFinished: 2' >"$tmp/brief.yaml"
check "a Job with ttlSecondsAfterFinished" contains 'job.batch/brief created' k create -f "$tmp/brief.yaml"
check "completes" contains 'condition met' k wait --for=condition=complete job/brief --timeout=60s
check "and is deleted 2 s later, with its pods" eventually 20 bash -c \
  "! '$kubectl' get job brief 2>/dev/null && [[ -z \$('$kubectl' get pods -l job-name=brief -o name) ]]"

# --- ResourceQuota usage, as kubectl get/describe quota show it. -----------------------------
check "a quota" contains 'created' k create ns quota
check "with hard limits" contains 'resourcequota/compute created' \
  k create quota compute -n quota --hard=pods=10,requests.cpu=4,limits.memory=8Gi,configmaps=5
check "two pods with requests and limits" contains 'created' \
  k create deploy sized -n quota --image=127.0.0.1:5000/busybox:1.0 --replicas=2
k set resources deploy sized -n quota --requests=cpu=250m --limits=memory=256Mi >/dev/null
check "get quota shows what is used" eventually 20 matches \
  '^compute +[0-9]+s +configmaps: 1/5, pods: 2/10, requests.cpu: 500m/4 +limits.memory: 512Mi/8Gi$' \
  k get quota -n quota
check "describe quota" matches '^requests.cpu +500m +4$' k describe quota compute -n quota

# The CronJob made at the start has had its minute.
check "the CronJob made a Job" eventually 75 contains 'Created job tick-' events_of tick
check "which completed" eventually 30 contains 'Saw completed job: tick-' events_of tick
check "LAST SCHEDULE is set" matches '^tick +\* \* \* \* \* +<none> +False +[01] +[0-9]+s ' k get cronjob tick
check "the Job belongs to the CronJob" bash -c \
  "'$kubectl' get jobs -o jsonpath='{.items[*].metadata.ownerReferences[0].name}' | grep -qw tick"
check "create job --from=cronjob" contains 'job.batch/by-hand created' k create job by-hand --from=cronjob/tick
check "runs to completion" contains 'condition met' k wait --for=condition=complete job/by-hand --timeout=60s

# --- Priority and preemption: a pod of a higher PriorityClass takes a lesser one's room. -----
check "the built-in classes" matches '^system-node-critical +2000001000 +false ' k get priorityclass
check "create two classes" bash -c "'$kubectl' create priorityclass low --value=10 >/dev/null &&
  '$kubectl' create priorityclass high --value=1000 --description='takes room' | grep -q created"
check "a second global default is refused" contains \
  'is already marked as default. Only one default can exist' bash -c \
  "'$kubectl' create priorityclass one --value=1 --global-default >/dev/null; '$kubectl' create priorityclass two --value=2 --global-default 2>&1"
k delete priorityclass one >/dev/null 2>&1
check "an unknown class is refused" contains 'no PriorityClass with name gold was found' \
  k run nogold --image=127.0.0.1:5000/busybox:1.0 --overrides='{"spec":{"priorityClassName":"gold"}}'
check "a node of 2 cpus joins" fake_nodes --count 1 --prefix prio- --cpu 2 --label pool=prio
prio_pod() {  # prio_pod NAME CLASS
  cat <<EOF2
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  priorityClassName: $2
  nodeSelector: {pool: prio}
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: 127.0.0.1:5000/busybox:1.0
    resources: {requests: {cpu: 1500m}}
EOF2
}
prio_pod filler low >"$tmp/filler.yaml"
prio_pod vip high >"$tmp/vip.yaml"
check "a low-priority pod fills the node" contains 'created' k apply -f "$tmp/filler.yaml"
check "it runs there" eventually 20 is Running pod/filler '{.status.phase}'
check "its priority comes from its class" is 10 pod/filler '{.spec.priority}'
check "a high-priority pod that needs the room" contains 'created' k apply -f "$tmp/vip.yaml"
check "runs on that node" eventually 30 is prio-0 pod/vip '{.spec.nodeName}'
check "nominated there first" is prio-0 pod/vip '{.status.nominatedNodeName}'
vip_uid=$(field pod/vip '{.metadata.uid}')
check "the victim was told why" eventually 10 contains "Preempted by pod $vip_uid on node prio-0" \
  events_of filler
check "and is gone" eventually 20 bash -c "! '$kubectl' get pod filler 2>/dev/null"
check "a pod of the same class does not preempt" bash -c \
  "sed 's/name: vip/name: peer/' '$tmp/vip.yaml' | '$kubectl' apply -f - | grep -q created"
check "it waits, no victims found" eventually 10 contains \
  'No preemption victims found for incoming pod' events_of peer
check "vip is still running" is Running pod/vip '{.status.phase}'
k delete pod vip peer --wait=false >/dev/null

# --- A node that stops posting status. ------------------------------------------------------
check "silence fake-2" contains 'annotated' k annotate node fake-2 fake.capstan.dev/silent=true
check "it goes NotReady" eventually 40 matches '^fake-2 +NotReady ' k get nodes
check "Ready is Unknown" is Unknown node/fake-2 '{.status.conditions[?(@.type=="Ready")].status}'
check "with the kubelet-stopped message" contains 'Kubelet stopped posting node status.' \
  field node/fake-2 '{.status.conditions[?(@.type=="Ready")].message}'
check "NodeNotReady event" contains 'Node fake-2 status is now: NodeNotReady' events_of fake-2
check "unreachable taints" bash -c \
  "'$kubectl' get node fake-2 -o jsonpath='{.spec.taints[*].effect}{\"/\"}{.spec.taints[*].key}' | grep -q 'NoExecute.*node.kubernetes.io/unreachable'"
check "its pods are no longer Ready" eventually 20 is False pod/required '{.status.conditions[?(@.type=="Ready")].status}'

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]] || { echo "--- server log (tail)"; tail -30 "$tmp/server.log"; }
[[ $failed -eq 0 ]]
