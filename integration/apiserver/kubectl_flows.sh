#!/usr/bin/env bash
# Drives a capstan-server on a temporary data dir with one real kubectl, through the flows a
# Kubernetes user runs every day. Prints one line per check and "N passed, N failed".
# Usage: kubectl_flows.sh BIN_DIR KUBECTL
set -u
bin_dir=$1
kubectl=$2
[[ -x "$kubectl" ]] || { echo "SKIP: $kubectl is not installed"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/capstan-kubectl-flows.XXXXXX)
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  jobs -p | xargs -r kill 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# The API alone, as kube-apiserver without kube-scheduler and kube-controller-manager: these
# flows check what the server stores and prints (a Deployment stays as applied). The
# scheduler and the controllers are checked on `capstan up` (integration/cluster).
"$bin_dir/capstan-server" --data-dir "$tmp/data" --bind-address 127.0.0.1 --secure-port 0 \
  --disable-scheduler --disable-controller-manager >"$tmp/server.log" 2>&1 &
server_pid=$!
export KUBECONFIG="$tmp/data/admin.kubeconfig"
for _ in $(seq 1 100); do
  [[ -s "$KUBECONFIG" ]] && "$kubectl" get --raw /readyz >/dev/null 2>&1 && break
  sleep 0.1
done
server_url=$(grep -m1 'server:' "$KUBECONFIG" | awk '{print $2}')

source "$here/../lib/checks.sh"
k() { "$kubectl" "$@"; }

echo "# kubectl $("$kubectl" version --client -o json 2>/dev/null | grep -m1 gitVersion)"

# Discovery.
check "api-resources lists deployments" \
  matches '^deployments +deploy +apps/v1 +true +Deployment' k api-resources
check "api-resources lists pods with shortname" \
  matches '^pods +po +v1 +true +Pod' k api-resources
check "api-versions" contains "rbac.authorization.k8s.io/v1" k api-versions
check "get cs" matches 'etcd-0 +Healthy' k get componentstatuses
check "default namespaces" matches 'kube-node-lease +Active' k get ns

# Namespaces and apply.
check "create ns" contains 'namespace/flows created' k create ns flows
check "apply creates" \
  matches 'deployment.apps/web created' k apply -f "$here/testdata/app.yaml"
check "apply again changes nothing" \
  matches '^deployment.apps/web unchanged' k apply -f "$here/testdata/app.yaml"
check "second apply left every object unchanged" \
  bash -c "! '$kubectl' apply -f '$here/testdata/app.yaml' | grep -v unchanged"
rv_before=$(k get deploy web -n flows -o jsonpath='{.metadata.resourceVersion}')
check "apply a new image and a removed env var" \
  contains 'deployment.apps/web configured' k apply -f "$here/testdata/app-v2.yaml"
check "the image changed" contains '127.0.0.1:5000/busybox:1.1' \
  k get deploy web -n flows -o jsonpath='{.spec.template.spec.containers[0].image}'
check "the env var went, the other stayed" contains 'KEEP' \
  k get deploy web -n flows -o jsonpath='{.spec.template.spec.containers[0].env[*].name}'
check "no DROP" bash -c "! '$kubectl' get deploy web -n flows -o jsonpath='{.spec.template.spec.containers[0].env[*].name}' | grep -q DROP"
check "other fields left alone" contains '["sleep","3600"]' \
  k get deploy web -n flows -o jsonpath='{.spec.template.spec.containers[1].command}'
check "generation bumped" contains '2' \
  k get deploy web -n flows -o jsonpath='{.metadata.generation}'
check "resourceVersion moved" \
  bash -c "[[ \$('$kubectl' get deploy web -n flows -o jsonpath='{.metadata.resourceVersion}') != '$rv_before' ]]"
check "secret stringData became data" contains 'aHVudGVyMg==' \
  k get secret creds -n flows -o jsonpath='{.data.password}'

# Reading.
check "get -o yaml" contains 'kind: Deployment' k get deploy web -n flows -o yaml
check "get -o yaml keeps defaults" contains 'revisionHistoryLimit: 10' \
  k get deploy web -n flows -o yaml
check "get deploy columns" matches '^NAME +READY +UP-TO-DATE +AVAILABLE +AGE' k get deploy -n flows
check "get -o wide" matches '^web +0/2 +0 +0 +[0-9]+s +app,sidecar +127.0.0.1:5000/busybox:1.1' \
  k get deploy -n flows -o wide
