# Check helpers the shell integration tests share (sourced). Each check prints one line,
# "ok   NAME" or "FAIL NAME" with the command's output; `passed` and `failed` count them.
# The sourcing script sets $tmp (a scratch directory) first.
passed=0
failed=0
# check NAME COMMAND...: the command succeeds.
check() {
  local name=$1
  shift
  if "$@" >"$tmp/out" 2>&1; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    sed 's/^/     | /' "$tmp/out" | head -30
  fi
}
# contains TEXT COMMAND...: the command's combined output contains TEXT.
contains() {
  local want=$1
  shift
  local out
  out=$("$@" 2>&1)
  [[ "$out" == *"$want"* ]] && return 0
  echo "want: $want"
  echo "got:  $out"
  return 1
}
# matches REGEX COMMAND...: a line of the command's output matches REGEX (extended).
matches() {
  local re=$1
  shift
  local out
  out=$("$@" 2>&1)
  grep -Eq -- "$re" <<<"$out" && return 0
  echo "want /$re/"
  echo "got:  $out"
  return 1
}
# fails_with TEXT COMMAND...: the command fails, saying TEXT.
fails_with() {
  local want=$1
  shift
  local out
  if out=$("$@" 2>&1); then
    echo "unexpected success: $out"
    return 1
  fi
  [[ "$out" == *"$want"* ]] && return 0
  echo "want: $want"
  echo "got:  $out"
  return 1
}
# eventually SECONDS COMMAND...: the command succeeds within SECONDS.
eventually() {
  local limit=$1
  shift
  for _ in $(seq 1 $((limit * 5))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  "$@"
}
