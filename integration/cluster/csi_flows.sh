#!/usr/bin/env bash
# CSI storage on `capstan up`, with the real kubectl: the hostPath driver registered with the
# kubelet (CSINode, CSIDriver), the default local-path class provisioning a claim where its
# pod goes, data surviving its pod, the kubelet killed and restarted under a pod using a
# volume (the mount keeps working, and goes with the pod; a pod deleted while the kubelet is
# down is cleaned up after it comes back), expansion, inline and generic ephemeral volumes,
# and the Delete policy removing the data with the claim. Then capstan-csi-nfs beside it,
# against nfs-ganesha on 127.0.0.1 through the FUSE mount: a claim provisioned as a
# templated subdirectory, written by one pod and read by another, removed or archived with
# its claim as onDelete says. Needs root.
# Usage: csi_flows.sh BIN_DIR FIXTURES_DIR [KUBECTL]
set -u
bin_dir=$1
fixtures=$2
kubectl=${3:-/usr/bin/kubectl}
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root"; exit 77; }
[[ -x "$kubectl" ]] || { echo "SKIP: $kubectl is not installed"; exit 77; }
tmp=$(mktemp -d /tmp/capstan-csi-test.XXXXXX)
data=$tmp/data
run=$tmp/run
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
node=capstan-csi-test
up_args=(--data-dir "$data" --run-dir "$run" --port "$(free_port)" --bind-address 127.0.0.1
  --node-name "$node" --node-ip 127.0.0.1 --manifests "$tmp/manifests"
  --kubelet-port "$(free_port)" --kubelet-healthz-port "$(free_port)" --timeout 90)
cleanup() {
  [[ -f "$tmp/nfs-driver.pid" ]] && kill "$(cat "$tmp/nfs-driver.pid")" 2>/dev/null
  "$bin_dir/capstan" down --data-dir "$data" --run-dir "$run" >/dev/null 2>&1
  bash "$fixtures/ganesha.sh" stop "$tmp/ganesha" >/dev/null 2>&1
  bash "$fixtures/registry.sh" stop "$tmp/registry" >/dev/null 2>&1
  grep -o " $tmp[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
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
driver=hostpath.csi.capstan.io
volumes=$data/storage/hostpath/volumes

check "capstan up" contains "node $node is Ready" "$bin_dir/capstan" up "${up_args[@]}"
export KUBECONFIG=$data/server/admin.kubeconfig
check "the driver registers with the kubelet: CSINode" eventually 30 bash -c \
  "[[ \$('$kubectl' get csinode $node -o jsonpath='{.spec.drivers[0].name}/{.spec.drivers[0].nodeID}/{.spec.drivers[0].topologyKeys[0]}') == '$driver/$node/topology.hostpath.csi/node' ]]"
check "the node carries its topology label" eventually 10 bash -c \
  "[[ \$('$kubectl' get node $node -o jsonpath='{.metadata.labels.topology\.hostpath\.csi/node}') == '$node' ]]"
check "the CSIDriver object: no attach, pod info on mount" eventually 10 bash -c \
  "[[ \$('$kubectl' get csidriver $driver -o jsonpath='{.spec.attachRequired}/{.spec.podInfoOnMount}/{.spec.fsGroupPolicy}') == 'false/true/File' ]]"
check "local-path is the default class" matches "^local-path \(default\) +$driver +Delete +WaitForFirstConsumer +true" k get sc

# pod NAME CLAIM COMMAND: a pod with the claim at /data.
pod() {
  cat >"$tmp/$1.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  securityContext: {fsGroup: 2000}
  containers:
  - {name: c, image: $registry/busybox:latest, command: [sh, -c, "$3"], volumeMounts: [{name: d, mountPath: /data}]}
  volumes: [{name: d, persistentVolumeClaim: {claimName: $2}}]
EOF
}
cat >"$tmp/claim.yaml" <<EOF
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 100Mi}}
EOF
check "a claim of the default class" contains 'created' k apply -f "$tmp/claim.yaml"
check "waits for its first consumer" eventually 20 bash -c \
  "'$kubectl' describe pvc data | grep -q 'waiting for first consumer to be created before binding'"
