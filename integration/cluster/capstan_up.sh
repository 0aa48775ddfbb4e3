#!/usr/bin/env bash
# `capstan up` on temporary directories and free ports, driven with the real kubectl: the
# node is Ready, a two-container pod runs, its logs stream through the API server, it is
# deleted gracefully, `capstan down` leaves no daemon, bridge, pod IP or cgroup behind, and
# `capstan up` again brings the cluster's objects back. Needs root (containers, CNI).
# Usage: capstan_up.sh BIN_DIR FIXTURES_DIR [KUBECTL]
set -u
bin_dir=$1
fixtures=$2
kubectl=${3:-/usr/bin/kubectl}
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root"; exit 77; }
[[ -x "$kubectl" ]] || { echo "SKIP: $kubectl is not installed"; exit 77; }
tmp=$(mktemp -d /tmp/capstan-up-test.XXXXXX)
data=$tmp/data
run=$tmp/run
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
kubelet_port=$(free_port)
healthz_port=$(free_port)
node=capstan-up-test
up_args=(--data-dir "$data" --run-dir "$run" --port "$port" --bind-address 127.0.0.1
  --node-name "$node" --node-ip 127.0.0.1 --manifests "$tmp/manifests"
  --kubelet-port "$kubelet_port" --kubelet-healthz-port "$healthz_port" --timeout 90)
cleanup() {
  "$bin_dir/capstan" down --data-dir "$data" --run-dir "$run" >/dev/null 2>&1
  bash "$fixtures/registry.sh" stop "$tmp/registry" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

# The busybox image, served by a local registry.
cache=${CAPSTAN_FIXTURE_CACHE:-$bin_dir/../fixture-cache}/busybox
bash "$fixtures/build-busybox-image.sh" "$cache" >/dev/null || exit 1
registry=$(CAPSTAN_REGISTRY_WATCH_PID=$$ bash "$fixtures/registry.sh" start "$tmp/registry" | head -1)
bash "$fixtures/registry.sh" push "$tmp/registry" "$cache/busybox-oci" busybox:latest >/dev/null || exit 1
up_args+=(--insecure-registry "$registry")
# The same registry behind basic auth, for imagePullSecrets.
private=$(bash "$fixtures/registry.sh" auth-proxy "$tmp/registry" basic puller s3cret | head -1)
up_args+=(--insecure-registry "$private")

source "$(dirname "$0")/../lib/checks.sh"
k() { "$kubectl" "$@"; }

check "capstan up" contains "node $node is Ready" "$bin_dir/capstan" up "${up_args[@]}"
export KUBECONFIG=$data/server/admin.kubeconfig
check "get nodes shows it Ready" matches "^$node +Ready " k get nodes
check "with its capacity" matches '^[0-9]+$' k get node "$node" -o jsonpath='{.status.capacity.cpu}'
check "and its runtime" contains 'capstan://' \
  k get node "$node" -o jsonpath='{.status.nodeInfo.containerRuntimeVersion}'
check "joined through the CSR API" matches 'kube-apiserver-client-kubelet .*Approved,Issued' k get csr

cat >"$tmp/pod.yaml" <<POD
apiVersion: v1
kind: Pod
metadata: {name: two, namespace: default}
spec:
  nodeName: $node
  terminationGracePeriodSeconds: 3
  containers:
  - name: a
    image: $registry/busybox:latest
    command: [sh, -c, 'i=0; while true; do echo a-line \$i; i=\$((i+1)); sleep 1; done']
  - name: b
    image: $registry/busybox:latest
    command: [sh, -c, 'echo hello from b; exec sleep 3600']
POD
check "apply a two-container pod" contains 'pod/two created' k apply -f "$tmp/pod.yaml"
check "it runs" eventually 60 bash -c "'$kubectl' get pod two | grep -Eq ' 2/2 +Running '"
check "get pods -o wide: READY, STATUS, IP, NODE" \
  matches "^two +2/2 +Running +0 +[0-9a-z]+ +10\.88\.[0-9]+\.[0-9]+ +$node " k get pods -o wide
check "logs -c b" contains 'hello from b' k logs two -c b
check "describe pod shows its events in order" matches \
  'Pulling .*Pulled .*Created +[0-9a-z]+ +kubelet +Created container a.*Started +[0-9a-z]+ +kubelet +Started container a' \
  bash -c "'$kubectl' describe pod two | tr '\n' ' '"
check "the node's Starting event" contains 'Starting kubelet.' k get events -A
check "and its NodeReady event" contains "Node $node status is now: NodeReady" k get events -A
check "logs -f -c a streams" matches 'a-line [0-9]+' timeout 3 "$kubectl" logs -f two -c a --tail=2
# A static pod from the manifest directory shows in the API as a mirror pod.
cat >"$tmp/manifests/static-web.yaml" <<POD
apiVersion: v1
kind: Pod
metadata: {name: static-web, namespace: kube-system}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: web, image: $registry/busybox:latest, command: [sleep, '3600']}
POD
mirror=static-web-$node
check "the static pod's mirror pod" eventually 60 \
  bash -c "'$kubectl' get pods -A | grep -Eq '^kube-system +$mirror +1/1 +Running '"
