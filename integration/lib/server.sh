# A capstan-server of the test's own (sourced): start_server ARGS... starts it on $tmp/data
# and a free port with ARGS added, records its pid in `pids` (the caller's cleanup kills
# them), exports KUBECONFIG and waits until it answers /readyz. Needs $bin_dir, $kubectl,
# $tmp and a `pids` array.
start_server() {
  "$bin_dir/capstan-server" --data-dir "$tmp/data" --bind-address 127.0.0.1 --secure-port 0 \
    "$@" >"$tmp/server.log" 2>&1 &
  pids+=($!)
  export KUBECONFIG="$tmp/data/admin.kubeconfig"
  for _ in $(seq 1 100); do
    [[ -s "$KUBECONFIG" ]] && "$kubectl" get --raw /readyz >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "capstan-server did not become ready"
  tail -20 "$tmp/server.log"
  return 1
}
