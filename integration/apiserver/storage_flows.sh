#!/bin/bash
# PersistentVolumes and claims through the real kubectl, on capstan-server with a fake node:
# binding by size, a claim Pending until a fitting volume appears, the protection that
# keeps a claim in use and a bound volume, reclaim by Retain and Delete (the data of a
# hostPath volume under /tmp goes), and the default StorageClass. No root needed.
# Usage: storage_flows.sh BIN_DIR KUBECTL
set -u
bin_dir=$1
kubectl=$2
[[ -x "$kubectl" ]] || { echo "SKIP: $kubectl is not installed"; exit 77; }
tmp=$(mktemp -d /tmp/capstan-storage-flows.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

source "$(dirname "$0")/../lib/server.sh"
start_server || exit 1

source "$(dirname "$0")/../lib/checks.sh"
k() { "$kubectl" "$@"; }
field() { k get "$1" -o jsonpath="$2" 2>&1; }
is() { [[ "$(field "$2" "$3")" == "$1" ]] || { echo "got: $(field "$2" "$3")"; return 1; }; }
events_of() {
  k get events --field-selector "involvedObject.name=$1" \
    -o custom-columns=REASON:.reason,MESSAGE:.message --no-headers
}
gone() { ! k get "$1" >/dev/null 2>&1; }

"$bin_dir/capstan-fake-nodes" --kubeconfig "$KUBECONFIG" --count 2 --prefix disk- \
  >"$tmp/fake-nodes.log" 2>&1 &
pids+=($!)

# pv NAME SIZE POLICY: a hostPath volume whose directory holds a file.
pv() {
  mkdir -p "$tmp/$1" && echo "kept" >"$tmp/$1/data.txt"
  cat <<EOF
apiVersion: v1
kind: PersistentVolume
metadata: {name: $1, labels: {type: local}}
spec:
  capacity: {storage: $2}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: $3
  hostPath: {path: $tmp/$1}
EOF
}
# pvc NAME SIZE [EXTRA_SPEC_LINE]
pvc() {
  cat <<EOF
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: $1}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: $2}}
  ${3:-}
EOF
}

# --- A volume and a claim bind; the smallest that fits is taken. --------------------------
{ pv pv-small 1Gi Delete; echo ---; pv pv-large 10Gi Retain; } >"$tmp/volumes.yaml"
check "create two volumes" matches '^persistentvolume/pv-large created' k apply -f "$tmp/volumes.yaml"
check "they are Available" eventually 20 matches '^pv-small +1Gi +RWO +Delete +Available ' k get pv
check "a claim of 500Mi" contains 'persistentvolumeclaim/data created' \
  bash -c "$(declare -f pvc); pvc data 500Mi | '$kubectl' apply -f -"
check "binds to the smaller volume" eventually 20 matches '^data +Bound +pv-small +1Gi +RWO ' k get pvc
check "get pv shows the claim" matches '^pv-small +1Gi +RWO +Delete +Bound +default/data ' k get pv
check "the larger one is still Available" matches '^pv-large +10Gi +RWO +Retain +Available ' k get pv
check "the claim carries the protection finalizer" is kubernetes.io/pvc-protection pvc/data \
  '{.metadata.finalizers[0]}'
check "describe pvc" matches '^Volume: +pv-small$' k describe pvc data

# --- A claim nothing fits stays Pending until a volume that fits appears. -----------------
check "a claim of 20Gi" contains 'created' bash -c "$(declare -f pvc); pvc huge 20Gi | '$kubectl' apply -f -"
check "stays Pending" eventually 10 matches '^huge +Pending ' k get pvc huge
check "saying why" eventually 10 contains \
  'no persistent volumes available for this claim and no storage class is set' events_of huge
check "a volume of 20Gi appears" contains 'created' bash -c "$(declare -f pv); pv pv-huge 20Gi Retain | '$kubectl' apply -f -"
check "the claim binds to it" eventually 20 matches '^huge +Bound +pv-huge +20Gi ' k get pvc huge

# --- Protection: a claim in use and a bound volume outlive their deletion. ----------------
cat >"$tmp/user.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: user}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: 127.0.0.1:5000/busybox:1.0, volumeMounts: [{name: d, mountPath: /data}]}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
EOF
check "a pod uses the claim" contains 'pod/user created' k apply -f "$tmp/user.yaml"
check "it runs" eventually 30 is Running pod/user '{.status.phase}'
k delete pvc data --wait=false >/dev/null
check "the deleted claim is Terminating while in use" eventually 10 matches '^data +Terminating +pv-small ' \
  k get pvc data
check "deleting a bound volume leaves it Terminating" bash -c \
  "'$kubectl' delete pv pv-huge --wait=false >/dev/null && sleep 1 && '$kubectl' get pv pv-huge | grep -Eq 'Terminating'"