check "with the mirror annotation" contains 'kubernetes.io/config.mirror' \
  k get pod "$mirror" -n kube-system -o jsonpath='{.metadata.annotations}'
check "a deleted mirror pod comes back" bash -c "'$kubectl' delete pod '$mirror' -n kube-system --wait=false >/dev/null && sleep 0.5"
check "it is back" eventually 30 bash -c "'$kubectl' get pod '$mirror' -n kube-system | grep -q Running"
rm -f "$tmp/manifests/static-web.yaml"
check "no manifest, no mirror pod" eventually 60 bash -c "! '$kubectl' get pod '$mirror' -n kube-system >/dev/null 2>&1"

# Environment from a ConfigMap and a Secret.
check "a config map" contains 'created' k create configmap settings --from-literal=color=red
check "a secret" contains 'created' k create secret generic creds --from-literal=password=hunter2
cat >"$tmp/env.yaml" <<POD
apiVersion: v1
kind: Pod
metadata: {name: env, namespace: default}
spec:
  nodeName: $node
  restartPolicy: Never
  containers:
  - name: c
    image: $registry/busybox:latest
    command: [sh, -c, 'echo color=\$COLOR password=\$PASSWORD all=\$CM_color']
    env:
    - {name: COLOR, valueFrom: {configMapKeyRef: {name: settings, key: color}}}
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
    envFrom:
    - {configMapRef: {name: settings}, prefix: CM_}
POD
check "a pod with env from them" contains 'created' k apply -f "$tmp/env.yaml"
check "it completes" eventually 60 bash -c "'$kubectl' get pod env | grep -q Completed"
check "its env has their values" contains 'color=red password=hunter2 all=red' k logs env

# An air-gapped image: imported from a tarball into the running runtime, used with
# imagePullPolicy Never (nothing is pulled).
check "capstan image import" contains 'docker.io/library/busybox:latest' \
  "$bin_dir/capstan" image import --data-dir "$data" "$cache/busybox-oci.tar"
check "a file that is no tarball is refused" fails_with 'not a .tar' \
  "$bin_dir/capstan" image import --data-dir "$data" /etc/hostname
cat >"$tmp/airgap.yaml" <<POD
apiVersion: v1
kind: Pod
metadata: {name: airgap, namespace: default}
spec:
  nodeName: $node
  restartPolicy: Never
  containers:
  - {name: c, image: busybox:latest, imagePullPolicy: Never, command: [echo, from-the-tarball]}
POD
check "a pod of the imported image" contains 'created' k apply -f "$tmp/airgap.yaml"
check "runs without a pull" eventually 60 bash -c "'$kubectl' logs airgap 2>/dev/null | grep -q from-the-tarball"

# A private registry: refused without credentials, pulled with an imagePullSecret.
cat >"$tmp/private.yaml" <<POD
apiVersion: v1
kind: Pod
metadata: {name: private, namespace: default}
spec:
  nodeName: $node
  restartPolicy: Never
  containers:
  - {name: c, image: $private/busybox:latest, imagePullPolicy: Always, command: [echo, pulled-with-auth]}
POD
check "a pod from a private registry" contains 'created' k apply -f "$tmp/private.yaml"
check "cannot pull it without credentials" eventually 60 bash -c \
  "'$kubectl' get pod private | grep -Eq 'ErrImagePull|ImagePullBackOff'"
check "delete it" contains 'deleted' k delete pod private --grace-period=0 --force
check "a docker-registry secret" contains 'created' k create secret docker-registry regcred \
  --docker-server="$private" --docker-username=puller --docker-password=s3cret