check "get svc" matches '^web +ClusterIP +10\.43\.[0-9]+\.[0-9]+ +<none> +80/TCP' k get svc -n flows
check "get cm" matches '^settings +2 ' k get cm -n flows
check "get all namespaces" matches '^default +kubernetes +ClusterIP +10.43.0.1' k get svc -A
check "get by label" matches '^web ' k get deploy -n flows -l 'app in (web,other)'
check "label selector excludes" contains 'No resources found' k get deploy -n flows -l app=other
check "get json list" contains '"kind": "List"' k get cm,secret -n flows -o json

# Watch: a change made while `get -w` runs is printed.
k get cm settings -n flows -w --output-watch-events >"$tmp/watch.out" 2>&1 &
watch_pid=$!
sleep 1
k label cm settings -n flows touched=yes >/dev/null 2>&1
for _ in $(seq 1 50); do grep -q MODIFIED "$tmp/watch.out" && break; sleep 0.1; done
kill $watch_pid 2>/dev/null
check "get -w prints the change" matches 'MODIFIED +settings' cat "$tmp/watch.out"

# Writing.
check "label" contains 'deployment.apps/web labeled' k label deploy web -n flows tier=fe
check "label shows" contains 'fe' k get deploy web -n flows -o jsonpath='{.metadata.labels.tier}'
check "annotate" contains 'configmap/settings annotate' k annotate cm settings -n flows note=hello
check "patch --type=merge" contains 'patched' \
  k patch cm settings -n flows --type=merge -p '{"data":{"color":"red"}}'
check "patch --type=json" contains 'patched' \
  k patch cm settings -n flows --type=json -p '[{"op":"remove","path":"/data/size"}]'
check "patches applied" contains '{"color":"red"}' k get cm settings -n flows -o jsonpath='{.data}'
check "strategic patch (default)" contains 'patched' \
  k patch deploy web -n flows -p '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"127.0.0.1:5000/busybox:1.2"}]}}}}'
check "strategic patch merged by name" contains '127.0.0.1:5000/busybox:1.1 127.0.0.1:5000/busybox:1.2' \
  k get deploy web -n flows -o jsonpath='{.spec.template.spec.containers[*].image}'
cat >"$tmp/editor.sh" <<'EDIT'
#!/bin/sh
sed -i 's/color: red/color: green/' "$1"
EDIT
chmod +x "$tmp/editor.sh"
check "edit" contains 'edited' env KUBE_EDITOR="$tmp/editor.sh" "$kubectl" edit cm settings -n flows
check "edit saved" contains 'green' k get cm settings -n flows -o jsonpath='{.data.color}'
check "scale deploy" contains 'scaled' k scale deploy web -n flows --replicas=5
check "scale stored" contains '5' k get deploy web -n flows -o jsonpath='{.spec.replicas}'
check "scale with a stale resourceVersion is refused" fails_with 'Expected resource version to be 1' \
  k scale deploy web -n flows --replicas=3 --resource-version=1
check "update conflict" fails_with 'the object has been modified' \
  bash -c "'$kubectl' get cm settings -n flows -o json | sed 's/\"resourceVersion\": \"[0-9]*\"/\"resourceVersion\": \"1\"/' | '$kubectl' replace -f -"

# Pods, field selectors.
cat >"$tmp/pod.yaml" <<'POD'
apiVersion: v1
kind: Pod
metadata:
  name: pending
  namespace: flows
spec:
  containers:
  - name: app
    image: 127.0.0.1:5000/busybox:1.0
POD
check "create pod" contains 'pod/pending created' k create -f "$tmp/pod.yaml"
check "pod columns" matches '^pending +0/1 +Pending +0 +[0-9]+s' k get pods -n flows
check "field selector status.phase" matches '^pending ' \
  k get pods -n flows --field-selector status.phase=Pending
check "field selector excludes" contains 'No resources found' \
  k get pods -n flows --field-selector status.phase=Running
check "unsupported field selector" fails_with 'field label not supported' \
  k get pods -n flows --field-selector spec.nope=x
check "pod defaults" contains 'ClusterFirst' k get pod pending -n flows -o jsonpath='{.spec.dnsPolicy}'
check "dry-run create stores nothing" contains 'created (server dry run)' \
  k run dry --image=busybox -n flows --dry-run=server
check "dry-run left nothing" fails_with 'NotFound' k get pod dry -n flows