check "the pod goes" contains 'deleted' k delete pod user --timeout=30s
check "then the claim goes" eventually 20 gone pvc/data

# --- Reclaim: Delete removes the volume and its data; Retain keeps them, Released. --------
check "the Delete volume goes" eventually 20 gone pv/pv-small
check "with its data" bash -c "[[ ! -e '$tmp/pv-small' ]]"
check "a claim names the Retain volume" contains 'created' \
  bash -c "$(declare -f pvc); pvc keep 1Gi 'volumeName: pv-large' | '$kubectl' apply -f -"
check "bound by name" eventually 20 matches '^keep +Bound +pv-large ' k get pvc keep
check "delete that claim" contains 'deleted' k delete pvc keep
check "the Retain volume is Released" eventually 20 matches '^pv-large +10Gi +RWO +Retain +Released +default/keep ' k get pv
check "its data is kept" bash -c "[[ \$(cat '$tmp/pv-large/data.txt') == kept ]]"
check "a new claim does not take a Released volume" contains 'created' \
  bash -c "$(declare -f pvc); pvc again 1Gi | '$kubectl' apply -f -"
check "and waits" eventually 10 matches '^again +Pending ' k get pvc again
cat >"$tmp/waiter.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: waiter}
spec:
  containers: [{name: c, image: 127.0.0.1:5000/busybox:1.0}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: again}}]
EOF
check "a pod of the unbound claim" contains 'created' k apply -f "$tmp/waiter.yaml"
check "is not scheduled, saying why" eventually 10 contains \
  'pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.' \
  events_of waiter
k delete pod waiter --wait=false >/dev/null
check "the claim bound to the deleted volume" contains 'deleted' k delete pvc huge --timeout=20s
check "lets the volume go" eventually 20 gone pv/pv-huge

# --- Local volumes: WaitForFirstConsumer binds where the pod can use the volume. -----------
cat >"$tmp/local.yaml" <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: local-storage}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: local-1}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: local-storage
  local: {path: $tmp/local-1}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [disk-1]}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: local-claim}
spec:
  storageClassName: local-storage
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: local-user}
spec:
  containers: [{name: c, image: 127.0.0.1:5000/busybox:1.0}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: local-claim}}]
EOF
check "a class, a local volume on disk-1 and a claim" contains 'persistentvolumeclaim/local-claim created' \
  k apply -f <(sed -n '1,/^kind: Pod$/p' "$tmp/local.yaml" | head -n -2)
check "get sc shows WaitForFirstConsumer" matches '^local-storage +kubernetes.io/no-provisioner +Delete +WaitForFirstConsumer ' k get sc
check "the claim waits for its first consumer" eventually 10 contains \
  'waiting for first consumer to be created before binding' events_of local-claim
check "still Pending" matches '^local-claim +Pending ' k get pvc local-claim
check "a pod of the claim" contains 'pod/local-user created' k apply -f "$tmp/local.yaml"
check "goes to the volume's node" eventually 20 is disk-1 pod/local-user '{.spec.nodeName}'
check "and the claim binds to the local volume" eventually 20 matches '^local-claim +Bound +local-1 ' k get pvc local-claim

cat >"$tmp/pinned.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: pinned}
spec:
  nodeSelector: {kubernetes.io/hostname: disk-0}
  containers: [{name: c, image: 127.0.0.1:5000/busybox:1.0}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: local-claim}}]
EOF
check "a pod of that claim held to disk-0" contains 'created' k apply -f "$tmp/pinned.yaml"
check "cannot go anywhere, for the volume's affinity" eventually 10 contains \
  '0/2 nodes are available: 1 node(s) didn'"'"'t match Pod'"'"'s node affinity/selector, 1 node(s) had volume node affinity conflict.' \
  events_of pinned
k delete pod pinned --wait=false >/dev/null

# --- The default StorageClass. -------------------------------------------------------------
cat >"$tmp/class.yaml" <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: example.com/elsewhere
EOF
check "a default StorageClass" contains 'created' k apply -f "$tmp/class.yaml"
check "get sc marks it (default)" matches '^standard \(default\) +example.com/elsewhere +Delete +Immediate ' k get sc
check "a claim without a class" contains 'created' bash -c "$(declare -f pvc); pvc dyn 1Gi | '$kubectl' apply -f -"
check "gets the default class" is standard pvc/dyn '{.spec.storageClassName}'
check "and waits for its provisioner" eventually 10 contains \
  "Waiting for a volume to be created either by the external provisioner 'example.com/elsewhere'" events_of dyn

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]] || { echo "--- server log (tail)"; tail -30 "$tmp/server.log"; }
[[ $failed -eq 0 ]]