check "with imagePullSecrets it pulls" contains 'created' bash -c \
  "sed 's/^spec:/spec:\n  imagePullSecrets: [{name: regcred}]/' '$tmp/private.yaml' | '$kubectl' apply -f -"
check "and runs" eventually 60 bash -c "'$kubectl' logs private 2>/dev/null | grep -q pulled-with-auth"

# The same ConfigMap and Secret as volumes, the downward API, and the service-account
# volume every pod gets; changes reach the running pod.
cat >"$tmp/vol.yaml" <<POD
apiVersion: v1
kind: Pod
metadata: {name: vol, namespace: default, labels: {app: vol}}
spec:
  nodeName: $node
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: $registry/busybox:latest
    command: [sh, -c, 'cat /sa/namespace; echo; head -1 /sa/ca.crt; test -s /sa/token && echo token-present;
      cat /info/labels; echo; while true; do echo "cfg=\$(cat /cfg/color) sec=\$(cat /sec/password)"; sleep 1; done']
    volumeMounts:
    - {name: cfg, mountPath: /cfg}
    - {name: sec, mountPath: /sec, readOnly: true}
    - {name: info, mountPath: /info}
    - {name: sa, mountPath: /sa}
  volumes:
  - {name: cfg, configMap: {name: settings}}
  - {name: sec, secret: {secretName: creds, defaultMode: 0400}}
  - name: info
    downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
  - name: sa
    projected:
      sources:
      - serviceAccountToken: {path: token}
      - configMap: {name: kube-root-ca.crt}
      - downwardAPI: {items: [{path: namespace, fieldRef: {fieldPath: metadata.namespace}}]}
POD
check "a pod with configMap, secret, downwardAPI and projected volumes" contains 'created' \
  k apply -f "$tmp/vol.yaml"
check "it runs" eventually 60 bash -c "'$kubectl' get pod vol | grep -q Running"
check "the volumes hold the data" eventually 20 bash -c \
  "'$kubectl' logs vol | tr '\n' ' ' | grep -q 'default -----BEGIN CERTIFICATE----- token-present app=\"vol\" .*cfg=red sec=hunter2'"
check "the pod got the kube-api-access volume" matches 'kube-api-access-[a-z0-9]{5}' \
  k get pod vol -o jsonpath='{.spec.volumes[*].name}'
check "change the config map" contains 'configured' bash -c \
  "'$kubectl' create configmap settings --from-literal=color=blue --dry-run=client -o yaml | '$kubectl' apply -f - 2>/dev/null"
check "change the secret" contains 'configured' bash -c \
  "'$kubectl' create secret generic creds --from-literal=password=swordfish --dry-run=client -o yaml | '$kubectl' apply -f - 2>/dev/null"
check "both changes reach the running pod" eventually 60 bash -c \
  "'$kubectl' logs vol --tail=1 | grep -q 'cfg=blue sec=swordfish'"
check "a pod whose config map is missing" contains 'created' bash -c \
  "sed -e 's/name: vol,/name: novol,/' -e 's/{name: settings}/{name: absent}/' '$tmp/vol.yaml' | '$kubectl' apply -f -"
check "waits in ContainerCreating with a FailedMount event" eventually 60 bash -c \
  "'$kubectl' describe pod novol | grep -q 'FailedMount .*MountVolume.SetUp failed for volume \"cfg\" : configmap \"absent\" not found'"
check "and starts once it exists" contains 'created' k create configmap absent --from-literal=color=green
check "then runs" eventually 90 bash -c "'$kubectl' get pod novol | grep -q Running"
check "delete them" contains 'deleted' k delete pod vol novol --grace-period=1

# Node admission: a pod bound here whose nodeSelector the node does not match is rejected
# with upstream's reason; once the node carries the label, the same pod runs.
cat >"$tmp/picky.yaml" <<POD
apiVersion: v1
kind: Pod
metadata: {name: picky, namespace: default}
spec:
  nodeName: $node
  nodeSelector: {disk: ssd}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: $registry/busybox:latest, command: [sleep, '3600']}
POD
check "a pod whose nodeSelector the node lacks" contains 'created' k apply -f "$tmp/picky.yaml"
check "is rejected: STATUS NodeAffinity" eventually 30 bash -c \
  "'$kubectl' get pod picky | grep -Eq '^picky +0/1 +NodeAffinity '"
