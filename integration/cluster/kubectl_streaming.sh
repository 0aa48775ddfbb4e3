#!/usr/bin/env bash
# kubectl exec, attach, cp and port-forward through capstan-server, the kubelet and
# capstan-cri's streaming server, for every kubectl version installed (1.27 to 1.33: the
# newer ones try WebSocket first). Needs root (containers, CNI).
# Usage: kubectl_streaming.sh BIN_DIR FIXTURES_DIR
set -u
bin_dir=$1
fixtures=$2
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root"; exit 77; }
kubectls=()
for k in /usr/lib/google-cloud-sdk/bin/kubectl.1.* /usr/bin/kubectl; do
  [[ -x $k ]] && kubectls+=("$k")
done
((${#kubectls[@]} > 0)) || { echo "SKIP: no kubectl installed"; exit 77; }
tmp=$(mktemp -d /tmp/capstan-streaming-test.XXXXXX)
data=$tmp/data
run=$tmp/run
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
node=capstan-stream-test
up_args=(--data-dir "$data" --run-dir "$run" --port "$port" --bind-address 127.0.0.1
  --node-name "$node" --node-ip 127.0.0.1 --manifests "$tmp/manifests"
  --kubelet-port "$(free_port)" --kubelet-healthz-port "$(free_port)" --timeout 90)
cleanup() {
  jobs -p | xargs -r kill 2>/dev/null
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
check "capstan up" contains "node $node is Ready" "$bin_dir/capstan" up "${up_args[@]}"
export KUBECONFIG=$data/server/admin.kubeconfig
cat >"$tmp/pod.yaml" <<POD
apiVersion: v1
kind: Pod
metadata: {name: shell, namespace: default}
spec:
  nodeName: $node
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: $registry/busybox:latest
    command: [sh, -c, 'mkdir -p /www && echo served-by-the-pod > /www/index.html && httpd -p 8080 -h /www && exec sleep 3600']
  - name: talker
    image: $registry/busybox:latest
    stdin: true
    command: [sh, -c, 'while read l; do echo "heard \$l"; done']
POD
kubectl=${kubectls[-1]}
check "apply a pod" contains 'pod/shell created' "$kubectl" apply -f "$tmp/pod.yaml"
check "it runs" eventually 60 bash -c "'$kubectl' get pod shell | grep -Eq ' 2/2 +Running '"
head -c $((10 << 20)) /dev/urandom >"$tmp/ten-mib"
want_digest=$(sha256sum <"$tmp/ten-mib" | cut -d' ' -f1)

for kubectl in "${kubectls[@]}"; do
  v=$("$kubectl" version --client -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])')
  k() { "$kubectl" "$@"; }
  check "$v: exec prints the command's output" contains 'hello from exec' \
    k exec shell -c web -- echo hello from exec
  check "$v: exec -- false exits 1" bash -c "'$kubectl' exec shell -c web -- false; [ \$? -eq 1 ]"
  check "$v: exec passes the exit code on" bash -c "'$kubectl' exec shell -c web -- sh -c 'exit 7'; [ \$? -eq 7 ]"
  check "$v: exec -i pipes stdin" contains 'PIPED' \
    bash -c "echo piped | '$kubectl' exec -i shell -c web -- tr a-z A-Z"
  check "$v: exec -it has a terminal" contains '/dev/pts/' \
    script -qec "'$kubectl' exec -it shell -c web -- tty" /dev/null
  check "$v: cp into the pod" bash -c "'$kubectl' cp '$tmp/ten-mib' shell:/tmp/ten-mib -c web"
  check "$v: the file arrived whole" contains "$want_digest" \
    k exec shell -c web -- sha256sum /tmp/ten-mib
  rm -f "$tmp/back"
  check "$v: cp out of the pod" bash -c "'$kubectl' cp shell:/tmp/ten-mib '$tmp/back' -c web"
  check "$v: and it came back whole" contains "$want_digest" sha256sum "$tmp/back"
  check "$v: attach reaches the container's stdin" contains "heard hi-$v" \
    bash -c "(echo hi-$v; sleep 2) | timeout 10 '$kubectl' attach -i shell -c talker"
  local_port=$(free_port)
  "$kubectl" port-forward pod/shell "$local_port:8080" >"$tmp/pf.log" 2>&1 &
  pf=$!
  check "$v: port-forward carries an HTTP request" eventually 20 \
    bash -c "curl -s --max-time 3 http://127.0.0.1:$local_port/index.html | grep -q served-by-the-pod"
  check "$v: and another" contains 'served-by-the-pod' curl -s --max-time 5 "http://127.0.0.1:$local_port/"
  kill "$pf" 2>/dev/null
  wait "$pf" 2>/dev/null
done

# kubectl 1.30+ speaks WebSocket for exec and 1.31+ tunnels port-forward's SPDY in it; the
# older ones SPDY. Both reached capstan-cri through the API server and the kubelet.
check "exec came over WebSocket (v5)" contains 'protocol=websocket/v5.channel.k8s.io' \
  cat "$data/logs/cri.log"
check "and over SPDY (v4)" contains 'protocol=spdy/v4.channel.k8s.io' cat "$data/logs/cri.log"
check "port-forward over the WebSocket tunnel" contains \
  'protocol=websocket/SPDY/3.1+portforward.k8s.io' cat "$data/logs/cri.log"
check "and over SPDY" contains 'protocol=spdy/portforward.k8s.io' cat "$data/logs/cri.log"
# shareProcessNamespace: the containers see each other's processes, PID 1 is the pod's init.
cat >"$tmp/shared.yaml" <<POD
apiVersion: v1
kind: Pod
metadata: {name: shared, namespace: default}
spec:
  nodeName: $node
  shareProcessNamespace: true
  terminationGracePeriodSeconds: 1
  containers:
  - {name: a, image: $registry/busybox:latest, command: [sleep, "1001"]}
  - {name: b, image: $registry/busybox:latest, command: [sleep, "1002"]}
POD
check "apply a pod sharing its PID namespace" contains 'pod/shared created' \
  "$kubectl" apply -f "$tmp/shared.yaml"
check "it runs" eventually 60 bash -c "'$kubectl' get pod shared | grep -Eq ' 2/2 +Running '"
check "b sees a's process" contains 'sleep 1001' "$kubectl" exec shared -c b -- ps
check "PID 1 is the pod's init" contains 'pod-init' "$kubectl" exec shared -c a -- cat /proc/1/cmdline
check "the other pod's containers do not share" matches '^ +1 +root +sleep 3600' \
  "$kubectl" exec shell -c web -- ps
check "exec into a missing container" fails_with 'container nope is not valid for pod shell' \
  "$kubectl" exec shell -c nope -- true
# Every exec ended with its client; a helper still running would show here, and in the pod.
check "no exec helper is left" bash -c "! pgrep -af 'capstan-monito[r] exec.*$run'"
check "nor a process an exec started" bash -c \
  "[ \"\$('$kubectl' exec shell -c web -- sh -c 'ls -d /proc/[0-9]* | wc -l')\" -le 5 ]"
echo "$passed passed, $failed failed"
if ((failed > 0)); then
  for d in server cri kubelet; do
    echo "--- $d log (tail)"
    tail -15 "$data/logs/$d.log" 2>/dev/null
  done
  exit 1
fi
