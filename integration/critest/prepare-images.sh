#!/usr/bin/env bash
# Builds the images critest (kubernetes-sigs/cri-tools v1.29) pulls, from the busybox test
# image, and pushes them under their upstream paths to a local registry started by
# integration/fixtures/registry.sh. capstan-cri (or containerd) then reaches them through
# registry mirrors for registry.k8s.io and gcr.io, with the images keeping their names.
#   prepare-images.sh REGISTRY_STATE_DIR WORK_DIR
set -euo pipefail
state=${1:?registry state dir}
work=${2:?work dir}
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../fixtures
mkdir -p "$work"
bash "$fixtures/build-busybox-image.sh" "$work/base" >/dev/null
base=$work/base/busybox-oci
push() { bash "$fixtures/registry.sh" push-raw "$state" "$1" "$2" >/dev/null; }
derive() { local out=$work/img-$1; shift; python3 "$here/derive_image.py" "$base" "$out" "$@"; }

# The default test image: busybox, plus stand-ins for the procps and util-linux tools the
# specs run in it (Debian's busybox-static has neither pgrep nor ipcs).
cat >"$work/pgrep" <<'SH'
#!/bin/sh
# pgrep PATTERN: the pids of processes whose name contains PATTERN.
status=1
for d in /proc/[0-9]*; do
  read -r comm <"$d/comm" 2>/dev/null || continue
  case "$comm" in *"$1"*) echo "${d#/proc/}"; status=0 ;; esac
done
exit $status
SH
cat >"$work/ipcs" <<'SH'
#!/bin/sh
# ipcs -m: the shared memory segments of this IPC namespace (key, shmid, owner, perms, bytes).
echo "key        shmid      owner      perms      bytes"
tail -n +2 /proc/sysvipc/shm | while read -r key shmid perms size rest; do
  echo "$key $shmid root $perms $size"
done
SH
derive busybox-tools --add "$work/pgrep:/bin/pgrep:0755" --add "$work/ipcs:/bin/ipcs:0755"
push "$work/img-busybox-tools" e2e-test-images/busybox:1.29-2

# Distinct images: each carries a file named after itself.
for name in test-image-1 test-image-2 test-image-3 test-image-latest test-image-tag test-image-tags; do
  echo "$name" >"$work/$name"
  derive "$name" --add "$work/$name:/$name"
done
push "$work/img-test-image-1" k8s-staging-cri-tools/test-image-1:latest
push "$work/img-test-image-2" k8s-staging-cri-tools/test-image-2:latest
push "$work/img-test-image-3" k8s-staging-cri-tools/test-image-3:latest
push "$work/img-test-image-latest" k8s-staging-cri-tools/test-image-latest:latest
push "$work/img-test-image-tag" k8s-staging-cri-tools/test-image-tag:test
push "$work/img-test-image-tag" k8s-staging-cri-tools/test-image-tag:all
for t in 1 2 3; do push "$work/img-test-image-tags" "k8s-staging-cri-tools/test-image-tags:$t"; done
# (test-image-digest is pinned to an upstream digest that no local build can match.)

# Users: www-data and the predefined group exist in these images' files.
cat >"$work/passwd" <<P
root:x:0:0:root:/root:/bin/sh
www-data:x:33:33:www-data:/var/www:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
default-user:x:1000:1000::/home/default-user:/bin/sh
P
cat >"$work/group" <<G
root:x:0:
www-data:x:33:
nogroup:x:65534:
default-user:x:1000:
group-defined-in-image:x:50000:default-user
G
declare -A users=([test-image-user-uid]=1002 [test-image-user-username]=www-data
                  [test-image-user-uid-group]=1003:1004 [test-image-user-username-group]=www-data:1004
                  [test-image-predefined-group]=1000)
for name in "${!users[@]}"; do
  derive "$name" --add "$work/passwd:/etc/passwd" --add "$work/group:/etc/group" --user "${users[$name]}"
  push "$work/img-$name" "k8s-staging-cri-tools/$name:latest"
done

# Web servers: busybox httpd in place of nginx and httpd. Like nginx, the stand-in writes
# /var/run/nginx.pid, its process is named nginx (busybox copied to /usr/sbin/nginx, run
# as the httpd applet through argv[0]) and "nginx: master process" shows in its command
# line (as the realm of an auth it never asks for): the PID namespace specs look for each.
echo "<html><body>Welcome to capstan's test web server</body></html>" >"$work/index.html"
derive web80 --add "$work/index.html:/www/index.html" --add "$(readlink -f /bin/busybox):/usr/sbin/nginx:0755" \
  --cmd '["sh","-c","mkdir -p /var/run && echo $$ > /var/run/nginx.pid && exec -a httpd /usr/sbin/nginx -f -p 80 -h /www -r \"nginx: master process\""]'
derive httpd80 --add "$work/index.html:/www/index.html" --cmd \
  '["sh","-c","echo \"httpd -D FOREGROUND\"; exec httpd -f -p 80 -h /www"]'
derive web12003 --add "$work/index.html:/www/index.html" --cmd '["httpd","-f","-p","12003","-h","/www"]'
push "$work/img-web80" e2e-test-images/nginx:1.14-2
push "$work/img-httpd80" e2e-test-images/httpd:2.4.39-4
push "$work/img-web12003" k8s-staging-cri-tools/hostnet-nginx-amd64:latest

# nonewprivs: a setuid-root program that prints its effective uid.
cat >"$work/nnp.c" <<'C'
#include <stdio.h>
#include <unistd.h>
int main(void) { printf("Effective uid: %d\n", (int)geteuid()); return 0; }
C
cc -static -O2 -o "$work/nnp" "$work/nnp.c"
derive nnp --add "$work/nnp:/usr/local/bin/nnp:4755" --cmd '["/usr/local/bin/nnp"]'
push "$work/img-nnp" e2e-test-images/nonewprivs:1.3
echo "critest images pushed"