check "with upstream's message" contains \
  "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" \
  k get pod picky -o jsonpath='{.status.message}'
check "a rejected pod deletes at once" contains 'deleted' k delete pod picky --timeout=20s
check "label the node" contains 'labeled' k label node "$node" disk=ssd
check "the same pod is admitted now" contains 'created' k apply -f "$tmp/picky.yaml"
check "and runs" eventually 60 bash -c "'$kubectl' get pod picky | grep -q Running"
check "delete it" contains 'deleted' k delete pod picky --grace-period=1

# The scheduler: a pod with no nodeName gets one; a pod nothing fits waits, with upstream's
# FailedScheduling message and PodScheduled=False, until the node changes.
check "kubectl run: a pod with no nodeName" contains 'created' \
  k run sched --image="$registry/busybox:latest" --restart=Never -- sleep 3600
check "is scheduled to the node and runs" eventually 60 bash -c \
  "'$kubectl' get pod sched -o wide | grep -Eq ' Running .* $node '"
check "describe shows the Scheduled event" matches \
  "Normal +Scheduled +.* default-scheduler +Successfully assigned default/sched to $node" \
  k describe pod sched
cat >"$tmp/gold.yaml" <<POD
apiVersion: v1
kind: Pod
metadata: {name: gold, namespace: default}
spec:
  nodeSelector: {tier: gold}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: $registry/busybox:latest, command: [sleep, '3600']}
POD
check "a pod for gold nodes only" contains 'created' k apply -f "$tmp/gold.yaml"
check "waits with FailedScheduling" eventually 30 bash -c "'$kubectl' describe pod gold | grep -q \
  \"FailedScheduling .*0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.\""
check "and PodScheduled=False Unschedulable" contains 'False Unschedulable' k get pod gold \
  -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].status} {.status.conditions[?(@.type=="PodScheduled")].reason}'
check "taint the node" contains 'tainted' k taint node "$node" dedicated=gold:NoSchedule
check "label it gold" contains 'labeled' k label node "$node" tier=gold
check "now the taint is what stops it" eventually 30 bash -c \
  "'$kubectl' describe pod gold | grep -q 'untolerated taint {dedicated: gold}'"
check "remove the taint" contains 'untainted' k taint node "$node" dedicated=gold:NoSchedule-
check "the pod is scheduled and runs" eventually 60 bash -c "'$kubectl' get pod gold | grep -q Running"
check "delete them" contains 'deleted' k delete pod sched gold --grace-period=1
check "unlabel the node" contains 'unlabeled' k label node "$node" tier-

# Deployments: a ReplicaSet per template, rolling updates, history with CHANGE-CAUSE, undo,
# scale, and deletion that takes the ReplicaSets and pods along.
check "create deployment" contains 'deployment.apps/web created' \
  k create deployment web --image="$registry/busybox:latest" --replicas=2 -- sleep 3600
check "rollout status waits for it" contains 'deployment "web" successfully rolled out' \
  k rollout status deployment/web --timeout=120s
check "get deploy: READY UP-TO-DATE AVAILABLE" matches '^web +2/2 +2 +2 ' k get deploy web
check "its ReplicaSet, named by the template hash" matches '^web-[bcdfghjklmnpqrstvwxz2456789]+ +2 +2 +2 ' \
  k get rs -l app=web
check "a new template (set env)" contains 'env updated' k set env deployment/web COLOR=blue
check "with a change cause" contains 'annotated' \
  k annotate deployment/web kubernetes.io/change-cause='set COLOR=blue' --overwrite
check "rolls out" contains 'successfully rolled out' k rollout status deployment/web --timeout=120s
check "the new pods have it" eventually 30 bash -c \
  "[[ \$('$kubectl' get pods -l app=web -o jsonpath='{.items[*].spec.containers[0].env[0].value}') == 'blue blue' ]]"
check "rollout history shows both revisions" matches '2 +set COLOR=blue' k rollout history deployment/web
check "the old ReplicaSet is kept at 0" matches '^web-[a-z0-9]+ +0 +0 +0 ' k get rs -l app=web
check "undo to revision 1" contains 'rolled back' k rollout undo deployment/web --to-revision=1
check "rolls back" contains 'successfully rolled out' k rollout status deployment/web --timeout=120s
check "the template has no COLOR again" matches '^$' \
  k get deploy web -o jsonpath='{.spec.template.spec.containers[0].env}'