# Errors as upstream words them.
check "invalid manifest" fails_with \
  'The Pod "broken" is invalid: spec.containers[0].image: Required value' \
  k create -f "$here/testdata/invalid-pod.yaml"
# Field validation: kubectl asks for Strict by default; --validate=warn asks for Warn.
check "unknown field refused (Strict)" fails_with \
  'strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolcy"' \
  k apply -f "$here/testdata/typo-deployment.yaml"
check "unknown field warned (Warn)" contains \
  'Warning: unknown field "spec.template.spec.containers[0].imagePullPolcy"' \
  k apply --validate=warn -f "$here/testdata/typo-deployment.yaml"
check "unknown field ignored (Ignore)" bash -c \
  "! '$kubectl' apply --validate=false -f '$here/testdata/typo-deployment.yaml' 2>&1 | grep -q Warning"
check "explain deployment.spec.strategy" matches '^FIELD: +strategy <DeploymentStrategy>' \
  k explain deployment.spec.strategy
check "explain lists the strategy's fields" matches '^  rollingUpdate\s+<RollingUpdateDeployment>' \
  k explain deployment.spec.strategy
check "explain pod.spec.containers" matches '^  imagePullPolicy\s+<string>' \
  k explain pod.spec.containers
check "explain --recursive" contains 'maxSurge' k explain deployment.spec --recursive
check "not found" fails_with 'Error from server (NotFound): pods "nope" not found' \
  k get pod nope -n flows
check "already exists" fails_with 'Error from server (AlreadyExists): namespaces "flows" already exists' \
  k create ns flows
check "immutable selector" fails_with 'field is immutable' \
  k patch deploy web -n flows --type=merge -p '{"spec":{"selector":{"matchLabels":{"app":"x"}},"template":{"metadata":{"labels":{"app":"x"}}}}}'

# Deletion and propagation policies.
for policy in background orphan foreground; do
  k create cm "del-$policy" -n flows --from-literal=a=b >/dev/null 2>&1
done
check "delete background" contains 'deleted' k delete cm del-background -n flows --cascade=background
check "background removed it" fails_with 'NotFound' k get cm del-background -n flows
check "delete orphan" contains 'deleted' k delete cm del-orphan -n flows --cascade=orphan --wait=false
check "orphan finalizer stored" contains 'orphan' \
  k get cm del-orphan -n flows -o jsonpath='{.metadata.finalizers}'
check "delete foreground" contains 'deleted' \
  k delete cm del-foreground -n flows --cascade=foreground --wait=false
check "foreground finalizer stored" contains 'foregroundDeletion' \
  k get cm del-foreground -n flows -o jsonpath='{.metadata.finalizers}'
check "removing the last finalizer completes the delete" contains 'patched' \
  k patch cm del-orphan -n flows --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]'
check "finalized object gone" fails_with 'NotFound' k get cm del-orphan -n flows
# No garbage collector runs yet to finish a foreground deletion: do its part by hand.
check "foreground finalizer removed" contains 'patched' \
  k patch cm del-foreground -n flows --type=merge -p '{"metadata":{"finalizers":null}}'
check "foreground-deleted object gone" fails_with 'NotFound' k get cm del-foreground -n flows

# Authorization.
check "auth can-i as admin" contains 'yes' k auth can-i delete deployments -n flows
check "auth can-i --list works" contains '*.*' k auth can-i --list
check "no credentials: 401" contains '"code":401' \
  curl -sk "$server_url/api/v1/namespaces"
check "healthz is public" contains 'ok' curl -sk "$server_url/healthz"

# Service-account tokens: authenticated, but granted nothing until a role is bound.
check "create sa" contains 'serviceaccount/robot created' k create sa robot -n flows
token=$(k create token robot -n flows 2>&1)
check "create token gives a JWT" matches '^ey[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.' echo "$token"
check "a token without a role gets 403" contains '"code":403' \
  curl -sk -H "Authorization: Bearer $token" "$server_url/api/v1/namespaces/flows/pods"
check "a forged token gets 401" contains '"code":401' \
  curl -sk -H "Authorization: Bearer ${token}x" "$server_url/api/v1/namespaces/flows/pods"
check "create rolebinding" contains 'rolebinding.rbac.authorization.k8s.io/robot-view created' \
  k create rolebinding robot-view -n flows --clusterrole=view --serviceaccount=flows:robot
check "the bound token may list pods in its namespace" contains '"kind":"PodList"' \
  curl -sk -H "Authorization: Bearer $token" "$server_url/api/v1/namespaces/flows/pods"
