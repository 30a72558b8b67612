# Shared by scripts/demo and the system tests' helpers: a two-host lab of
# network namespaces wired to sluiced through veth pairs. Source it.
#
# Every object is named with $LAB_PREFIX so that leftovers can always be
# found and removed (lab_down is idempotent).

LAB_PREFIX=${LAB_PREFIX:-sl}

# lab_host NAME ADDR/LEN: a namespace NAME with a veth pair: "eth0" inside,
# "$LAB_PREFIX-NAME" in the root namespace for sluiced to attach.
lab_host() {
  local host=$1 addr=$2 ns="$LAB_PREFIX-$1" outside="$LAB_PREFIX-$1"
  ip netns add "$ns"
  ip link add "$outside" type veth peer name eth0 netns "$ns"
  ip -n "$ns" addr add "$addr" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  ip link set "$outside" up
  # A user-space switch sees segments exactly as the kernel hands them to the
  # veth: without this, TCP sends partial checksums and 64 KiB GSO segments.
  ip netns exec "$ns" ethtool -K eth0 tx off tso off gso off >/dev/null 2>&1 || true
}

# lab_down: removes every namespace and veth this lab prefix created.
lab_down() {
  local ns link
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$LAB_PREFIX-" || true); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 |
    grep "^$LAB_PREFIX-" || true); do
    ip link del "$link" 2>/dev/null || true
  done
}