check "revision 1 became revision 3" matches '^3 ' bash -c "'$kubectl' rollout history deployment/web | tail -n +3"
check "scale to 3" contains 'scaled' k scale deployment/web --replicas=3
check "3/3 ready" eventually 60 bash -c "'$kubectl' get deploy web | grep -Eq '^web +3/3 +3 +3 '"
check "scaling made no new ReplicaSet" matches '^2$' bash -c "'$kubectl' get rs -l app=web --no-headers | wc -l"
check "describe deploy shows ScalingReplicaSet events" matches \
  'ScalingReplicaSet +.* deployment-controller +Scaled up replica set web-[a-z0-9]+ to 3 from 2' \
  k describe deploy web
check "a deleted pod is replaced" contains 'deleted' bash -c \
  "'$kubectl' delete \$('$kubectl' get pods -l app=web -o name | head -1) --wait=false"
check "back to 3 ready" eventually 60 bash -c "'$kubectl' get deploy web | grep -Eq '^web +3/3 +3 +3 '"
# Foreground: kubectl waits until the garbage collector removed the dependents and the
# foregroundDeletion finalizer; the ReplicaSets' pods then follow in the background.
check "delete the deployment (foreground)" contains 'deleted' \
  k delete deployment web --cascade=foreground --timeout=60s
check "its ReplicaSets and pods go with it" eventually 60 bash -c \
  "[[ -z \$('$kubectl' get rs,pods -l app=web -o name 2>/dev/null) ]]"

# DaemonSets: a pod on the node, a rolling update, ControllerRevisions for history and undo.
cat >"$tmp/filebeat.yaml" <<DS
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: filebeat
  namespace: kube-system
  annotations: {kubernetes.io/change-cause: first}
spec:
  selector:
    matchLabels: {name: filebeat}
  template:
    metadata:
      labels: {name: filebeat}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: log, image: $registry/busybox:latest, command: [sleep, '3600']}
DS
check "apply a DaemonSet" contains 'daemonset.apps/filebeat created' k apply -f "$tmp/filebeat.yaml"
check "rollout status ds waits for it" contains 'daemon set "filebeat" successfully rolled out' \
  k rollout status ds/filebeat -n kube-system --timeout=120s
check "get ds: DESIRED CURRENT READY UP-TO-DATE AVAILABLE" matches '^filebeat +1 +1 +1 +1 +1 +<none> ' \
  k get ds filebeat -n kube-system
check "its pod runs on the node" eventually 30 bash -c \
  "'$kubectl' get pods -n kube-system -l name=filebeat -o wide | grep -Eq '^filebeat-[a-z0-9]+ +1/1 +Running .* $node '"
# A revision keeps the annotations the set had when it was made (as upstream): the change
# cause goes in with the new template.
sed -e 's/change-cause: first/change-cause: set COLOR=blue/' \
  -e "s/command: \\[sleep, '3600'\\]}/command: [sleep, '3600'], env: [{name: COLOR, value: blue}]}/" \
  "$tmp/filebeat.yaml" >"$tmp/filebeat-blue.yaml"
check "apply a new template with its change cause" contains 'configured' \
  k apply -f "$tmp/filebeat-blue.yaml"
check "the DaemonSet rolls out" contains 'successfully rolled out' \
  k rollout status ds/filebeat -n kube-system --timeout=120s
check "rollout history ds shows both revisions" matches '2 +set COLOR=blue' \
  k rollout history ds/filebeat -n kube-system
check "undo ds to revision 1" contains 'rolled back' k rollout undo ds/filebeat -n kube-system --to-revision=1
check "the DaemonSet rolls back" contains 'successfully rolled out' \
  k rollout status ds/filebeat -n kube-system --timeout=120s
check "the pod has no COLOR again" eventually 60 bash -c \
  "[[ \$('$kubectl' get pods -n kube-system -l name=filebeat -o jsonpath='{.items[*].spec.containers[0].env}') == '' ]]"
check "delete the DaemonSet" contains 'deleted' k delete ds filebeat -n kube-system
check "its pod goes with it" eventually 60 bash -c \
  "[[ -z \$('$kubectl' get pods -n kube-system -l name=filebeat -o name 2>/dev/null) ]]"