pod writer data 'echo from-writer > /data/note; ls -ln /data/note'
check "a pod using it" contains 'created' k apply -f "$tmp/writer.yaml"
check "the claim is provisioned and bound" eventually 60 matches '^data +Bound +pvc-[0-9a-f-]+ +100Mi +RWO +local-path ' k get pvc data
pv=$(k get pvc data -o jsonpath='{.spec.volumeName}')
check "the volume is the driver's, pinned to the node" contains "$driver/$node" \
  k get pv "$pv" -o jsonpath='{.spec.csi.driver}/{.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}'
check "the provisioner's events" eventually 10 bash -c \
  "'$kubectl' describe pvc data | grep -q 'Successfully provisioned volume $pv'"
check "the writer completes" eventually 60 bash -c "'$kubectl' get pod writer | grep -q Completed"
check "its file is in the driver's volume, group fsGroup" bash -c \
  "'$kubectl' logs writer | grep -Eq ' 2000 .*/data/note'"
handle=$(k get pv "$pv" -o jsonpath='{.spec.csi.volumeHandle}')
check "on the node, under the driver's root" bash -c "[[ \$(cat '$volumes/$handle/note') == from-writer ]]"
check "delete the writer" contains 'deleted' k delete pod writer
check "its publish and stage are undone" eventually 30 bash -c "! grep -q ' $data/kubelet/p[^ ]*' /proc/mounts"

pod holder data 'while true; do date >> /data/log; sleep 1; done'
check "a pod that keeps writing" contains 'created' k apply -f "$tmp/holder.yaml"
check "it runs" eventually 60 bash -c "'$kubectl' get pod holder | grep -q Running"
holder_uid=$(k get pod holder -o jsonpath='{.metadata.uid}')
target=$data/kubelet/pods/$holder_uid/volumes/kubernetes.io~csi/$pv/mount
check "its volume is published at upstream's path" bash -c "grep -q ' $target ' /proc/mounts"
check "and staged at the global path" bash -c "grep -q ' $data/kubelet/plugins/kubernetes.io/csi/$driver/[0-9a-f]*/globalmount ' /proc/mounts"
kubelet_pid=$(pgrep -f -- "capstan-kubelet .*$data" | head -1)
check "kill the kubelet" kill -9 "$kubelet_pid"
lines=$(wc -l <"$volumes/$handle/log")
sleep 3
check "the pod keeps writing with the kubelet gone" bash -c "(( \$(wc -l <'$volumes/$handle/log') > $lines ))"
check "capstan up brings the kubelet back" contains "node $node is Ready" "$bin_dir/capstan" up "${up_args[@]}"
check "the mount is still there" bash -c "grep -q ' $target ' /proc/mounts"
lines=$(wc -l <"$volumes/$handle/log")
check "and still works" eventually 10 bash -c "(( \$(wc -l <'$volumes/$handle/log') > $lines ))"
check "delete the holder" contains 'deleted' k delete pod holder
check "its mounts go with it" eventually 30 bash -c "! grep -q ' $data/kubelet/p[^ ]*' /proc/mounts"

pod reader data 'cat /data/note'
check "a second pod" contains 'created' k apply -f "$tmp/reader.yaml"
check "reads what the first wrote" eventually 60 bash -c "'$kubectl' logs reader 2>/dev/null | grep -qx from-writer"
check "delete the reader" contains 'deleted' k delete pod reader

