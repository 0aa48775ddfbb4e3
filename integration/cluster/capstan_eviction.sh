#!/bin/bash
# Node-pressure eviction on `capstan up`: with evictionHard memory.available set just below
# what this machine has free, a BestEffort pod that takes 3 GB is evicted with upstream's
# reason, message and event, the node reports MemoryPressure and is tainted for it, new
# pods are kept off it (by the scheduler, and by the kubelet's admission), and a
# Guaranteed pod stays.
# Needs root and 6 GiB free memory.
# Usage: capstan_eviction.sh BIN_DIR FIXTURES_DIR [KUBECTL]
set -u
bin_dir=$1
fixtures=$2
kubectl=${3:-/usr/bin/kubectl}
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root"; exit 77; }
[[ -x "$kubectl" ]] || { echo "SKIP: $kubectl is not installed"; exit 77; }

# memory.available as the kubelet computes it: capacity minus the root cgroup's working set
# (usage - inactive_file) on cgroup v1, MemTotal - MemFree + Inactive(file) otherwise.
available_mi=$(python3 - <<'PY'
import os
mem = {l.split(':')[0]: int(l.split()[1]) * 1024 for l in open('/proc/meminfo')}
root = '/sys/fs/cgroup/memory'
if os.path.exists(root + '/memory.usage_in_bytes'):
    usage = int(open(root + '/memory.usage_in_bytes').read())
    stat = dict(l.split() for l in open(root + '/memory.stat'))
    ws = usage - int(stat.get('total_inactive_file', 0))
else:
    ws = mem['MemTotal'] - mem['MemFree'] - mem.get('Inactive(file)', 0)
print((mem['MemTotal'] - ws) // (1024 * 1024))
PY
)
((available_mi >= 6144)) || { echo "SKIP: only ${available_mi}Mi available"; exit 77; }
# 1.5 GiB of headroom for the daemons and the page cache; the 3 GB pod goes past it.
threshold_mi=$((available_mi - 1536))

tmp=$(mktemp -d /tmp/capstan-eviction-test.XXXXXX)
data=$tmp/data
run=$tmp/run
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
node=capstan-eviction-test
cat >"$tmp/kubelet.yaml" <<CONFIG
evictionHard: {memory.available: "${threshold_mi}Mi"}
evictionPressureTransitionPeriod: 60s
CONFIG
up_args=(--data-dir "$data" --run-dir "$run" --port "$(free_port)" --bind-address 127.0.0.1
  --node-name "$node" --node-ip 127.0.0.1 --manifests "$tmp/manifests"
  --kubelet-port "$(free_port)" --kubelet-healthz-port "$(free_port)" --timeout 90
  --kubelet-config "$tmp/kubelet.yaml")
cleanup() {
  "$bin_dir/capstan" down --data-dir "$data" --run-dir "$run" >/dev/null 2>&1
  bash "$fixtures/registry.sh" stop "$tmp/registry" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

cache=${CAPSTAN_FIXTURE_CACHE:-$bin_dir/../fixture-cache}/busybox
bash "$fixtures/build-busybox-image.sh" "$cache" >/dev/null || exit 1
registry=$(CAPSTAN_REGISTRY_WATCH_PID=$$ bash "$fixtures/registry.sh" start "$tmp/registry" | head -1)
bash "$fixtures/registry.sh" push "$tmp/registry" "$cache/busybox-oci" busybox:latest >/dev/null || exit 1
up_args+=(--insecure-registry "$registry")

source "$(dirname "$0")/../lib/checks.sh"
k() { "$kubectl" "$@"; }

check "capstan up with an eviction threshold of ${threshold_mi}Mi" contains "node $node is Ready" \
  "$bin_dir/capstan" up "${up_args[@]}"
export KUBECONFIG=$data/server/admin.kubeconfig
check "the kubelet runs with it" contains "${threshold_mi}Mi" cat "$data/kubelet/config.yaml"

cat >"$tmp/steady.yaml" <<POD
apiVersion: v1
kind: Pod
metadata: {name: steady, namespace: default}
spec:
  nodeName: $node
  containers:
  - name: c
    image: $registry/busybox:latest
    command: [sleep, '3600']
    resources:
      requests: {cpu: 100m, memory: 64Mi}
      limits: {cpu: 100m, memory: 64Mi}
POD
check "a Guaranteed pod" contains 'created' k apply -f "$tmp/steady.yaml"
check "it runs" eventually 60 bash -c "'$kubectl' get pod steady | grep -q Running"
check "no memory pressure yet" matches '^False$' \
  k get node "$node" -o jsonpath='{.status.conditions[?(@.type=="MemoryPressure")].status}'

cat >"$tmp/hog.yaml" <<POD
apiVersion: v1
kind: Pod
metadata: {name: hog, namespace: default}
spec:
  nodeName: $node
  containers:
  - name: eat
    image: $registry/busybox:latest
    command: [sh, -c, 'x=\$(head -c 3000000000 /dev/zero | tr "\\\\0" a); sleep 3600']
POD
check "a BestEffort pod that takes 3 GB" contains 'created' k apply -f "$tmp/hog.yaml"
check "it is evicted" eventually 180 bash -c \
  "[[ \$('$kubectl' get pod hog -o jsonpath='{.status.phase} {.status.reason}') == 'Failed Evicted' ]]"
check "with upstream's message" matches \
  '^The node was low on resource: memory\. Threshold quantity: [0-9]+Mi, available: [0-9]+Ki\. Container eat was using [0-9]+Ki, request is 0, has larger consumption of memory\. $' \
  k get pod hog -o jsonpath='{.status.message}'
# (kubectl get shows the killed container's reason, Error, as upstream's printer does.)
check "kubectl describe shows it Evicted" matches '^Reason: +Evicted$' k describe pod hog
check "an Evicted event" contains 'The node was low on resource: memory' \
  k get events --field-selector involvedObject.name=hog,reason=Evicted
check "the node reports MemoryPressure" eventually 60 bash -c \
  "[[ \$('$kubectl' get node $node -o jsonpath='{.status.conditions[?(@.type==\"MemoryPressure\")].status}') == True ]]"
check "the Guaranteed pod stays" matches '^steady +1/1 +Running ' k get pod steady --no-headers
# While the condition holds (the transition period): the node is tainted, the scheduler
# keeps new pods off it, and the kubelet refuses a BestEffort pod bound to it directly.
check "capstan-server taints the node memory-pressure:NoSchedule" eventually 30 bash -c \
  "'$kubectl' get node $node -o jsonpath='{range .spec.taints[*]}{.key}:{.effect}{\"\\n\"}{end}' | grep -qx node.kubernetes.io/memory-pressure:NoSchedule"
sed -e 's/name: hog/name: late/' -e 's/sh, -c, .*$/sleep, "3600"]/' "$tmp/hog.yaml" >"$tmp/late.yaml"
check "a BestEffort pod bound to the node" contains 'created' k apply -f "$tmp/late.yaml"
check "is refused by the kubelet under MemoryPressure" eventually 30 bash -c \
  "[[ \$('$kubectl' get pod late -o jsonpath='{.status.phase} {.status.reason} {.status.message}') == 'Failed Evicted Pod was rejected: The node had condition: [MemoryPressure]. ' ]]"
sed -e 's/name: late/name: waiting/' -e '/nodeName:/d' "$tmp/late.yaml" >"$tmp/waiting.yaml"
check "a pod left to the scheduler" contains 'created' k apply -f "$tmp/waiting.yaml"
check "waits: the node's taint is not tolerated" eventually 30 bash -c \
  "'$kubectl' get pod waiting -o jsonpath='{.status.conditions[?(@.type==\"PodScheduled\")].message}' | grep -q 'node.kubernetes.io/memory-pressure'"
check "after the transition period, no pressure" eventually 120 bash -c \
  "[[ \$('$kubectl' get node $node -o jsonpath='{.status.conditions[?(@.type==\"MemoryPressure\")].status}') == False ]]"
check "and the Guaranteed pod still runs" matches '^steady +1/1 +Running ' k get pod steady --no-headers
check "the taint is gone" eventually 30 bash -c \
  "! '$kubectl' get node $node -o jsonpath='{.spec.taints[*].key}' | grep -q memory-pressure"
check "and the waiting pod is scheduled and runs" eventually 90 bash -c \
  "'$kubectl' get pod waiting --no-headers | grep -Eq '^waiting +1/1 +Running '"

echo "$passed passed, $failed failed"
if ((failed > 0)); then
  for d in kubelet; do
    echo "--- $d log (tail)"
    tail -25 "$data/logs/$d.log" 2>/dev/null
  done
  exit 1
fi