# StatefulSets: stable names in order (web-1 only once web-0 is Ready), the headless
# service's subdomain, scale-down from the highest ordinal.
cat >"$tmp/web-sts.yaml" <<STS
apiVersion: v1
kind: Service
metadata: {name: nginx}
spec:
  clusterIP: None
  selector: {app: nginx}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 2
  selector:
    matchLabels: {app: nginx}
  template:
    metadata:
      labels: {app: nginx}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: c, image: $registry/busybox:latest, command: [sleep, '3600']}
STS
check "apply a StatefulSet and its headless service" contains 'statefulset.apps/web created' \
  k apply -f "$tmp/web-sts.yaml"
check "rollout status sts waits for both" contains 'partitioned roll out complete: 2 new pods have been updated' \
  k rollout status sts/web --timeout=120s
check "get sts: READY 2/2" matches '^web +2/2 ' k get sts web
check "pods web-0 and web-1 run" matches '^web-0 +1/1 +Running.*web-1 +1/1 +Running' \
  bash -c "'$kubectl' get pods -l app=nginx --no-headers | tr '\n' ' '"
check "web-1 came only after web-0 was Ready" bash -c \
  "[[ \$('$kubectl' get pod web-0 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].lastTransitionTime}') \
      < \$('$kubectl' get pod web-1 -o jsonpath='{.metadata.creationTimestamp}') || \
     \$('$kubectl' get pod web-0 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].lastTransitionTime}') \
      == \$('$kubectl' get pod web-1 -o jsonpath='{.metadata.creationTimestamp}') ]]"
check "the service's endpoints list both pods" eventually 30 bash -c \
  "'$kubectl' get endpoints nginx | grep -Eq '^nginx +[0-9.]+:80,[0-9.]+:80 '"
check "describe svc shows them" matches 'Endpoints: +[0-9.]+:80,[0-9.]+:80' k describe svc nginx
check "each pod's hostname and subdomain" contains 'web-1 nginx' \
  k get pod web-1 -o jsonpath='{.spec.hostname} {.spec.subdomain}'
check "scale the StatefulSet to 1" contains 'scaled' k scale sts/web --replicas=1
check "web-1 goes, web-0 stays" eventually 60 bash -c \
  "[[ \$('$kubectl' get pods -l app=nginx -o name | tr '\n' ' ') == 'pod/web-0 ' ]]"
check "delete the StatefulSet" contains 'deleted' k delete -f "$tmp/web-sts.yaml"
check "its pods go with it" eventually 60 bash -c \
  "[[ -z \$('$kubectl' get pods -l app=nginx -o name 2>/dev/null) ]]"

# Jobs: pods to completion, the Complete condition kubectl wait reads, and the job's logs.
check "create a job" contains 'job.batch/pi created' \
  k create job pi --image="$registry/busybox:latest" -- sh -c 'echo computed 3.14'
check "kubectl wait for it to complete" contains 'condition met' \
  k wait --for=condition=complete job/pi --timeout=90s
check "get job: Complete 1/1" matches '^pi +Complete +1/1 ' k get job pi
check "its pod's log" contains 'computed 3.14' k logs job/pi
check "describe job shows the events" matches 'Completed +.* job-controller +Job completed' k describe job pi
check "delete the job" contains 'deleted' k delete job pi
check "its pod goes with it" eventually 60 bash -c \
  "[[ -z \$('$kubectl' get pods -l job-name=pi -o name 2>/dev/null) ]]"

# Storage, as the seed has it: an administrator's hostPath volume, a claim bound to it, a
# pod writing a file that a second pod reads after the first is gone, and the data removed
# with the claim when the volume's policy is Delete. A claim no volume fits stays Pending
# with the binder's event, and binds when a volume big enough is created.
mkdir -p "$tmp/volumes/pv-web"
cat >"$tmp/storage.yaml" <<EOF
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-web}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Delete
  hostPath: {path: $tmp/volumes/pv-web}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: web-data}