# A pod deleted while the kubelet is down: the restarted kubelet finds its volume by what it
# recorded and unpublishes it.
pod orphan data 'sleep 3600'
check "a pod to orphan" contains 'created' k apply -f "$tmp/orphan.yaml"
check "it runs" eventually 60 bash -c "'$kubectl' get pod orphan | grep -q Running"
orphan_uid=$(k get pod orphan -o jsonpath='{.metadata.uid}')
check "kill the kubelet again" kill -9 "$(pgrep -f -- "capstan-kubelet .*$data" | head -1)"
check "force-delete the pod meanwhile" contains 'deleted' k delete pod orphan --force --grace-period=0
check "its volume is still mounted" bash -c "grep -q ' $data/kubelet/pods/$orphan_uid/' /proc/mounts"
check "the kubelet comes back" contains "node $node is Ready" "$bin_dir/capstan" up "${up_args[@]}"
check "and unpublishes the orphan's volume" eventually 60 bash -c \
  "! grep -q ' $data/kubelet/p[^ ]*' /proc/mounts && [[ ! -e '$data/kubelet/pods/$orphan_uid' ]]"

check "grow the claim" contains 'patched' k patch pvc data -p '{"spec":{"resources":{"requests":{"storage":"200Mi"}}}}'
check "it is expanded" eventually 30 matches '^data +Bound +pvc-[0-9a-f-]+ +200Mi ' k get pvc data
check "and its volume" eventually 10 contains '200Mi' k get pv "$pv" -o jsonpath='{.spec.capacity.storage}'

cat >"$tmp/inline.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: inline}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: $registry/busybox:latest, command: [sh, -c, "echo hi > /scratch/f; sleep 3600"], volumeMounts: [{name: scratch, mountPath: /scratch}]}
  volumes: [{name: scratch, csi: {driver: $driver}}]
EOF
check "a pod with an inline CSI volume" contains 'created' k apply -f "$tmp/inline.yaml"
check "it runs" eventually 60 bash -c "'$kubectl' get pod inline | grep -q Running"
check "its volume is the driver's" eventually 10 bash -c "ls '$volumes'/csi-*/f"
check "delete it" contains 'deleted' k delete pod inline
check "its inline volume is gone" eventually 30 bash -c "! ls -d '$volumes'/csi-* 2>/dev/null | grep -q ."

cat >"$tmp/generic.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: generic}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: $registry/busybox:latest, command: [sh, -c, "echo hi > /scratch/f; sleep 3600"], volumeMounts: [{name: scratch, mountPath: /scratch}]}
  volumes:
  - name: scratch
    ephemeral:
      volumeClaimTemplate:
        spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Mi}}}
EOF
check "a pod with a generic ephemeral volume" contains 'created' k apply -f "$tmp/generic.yaml"
check "its claim is made for it and bound" eventually 60 matches '^generic-scratch +Bound ' k get pvc generic-scratch
check "it runs" eventually 60 bash -c "'$kubectl' get pod generic | grep -q Running"
generic_pv=$(k get pvc generic-scratch -o jsonpath='{.spec.volumeName}')
check "delete it" contains 'deleted' k delete pod generic
check "its claim goes with it" eventually 60 bash -c "! '$kubectl' get pvc generic-scratch >/dev/null 2>&1"
check "and the volume" eventually 30 bash -c "! '$kubectl' get pv $generic_pv >/dev/null 2>&1"

check "delete the claim" contains 'deleted' k delete pvc data --timeout=60s
check "its Delete volume goes" eventually 30 bash -c "! '$kubectl' get pv $pv >/dev/null 2>&1"
check "and the data with it" bash -c "[[ ! -e '$volumes/$handle' ]]"

