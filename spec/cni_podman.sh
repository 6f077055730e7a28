#!/bin/sh
# Runs one busybox container with podman 4.3 (CNI backend) whose network
# comes from a CNI plugin written in Lua, then looks for what it left.
# usage: spec/cni_podman.sh PLUGIN SCRATCH   (as root, inside spec/sandbox)
# It enters namespaces of its own (network, mount, pid): podman's state,
# /run, the CNI cache and every process it starts vanish with it.
# Output: the container's view, then "leftover: ..." lines, then "rc=N".
set -u
if [ "${1:-}" != --inner ]; then
	exec unshare --net --mount --pid --fork --mount-proc --propagation private -- "$0" --inner "$@"
fi
PLUGIN=$2 S=$3
mount -t tmpfs tmpfs /run && mkdir -p /run/netns
mount -t tmpfs tmpfs /var/lib && mkdir -p /var/lib/cni      # libcni's cache
mount -t tmpfs tmpfs "$S"
ip link set lo up
# crun 1.8 refuses hybrid cgroups whose v2 part has controllers
if [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] && grep -q . /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
	umount /sys/fs/cgroup/unified
fi
mkdir -p "$S/storage" "$S/run" "$S/tmp" "$S/net.d" "$S/cni-bin" "$S/ipam" \
	"$S/rootfs/bin" "$S/rootfs/etc" "$S/rootfs/proc" "$S/rootfs/sys" "$S/rootfs/dev" "$S/rootfs/tmp"
ln -s "$PLUGIN" "$S/cni-bin/luabridge"
cat > "$S/net.d/50-luanet.conflist" <<END
{"cniVersion":"1.0.0","name":"luanet","plugins":[{"type":"luabridge",
  "bridge":"luabr0","isGateway":true,
  "ipam":{"type":"host-local","dataDir":"$S/ipam","ranges":[[{"subnet":"10.77.0.0/24","gateway":"10.77.0.1"}]],
          "routes":[{"dst":"0.0.0.0/0"}]}}]}
END
cat > "$S/containers.conf" <<END
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$S/tmp/events.log"
tmp_dir = "$S/tmp"
runtime = "crun"
[network]
network_backend = "cni"
cni_plugin_dirs = ["$S/cni-bin", "/usr/lib/cni"]
network_config_dir = "$S/net.d"
END
cp "$(command -v busybox)" "$S/rootfs/bin/busybox"
for a in $("$S/rootfs/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$S/rootfs/bin/$a"; done
export CONTAINERS_CONF="$S/containers.conf"
p() { podman --root "$S/storage" --runroot "$S/run" --storage-driver vfs "$@"; }
echo "networks: $(p network ls --format '{{.Name}}' | tr '\n' ' ')"
# podman puts no time limit on plugins
timeout 120 podman --root "$S/storage" --runroot "$S/run" --storage-driver vfs run --rm --name luacni --network luanet --rootfs "$S/rootfs" /bin/sh -c \
	'ip -4 -o addr show; ip route; ping -c1 -W2 10.77.0.1' 2>&1
rc=$?
for _ in 1 2 3 4 5 6 7 8 9 10; do   # the DEL comes from a cleanup process conmon starts
	[ -z "$(find /run/netns -mindepth 1)" ] && break
	sleep 0.5
done
echo "leftover containers: $(p ps -a --format '{{.ID}}' | tr '\n' ' ')"
echo "leftover netns: $(find /run/netns -mindepth 1 | tr '\n' ' ')"
echo "leftover veth: $(ip -o link show type veth | tr '\n' ' ')"
echo "leftover reservations: $(find "$S/ipam" -type f ! -name lock ! -name 'last_reserved_ip.*' | tr '\n' ' ')"
echo "leftover cache: $(find /var/lib/cni/results -type f 2>/dev/null | tr '\n' ' ')"
echo "leftover processes: $(pgrep -l -x 'conmon|crun|podman' | tr '\n' ' ')"
echo "rc=$rc"