spec:
  storageClassName: ""
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 500Mi}}
EOF
cat >"$tmp/big-claim.yaml" <<EOF
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: big-data}
spec:
  storageClassName: ""
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 5Gi}}
EOF
# claim_pod NAME COMMAND: a pod with the claim at /data, written to $tmp/NAME.yaml.
claim_pod() {
  cat >"$tmp/$1.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: $registry/busybox:latest, command: [sh, -c, "$2"], volumeMounts: [{name: d, mountPath: /data}]}
  volumes: [{name: d, persistentVolumeClaim: {claimName: web-data}}]
EOF
}
claim_pod writer 'echo from-writer > /data/note'
claim_pod reader 'cat /data/note'
check "a volume and a claim" contains 'persistentvolumeclaim/web-data created' k apply -f "$tmp/storage.yaml"
check "they bind" eventually 30 matches '^web-data +Bound +pv-web +1Gi +RWO ' k get pvc web-data
check "a pod writes to the claim" contains 'created' k apply -f "$tmp/writer.yaml"
check "it completes" eventually 60 bash -c "'$kubectl' get pod writer | grep -q Completed"
check "the file is in the volume's directory" bash -c "[[ \$(cat '$tmp/volumes/pv-web/note') == from-writer ]]"
check "delete the writer" contains 'deleted' k delete pod writer
check "a second pod reads it" contains 'created' k apply -f "$tmp/reader.yaml"
check "and finds what the first wrote" eventually 60 bash -c "'$kubectl' logs reader 2>/dev/null | grep -qx from-writer"
check "a claim too big for any volume" contains 'created' k apply -f "$tmp/big-claim.yaml"
check "stays Pending with the binder's event" eventually 20 bash -c \
  "'$kubectl' describe pvc big-data | grep -q 'no persistent volumes available for this claim'"
mkdir -p "$tmp/volumes/pv-big"
cat >"$tmp/big-volume.yaml" <<EOF
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-big}
spec:
  capacity: {storage: 8Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: $tmp/volumes/pv-big}
EOF
check "a volume big enough appears" contains 'created' k apply -f "$tmp/big-volume.yaml"
check "and the Pending claim binds to it" eventually 30 matches '^big-data +Bound +pv-big +8Gi ' k get pvc big-data
check "delete the reader" contains 'deleted' k delete pod reader
k delete pvc big-data --wait=false >/dev/null
k delete pv pv-big --wait=false >/dev/null
check "the claim goes" contains 'deleted' k delete pvc web-data --timeout=60s
check "the Delete volume goes" eventually 30 bash -c "! '$kubectl' get pv pv-web >/dev/null 2>&1"
check "and its data with it" bash -c "[[ ! -e '$tmp/volumes/pv-web' ]]"

# kubectl top, with nothing extra deployed: the kubelet's resource metrics, scraped by
# capstan-server into metrics.k8s.io. A container burning one core shows about 1000m; one
# holding 100 MiB (a file in a memory-backed emptyDir) about 100Mi.
cat >"$tmp/top.yaml" <<PODS
apiVersion: v1
kind: Pod
metadata: {name: burner, namespace: default, labels: {top: "yes"}}
spec:
  nodeName: $node
  terminationGracePeriodSeconds: 0
  containers:
  - {name: spin, image: $registry/busybox:latest, command: [sh, -c, 'while :; do :; done']}
---
apiVersion: v1
kind: Pod
metadata: {name: holder, namespace: default, labels: {top: "yes"}}
spec:
  nodeName: $node
  terminationGracePeriodSeconds: 0
  containers:
  - name: hold
    image: $registry/busybox:latest
    command: [sh, -c, 'dd if=/dev/zero of=/mem/fill bs=1M count=100 2>/dev/null; sleep 3600']
    volumeMounts: [{name: mem, mountPath: /mem}]
  volumes: [{name: mem, emptyDir: {medium: Memory}}]
PODS
check "pods to measure" contains 'created' k apply -f "$tmp/top.yaml"
check "discovery lists metrics.k8s.io" contains 'metrics.k8s.io/v1beta1' k api-versions
check "the burner runs" eventually 60 bash -c "'$kubectl' get pod burner | grep -q Running"
# Within 30 s of running (a scrape every 15 s; a new container is measured from its start).
# The bounds allow for a loaded 2-core CI machine sharing the core.
check "kubectl top pod: the burner near one core" eventually 30 bash -c \
  "'$kubectl' top pod burner --no-headers | awk '{ v = \$2+0 } END { exit !(NR == 1 && v >= 600 && v <= 1200) }'"
check "kubectl top pod: the holder near 100Mi" eventually 60 bash -c \
  "'$kubectl' top pod holder --no-headers | awk '{ v = \$3+0 } END { exit !(NR == 1 && v >= 95 && v <= 120) }'"