check "but not elsewhere" contains '"code":403' \
  curl -sk -H "Authorization: Bearer $token" "$server_url/api/v1/namespaces/default/pods"
check "nor secrets" contains 'cannot list resource \"secrets\"' \
  curl -sk -H "Authorization: Bearer $token" "$server_url/api/v1/namespaces/flows/secrets"

# Joining: a bootstrap token asks for a node client certificate through the CSR API, which
# the server approves and signs; a user's certificate waits for `kubectl certificate approve`.
csr_for() {  # NAME SUBJECT SIGNER USAGE
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/$1.key" \
    -subj "$2" -out "$tmp/$1.csr" 2>/dev/null
  sed -e "s|NAME|$1|" -e "s|SIGNER|$3|" -e "s|USAGE|$4|" \
    -e "s|REQUEST|$(base64 -w0 "$tmp/$1.csr")|" "$here/testdata/csr.yaml.in" >"$tmp/$1.yaml"
}
wait_issued() {
  for _ in $(seq 1 50); do
    [[ -n "$(k get csr "$1" -o jsonpath='{.status.certificate}')" ]] && return 0
    sleep 0.1
  done
  k get csr "$1" -o yaml
  return 1
}
with_token() {
  "$kubectl" --kubeconfig=/dev/null --server="$server_url" --insecure-skip-tls-verify \
    --token=abcdef.0123456789abcdef "$@"
}
check "store a join token" contains 'created' k apply -f "$here/testdata/bootstrap-token.yaml"
csr_for node-flows "/O=system:nodes/CN=system:node:flows-node" \
  kubernetes.io/kube-apiserver-client-kubelet "client auth"
check "the join token creates a CSR" contains 'node-flows created' \
  with_token create -f "$tmp/node-flows.yaml"
check "and may do nothing else" fails_with 'User "system:bootstrap:abcdef" cannot list' \
  with_token get pods
check "the node's CSR is signed" wait_issued node-flows
check "get csr columns" matches \
  '^node-flows +[0-9]+s +kubernetes.io/kube-apiserver-client-kubelet +system:bootstrap:abcdef +<none> +Approved,Issued' \
  k get csr node-flows
k get csr node-flows -o jsonpath='{.status.certificate}' | base64 -d >"$tmp/node-flows.crt"
check "the certificate authenticates the node" contains '"kind":"NodeList"' \
  "$kubectl" --kubeconfig=/dev/null --server="$server_url" --insecure-skip-tls-verify \
  --client-certificate="$tmp/node-flows.crt" --client-key="$tmp/node-flows.key" get --raw /api/v1/nodes
csr_for jane "/O=dev/CN=jane" kubernetes.io/kube-apiserver-client "client auth"
check "a user's CSR" contains 'jane created' k create -f "$tmp/jane.yaml"
check "waits for approval" matches '^jane .* Pending$' k get csr jane
check "certificate approve" contains 'approved' k certificate approve jane
check "then it is signed" wait_issued jane

# A CustomResourceDefinition and one of its objects.
check "apply a CRD" contains 'customresourcedefinition.apiextensions.k8s.io/widgets.example.com created' \
  k apply -f "$here/testdata/widget-crd.yaml"
check "the CRD is established" contains 'True' \
  k get crd widgets.example.com -o jsonpath='{.status.conditions[?(@.type=="Established")].status}'
check "its kind is discovered" matches '^widgets +wd +example.com/v1 +true +Widget' k api-resources
check "create a custom object" contains 'widget.example.com/big created' \
  k apply -f "$here/testdata/widgets.yaml"
check "printer columns" matches '^big +7 ' k get wd -n flows
check "apply it again changes nothing" contains 'unchanged' k apply -f "$here/testdata/widgets.yaml"
check "the schema is enforced" fails_with 'spec.size' k apply -f "$here/testdata/widget-invalid.yaml"

# Namespace deletion empties it, then it goes.
check "delete ns" contains 'namespace "flows" deleted' k delete ns flows --wait=false
check "ns terminating refuses new objects" fails_with 'because it is being terminated' \
  k create cm late -n flows --from-literal=a=b
for _ in $(seq 1 100); do k get ns flows >/dev/null 2>&1 || break; sleep 0.1; done
check "ns gone once empty" fails_with 'NotFound' k get ns flows

echo "$passed passed, $failed failed"
if ((failed > 0)); then
  echo "--- server log (tail)"
  tail -20 "$tmp/server.log"
  exit 1
fi