# NFS: ganesha on a free port of 127.0.0.1, capstan-csi-nfs registered with the kubelet
# (this kernel has no NFS client, so it mounts through capstan-nfs-fuse).
if [[ -x /usr/bin/ganesha.nfsd && -e /dev/fuse ]]; then
  nfs_options=$(CAPSTAN_GANESHA_WATCH_PID=$$ bash "$fixtures/ganesha.sh" start "$tmp/ganesha")
  share=$tmp/ganesha/export
  "$bin_dir/capstan-csi-nfs" --endpoint "unix://$data/kubelet/plugins/nfs.csi.capstan.io/csi.sock" \
    --state-dir "$data/storage/nfs" --node-id "$node" --mount fuse \
    --registration-dir "$data/kubelet/plugins_registry" --kubeconfig "$KUBECONFIG" \
    >"$tmp/nfs-driver.log" 2>&1 &
  echo $! >"$tmp/nfs-driver.pid"
  check "the NFS driver registers too" eventually 30 bash -c \
    "'$kubectl' get csinode $node -o jsonpath='{.spec.drivers[*].name}' | grep -q nfs.csi.capstan.io"
  cat >"$tmp/nfs-class.yaml" <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: nfs}
provisioner: nfs.csi.capstan.io
parameters: {server: 127.0.0.1, share: $share, subDir: '\${pvc.metadata.namespace}/\${pvc.metadata.name}', onDelete: delete}
mountOptions: [$nfs_options]
reclaimPolicy: Delete
volumeBindingMode: Immediate
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: nfs-archive}
provisioner: nfs.csi.capstan.io
parameters: {server: 127.0.0.1, share: $share, onDelete: archive}
mountOptions: [$nfs_options]
reclaimPolicy: Delete
EOF
  cat >"$tmp/nfs-claims.yaml" <<EOF
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: shared}
spec:
  storageClassName: nfs
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: kept}
spec:
  storageClassName: nfs-archive
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 1Gi}}
EOF
  check "NFS classes" contains 'created' k apply -f "$tmp/nfs-class.yaml"
  check "NFS claims" contains 'created' k apply -f "$tmp/nfs-claims.yaml"
  check "are provisioned and bound" eventually 60 bash -c \
    "[[ \$('$kubectl' get pvc shared kept -o jsonpath='{.items[*].status.phase}') == 'Bound Bound' ]]"
  check "as the templated subdirectory of the share" bash -c "[[ -d '$share/default/shared' ]]"
  pod nfs-writer shared 'echo over-nfs > /data/note; sync'
  check "a pod writes to the NFS claim" contains 'created' k apply -f "$tmp/nfs-writer.yaml"
  check "it completes" eventually 90 bash -c "'$kubectl' get pod nfs-writer | grep -q Completed"
  check "through FUSE: the file is on the server" bash -c "[[ \$(cat '$share/default/shared/note') == over-nfs ]]"
  check "delete the NFS writer" contains 'deleted' k delete pod nfs-writer
  pod nfs-reader shared 'cat /data/note'
  check "another pod" contains 'created' k apply -f "$tmp/nfs-reader.yaml"
  check "reads it" eventually 90 bash -c "'$kubectl' logs nfs-reader 2>/dev/null | grep -qx over-nfs"
  check "delete the NFS reader" contains 'deleted' k delete pod nfs-reader
  check "no FUSE mount is left" eventually 30 bash -c "! grep -q 'fuse.capstan-nfs' /proc/mounts"
  kept_pv=$(k get pvc kept -o jsonpath='{.spec.volumeName}')
  check "delete the NFS claims" contains 'deleted' k delete pvc shared kept --timeout=60s
  check "onDelete delete removes the directory" eventually 30 bash -c "[[ ! -e '$share/default/shared' ]]"
  check "onDelete archive keeps it, renamed" eventually 30 bash -c "[[ -d '$share/archived-$kept_pv' ]]"
  kill "$(cat "$tmp/nfs-driver.pid")"
else
  echo "SKIP (part): nfs-ganesha or /dev/fuse missing; the NFS flow did not run"
fi

check "capstan down" contains 'capstan is down' "$bin_dir/capstan" down --data-dir "$data" --run-dir "$run"
check "no driver of this data dir runs" bash -c "! pgrep -f -- 'capstan-csi-(hostpath).*$data' >/dev/null"
check "no mounts under the data dir" bash -c "! grep -q '$tmp' /proc/mounts"

echo "$passed passed, $failed failed"
((failed == 0))