check "kubectl top node" eventually 60 bash -c \
  "'$kubectl' top node --no-headers | grep -Eq '^$node +[0-9]+m +[0-9]+% +[0-9]+Mi +[0-9]+%'"
check "top pod -A --containers --sort-by=cpu puts the burner first" eventually 30 bash -c \
  "'$kubectl' top pod -A --containers --sort-by=cpu --no-headers | head -1 | grep -Eq '^default +burner +spin '"
check "top pod -l selects by label, sorted by memory" eventually 30 bash -c \
  "[[ \$('$kubectl' top pod -l top=yes --sort-by=memory --no-headers | awk '{print \$1}' | tr '\n' ' ') == 'holder burner ' ]]"
# The kubelet's stats and metrics through the API server's node proxy, as users read them.
cat >"$tmp/summary_check.py" <<'PY'
import json, sys
node, s = sys.argv[1], json.load(sys.stdin)
holder = [p for p in s["pods"] if p["podRef"]["name"] == "holder"][0]
assert s["node"]["nodeName"] == node, s["node"]["nodeName"]
assert holder["volume"][0]["name"] == "mem", holder.get("volume")
assert holder["volume"][0]["usedBytes"] >= 100 << 20, holder["volume"]
PY
check "nodes/proxy: the kubelet's /stats/summary with the holder's memory volume" eventually 30 bash -c \
  "'$kubectl' get --raw /api/v1/nodes/$node/proxy/stats/summary | python3 '$tmp/summary_check.py' '$node'"
check "nodes/proxy: /metrics/cadvisor has the burner's CPU" contains 'container_cpu_usage_seconds_total{container="spin",namespace="default",pod="burner"}' \
  k get --raw "/api/v1/nodes/$node/proxy/metrics/cadvisor"
check "nodes/proxy: /metrics counts the running pods" matches '^kubelet_running_pods [1-9]' \
  k get --raw "/api/v1/nodes/$node/proxy/metrics"
check "delete the measured pods" contains 'deleted' k delete -f "$tmp/top.yaml" --wait=false

check "a config map to keep" contains 'created' k create configmap kept --from-literal=k=v

cat >"$tmp/keep.yaml" <<POD
apiVersion: v1
kind: Pod
metadata: {name: keep, namespace: default}
spec:
  nodeName: $node
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: $registry/busybox:latest
    command: [sleep, '3600']
POD
check "a pod to bring back" contains 'created' k apply -f "$tmp/keep.yaml"
check "it runs too" eventually 60 bash -c "'$kubectl' get pod keep | grep -q Running"

check "delete pod two" contains 'pod "two" deleted' k delete pod two
check "its containers were stopped" contains 'Stopping container a' k get events --field-selector involvedObject.name=two
check "it is gone" contains 'NotFound' k get pod two

# The pod network's nft tables (ipMasq) are named capstan_<kind>_<network hash>_<pod>.
net_hash=$(nft list tables 2>/dev/null | grep -o 'capstan_masq_[0-9a-f]*_' | head -1 | cut -d_ -f3)
check "capstan down" contains 'capstan is down' "$bin_dir/capstan" down --data-dir "$data" --run-dir "$run"
# (The pattern cannot match the pgrep command line itself: it holds "capstan-(".)
check "no daemon of this data dir runs" \
  bash -c "! pgrep -f -- 'capstan-(server|cri|kubelet|monitor).*$data' >/dev/null"
check "no bridge left" bash -c '! ip link show cni0 >/dev/null 2>&1'
check "no pod IP held" bash -c '! ls /var/lib/cni/networks/capstan 2>/dev/null | grep -q "^10\."'
check "no mounts under the data dir" bash -c "! grep -q '$tmp' /proc/mounts"
check "no nft tables of the pod network" bash -c \
  "[[ -n '$net_hash' ]] && ! nft list tables 2>/dev/null | grep -q 'capstan_[a-z]*_${net_hash}_'"

check "capstan up again" contains "node $node is Ready" "$bin_dir/capstan" up "${up_args[@]}"
check "the config map is back" contains 'kept' k get configmap kept
check "the pod runs again" eventually 60 bash -c "'$kubectl' get pod keep | grep -q Running"

echo "$passed passed, $failed failed"
if ((failed > 0)); then
  for d in server cri kubelet; do
    echo "--- $d log (tail)"
    tail -15 "$data/logs/$d.log" 2>/dev/null
  done
  exit 1
fi
