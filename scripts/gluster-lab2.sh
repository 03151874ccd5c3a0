#!/usr/bin/env bash
# gluster-lab2.sh — a two-cluster GlusterFS lab on this one machine: three gluster nodes, each
# with its own network address and its own gluster state, reached over ssh. Run as root.
# Also reachable as `scripts/gluster-lab.sh CMD --clusters 2`.
#
#   up              node1 + node2 = the master trusted pool (peer probe), node3 = the slave
#                   pool alone; sshd on every node (root key login from this machine); volume
#                   c2master (replica 2: node1 + node2) holding a file `lab-seed`, volume c2slave
#                   (1 brick on node3). No session: georep creates them. Idempotent: a re-run
#                   on a healthy lab checks and changes nothing.
#   down [--full]   stop every process of the nodes (by network namespace, never by name),
#                   remove the namespaces, bridge and /etc/hosts lines. The nodes' gluster state
#                   and bricks stay (the next `up` brings the same pools back); --full wipes them.
#   status          nodes, pools, volumes, sessions; exit 0 when the lab is usable, 3 otherwise.
#   node-stop NODE  stop NODE's gluster (glusterd, bricks, gsyncd, mounts; its sshd stays):
#                   what the master pool sees when a peer goes down.
#   node-start NODE start it again (glusterd restarts its bricks and geo-rep workers), and
#                   its sshd if stopped.
#   sshd-stop NODE  stop NODE's sshd and every ssh session into it (gluster keeps running):
#                   what georep and the geo-rep workers see when ssh to a host fails.
#   glusterd-restart NODE
#                   restart NODE's glusterd only (its bricks, gsyncd and mounts keep running):
#                   what a node needs after its glusterd.vol changed (gluster-mountbroker).
#                   The same from inside a node: `ssh root@node3 georep-lab-glusterd restart`.
#   reset           delete every geo-rep session of both pools (a failback's reverse session is
#                   the slave pool's) and any session folder a node kept of a deleted one,
#                   make c2master writable again and re-create c2slave empty (what a test
#                   needs before it creates a session). A pool whose nodes disagree after a
#                   run killed mid-delete: `down --full` then `up` (what test.sh does).
#   nonroot-reset   `reset`, then no trace of a non-root session: the users geoaccount and
#                   geoaccount2, the group geogroup (and their homes), /var/mountbroker-root,
#                   the mountbroker's options in every node's glusterd.vol (the node's copy
#                   made again from this machine's; glusterd restarted where it changed), the
#                   group and modes `gluster-mountbroker setup` gave node3's directories. What
#                   a test of georep's set-up of a slave with no mountbroker starts from;
#                   also deletes `master2`'s volume.
#   master2         a second master volume, c2master2 (1 brick on node1), started: two
#                   sessions of two users into one slave volume.
#   exec NODE CMD…  run CMD inside NODE (its namespaces): e.g. `exec node1 gluster pool list`.
#
# Design: one network namespace + one mount namespace + one UTS namespace per node.
#  * Each node is a network namespace (veth into the bridge georep-br0 of this machine, which
#    has 10.77.0.254), addresses 10.77.0.1-3, names node1-3 in /etc/hosts (gluster uses host
#    names for bricks and for the slave host). glusterd listens on *:24007 and allocates brick
#    ports from 49152 in its own namespace, so nothing collides with the single-machine lab's
#    glusterd on this machine's 0.0.0.0:24007.
#  * A private mount namespace per node bind-mounts the node's own directories over
#    /run, /var/lib/glusterd, /var/log/glusterfs, /var/lib/misc/gluster, /root/.ssh and
#    /etc/glusterfs. glusterd, its bricks, gsyncd (master side, started by glusterd) and the
#    sshd of the node (hence gsyncd's slave side and push-pem's hook commands, which arrive
#    over ssh) all run in it and see the node's state only. /etc/glusterfs is a node's own
#    copy of this machine's (made at the node's first `up`) because gluster-mountbroker (a
#    non-root session's slave set-up) rewrites glusterd.vol, which glusterd reads at start:
#    that needs a glusterd restart on the node (no systemd here: `glusterd-restart`, or
#    georep-lab-glusterd inside the node).
#  * Shared with this machine, not per node: users and groups (/etc/passwd, /etc/group: a
#    mountbroker user such as geoaccount made on node3 exists on every node and here), /home
#    (its ~/.ssh/authorized_keys, which push-pem's hook and set_geo_rep_pem_keys.sh fill) and
#    a mountbroker root such as /var/mountbroker-root (the directories; the aux mounts in it
#    live in the node's mount namespace only).
#  * A non-root (mountbroker) session, found by doing it with glusterfs 10.3: the user needs a
#    password field that is not locked (`useradd -p '*'`, or `usermod -p '*'`: useradd's `!`
#    makes the nodes' sshd, UsePAM no, refuse it: "User geoaccount not allowed because account
#    is locked"); gverify runs `source /etc/profile && gluster --version` as that user and
#    Debian's /etc/profile PATH for users lacks /usr/sbin ("gluster command not found on node3
#    for user geoaccount"), hence `up`'s link /usr/local/bin/gluster -> /usr/sbin/gluster;
#    gluster-mountbroker's changes count after a glusterd restart of the slave node (before:
#    workers Faulty, "MountbrokerMounter: glusterd answered [{mnt=}]"); a mountbroker root
#    writable by group or others stops that glusterd from starting ("permissions on
#    mountbroker-root directory ... are too liberal").
#  * The other design, several glusterd on 127.1.1.x in one namespace (gluster's
#    tests/cluster.rc, with --xlator-option management.transport.socket.bind-address), cannot
#    do geo-replication, found by doing and reading gsyncd 10.3:
#     - binding 127.1.1.1:24007 fails with EADDRINUSE while the single-machine lab's glusterd
#       listens on 0.0.0.0:24007 (a listening wildcard socket owns the port on every address);
#     - gsyncd hard-codes the state paths (syncdaemon/conf.py GLUSTERD_WORKDIR =
#       "/var/lib/glusterd", UUID_FILE; gsyncd.conf: /var/run/gluster, /var/lib/misc/gluster)
#       and asks "its" glusterd with `--remote-host=localhost` (monitor.py: the slave's
#       Volinfo; syncdutils.py Volinfo; gverify.sh mounts `glusterfs -s localhost`), and the
#       push-pem hook runs `gluster system:: copy file` / `add_secret_pub` through the slave's
#       sshd with the default socket: with one /var/lib/glusterd and one localhost per machine
#       every node's gsyncd and every sshd command reach the same glusterd.
#    A network namespace alone is not enough either (/var/lib/glusterd would be shared), hence
#    the mount namespace. It covers all of /run, not only /run/gluster: glusterd's CLI socket
#    is /run/glusterd.socket, and a second glusterd with only its own /run/gluster refused to
#    start ("0-socket.management: binding to  failed: Address already in use", "Failed to
#    start glusterd unix domain socket listener") after connecting to the first one's socket.
#  * Namespaces are pinned by bind mounts: /run/netns/georep-NODE (ip netns) and
#    /run/georep-lab2/NODE.{mnt,uts}; `exec` enters all three with nsenter. A node's mount
#    namespace is a copy of this machine's mounts taken at `up`: FUSE mounts and namespace pins
#    in that copy are detached at once, so it keeps no other glusterfs client alive.
#  * ssh: a lab key (node to node: gverify, push-pem's hook, gsyncd) is each node's root key;
#    every node's authorized_keys also holds this machine's root key (georep's `ssh`
#    connection: `ssh -o BatchMode=yes -l root nodeN gluster …`). Host keys are kept across
#    `down --full`, so this machine's known_hosts stays valid.
#  * Pitfalls shared with gluster-lab.sh: glusterd started with `env -i` and a clean PATH
#    (and, like every daemon here, without the caller's open descriptors), bricks on the root
#    file system need `force`; for sessions (georep's to create): sync method tarssh (rsync
#    3.5), and the push-pem keys arrive after `create` returned. gluster-lab.sh's stall
#    mitigation is not applied here: georep's health probe is what finds a stalled worker.
#
# Knobs: LAB2_STATE=/var/lib/georep-lab/clusters (node state, pid files, lab2.log; a node's
#   /etc/glusterfs is $LAB2_STATE/NODE/etc-glusterfs), LAB2_ROOT=/srv/georep-lab2 (bricks:
#   $LAB2_ROOT/NODE/VOLUME/b1), LAB2_NET=10.77.0, LAB2_MASTER=c2master LAB2_SLAVE=c2slave,
#   LAB2_VERBOSE=1 (log on stderr too).
# In-node command: `up` installs /usr/local/sbin/georep-lab-glusterd (shared file system, so
#   every node has it; also the link /usr/local/bin/gluster, see above); run inside a node
#   (ssh root@nodeN, or `exec nodeN`) it manages that node's glusterd: `restart` (stop by
#   /run/gluster/glusterd.pid, start as `up` does: clean env, the node's TZ, same arguments;
#   then wait until `gluster pool list` answers), `stop`, `start`, `status`. Stopping
#   glusterd leaves bricks, gsyncd and FUSE mounts running; the new glusterd takes them over.
#   It knows a node by /run/georep-lab2-node (the node's private /run; NODE= and NODE_TZ=)
#   and refuses to run elsewhere (exit 2: this machine's glusterd is not its). Log: the
#   node's /var/log/glusterfs/georep-lab-glusterd.log.
set -euo pipefail

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8

LAB2_STATE=${LAB2_STATE:-/var/lib/georep-lab/clusters}
LAB2_ROOT=${LAB2_ROOT:-/srv/georep-lab2}
LAB2_NET=${LAB2_NET:-10.77.0}
LAB2_MASTER=${LAB2_MASTER:-c2master}
LAB2_SLAVE=${LAB2_SLAVE:-c2slave}
LAB2_VERBOSE=${LAB2_VERBOSE:-0}
NODES=(node1 node2 node3)
BRIDGE=georep-br0
NSDIR=/run/georep-lab2
LOG=$LAB2_STATE/lab2.log
KEYS=$LAB2_STATE/keys            # lab key and host keys: kept by down --full
CLEAN_ENV=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root)
GLUSTERD_ARGS=(-p /run/gluster/glusterd.pid --log-level INFO)  # in the node's /run
HELPER=/usr/local/sbin/georep-lab-glusterd                      # see the header
# The master pool's nodes live in another zone than this machine and the slave (a checkpoint
# label is read in the CLI's local time: georep must not depend on a node being on UTC).
node_tz() { case $1 in node1 | node2) echo Asia/Kolkata ;; *) echo UTC ;; esac; }
T0=$SECONDS

note() { printf '%s\n' "$*" >>"$LOG"; [[ $LAB2_VERBOSE != 1 ]] || printf '%s\n' "$*" >&2; }
step() { printf 'gluster-lab2: %s\n' "$*"; note "== [$(date +%T)] $*"; }
die() {
  printf 'gluster-lab2: ERROR: %s\n' "$*" >&2
  note "!! [$(date +%T)] ERROR: $*"
  printf 'gluster-lab2: details in %s\n' "$LOG" >&2
  exit 1
}
run() { note "\$ $*"; "$@" 9>&- >>"$LOG" 2>&1; }
# daemon CMD...: `run` with every inherited descriptor above 2 closed: a daemon keeps what it
# inherits for its whole life (e.g. a caller's lock file, held for ever)
daemon() {
  note "\$ $*"
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      ((fd > 2)) && eval "exec $fd>&-"
    done
    "$@"
  ) >>"$LOG" 2>&1 </dev/null
}

# ------------------------------------------------------------------------------ nodes
num() { echo "${1#node}"; }
addr() { echo "$LAB2_NET.$(num "$1")"; }
netns() { echo "georep-$1"; }
node_dir() { echo "$LAB2_STATE/$1"; }
node_up() {  # the node's namespaces exist
  [[ -e /run/netns/$(netns "$1") ]] && findmnt -rn "$NSDIR/$1.mnt" >/dev/null 2>&1
}
# on_node NODE CMD...: CMD inside the node's network, mount and UTS namespaces
on_node() {
  local n=$1; shift
  nsenter --net="/run/netns/$(netns "$n")" --mount="$NSDIR/$n.mnt" --uts="$NSDIR/$n.uts" -- "$@"
}
# gx NODE ARGS...: `gluster --mode=script --xml ARGS` on NODE (exit status is meaningless in
# --xml mode: read opRet)
gx() {
  local n=$1; shift
  note "\$ [$n] gluster --xml $*"
  on_node "$n" timeout 150 gluster --mode=script --xml "$@" 9>&- 2>>"$LOG" || true
}

read -r -d '' PYHELP <<'PY' || true
import sys, xml.etree.ElementTree as ET
mode, args = sys.argv[1], sys.argv[2:]
try:
    r = ET.fromstring(sys.stdin.read())
except Exception:
    r = None
def t(e, k):
    return (e.findtext(k) or "").strip()
if mode == "ret":                      # opRet <TAB> opErrstr
    print("PARSE\t" if r is None else t(r, "opRet") + "\t" + " ".join(t(r, "opErrstr").split()))
elif mode == "peers":                  # hostname connected(1/0)
    for p in ([] if r is None else r.iter("peer")):
        print(t(p, "hostname") + "\t" + t(p, "connected"))
elif mode == "volinfo":                # name status
    for v in ([] if r is None else r.iter("volume")):
        if v.find("bricks") is not None:
            print(t(v, "name") + "\t" + t(v, "statusStr"))
elif mode == "volstatus":              # name online total
    for v in ([] if r is None else r.iter("volume")):
        nodes = [n for n in v.findall("node") if t(n, "path").startswith("/")]
        print("\t".join([t(v, "volName"), str(sum(t(n, "status") == "1" for n in nodes)), str(len(nodes))]))
elif mode == "sessions":               # primary secondary(host::vol) worker states
    for v in ([] if r is None else r.iter("volume")):
        for s in v.iter("session"):
            ps = list(s.iter("pair"))
            if ps:
                sec = t(ps[0], "secondary").replace("ssh://", "")
                print("\t".join([t(v, "name"), sec, ",".join(sorted(t(p, "status") for p in ps))]))
PY
xq() { /usr/bin/python3 -c "$PYHELP" "$@"; }
ok_ret() {  # ok_ret XML WHAT: dies unless opRet is 0
  local ret
  ret=$(xq ret <<<"$1")
  [[ ${ret%%$'\t'*} == 0 ]] || die "$2: ${ret#*$'\t'}"
}

# ----------------------------------------------------------------------------- set-up
need_packages() {
  # command -> Debian package; a fresh machine gets them from apt
  local -A pkg=([ip]=iproute2 [nsenter]=util-linux [unshare]=util-linux [findmnt]=util-linux
    [glusterd]=glusterfs-server [gluster]=glusterfs-server [mount.glusterfs]=glusterfs-client
    [sshd]=openssh-server [ssh]=openssh-client [ssh-keygen]=openssh-client [flock]=util-linux
    [timeout]=coreutils [python3]=python3 [tar]=tar [pgrep]=procps)
  local c missing=()
  for c in "${!pkg[@]}"; do command -v "$c" >/dev/null || missing+=("${pkg[$c]}"); done
  [[ -f /usr/lib/openssh/sftp-server ]] || missing+=(openssh-sftp-server)
  ((${#missing[@]})) || return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  step "installing ${missing[*]}"
  run apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "apt-get install ${missing[*]} failed"
}

ensure_network() {
  local n ns v
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    run ip link add "$BRIDGE" type bridge || die "cannot create bridge $BRIDGE (no bridge support in this kernel?)"
  fi
  ip -4 addr show dev "$BRIDGE" | grep -q "inet $LAB2_NET.254/" || run ip addr add "$LAB2_NET.254/24" dev "$BRIDGE"
  run ip link set "$BRIDGE" up
  for n in "${NODES[@]}"; do
    ns=$(netns "$n"); v=gr-$n
    [[ -e /run/netns/$ns ]] || run ip netns add "$ns" || die "cannot create network namespace $ns"
    if ! ip link show "$v" >/dev/null 2>&1; then
      run ip link add "$v" type veth peer name eth0 netns "$ns" || die "cannot create veth $v"
    fi
    run ip link set "$v" master "$BRIDGE"
    run ip link set "$v" up
    ip netns exec "$ns" ip -4 addr show dev eth0 | grep -q "inet $(addr "$n")/" \
      || run ip netns exec "$ns" ip addr add "$(addr "$n")/24" dev eth0
    run ip netns exec "$ns" ip link set lo up
    run ip netns exec "$ns" ip link set eth0 up
  done
  # the names gluster records for bricks and the slave host
  for n in "${NODES[@]}"; do
    grep -qE "^$(addr "$n")[[:space:]]+$n([[:space:]]|\$)" /etc/hosts \
      || printf '%s %s # georep-lab2\n' "$(addr "$n")" "$n" >>/etc/hosts
  done
  for n in "${NODES[@]}"; do
    # reachable: a closed port answers at once ("refused"), an unreachable address times out
    for _ in $(seq 30); do
      [[ $(timeout 1 bash -c "exec 3<>/dev/tcp/$(addr "$n")/9" 2>&1) == *refused* ]] && continue 2
      sleep 0.2
    done
    die "$n ($(addr "$n")) cannot be reached from this machine"
  done
  step "network: $BRIDGE $LAB2_NET.254/24, node1-3 at $LAB2_NET.1-3"
}

ensure_keys() {
  local n
  mkdir -p "$KEYS" && chmod 700 "$KEYS"
  [[ -f $KEYS/lab_ed25519 ]] || run ssh-keygen -q -t ed25519 -N '' -C "georep-lab2 nodes" -f "$KEYS/lab_ed25519"
  for n in "${NODES[@]}"; do
    [[ -f $KEYS/${n}_host_ed25519 ]] || run ssh-keygen -q -t ed25519 -N '' -C "$n" -f "$KEYS/${n}_host_ed25519"
  done
  # this machine's root key: georep's ssh connection uses it
  mkdir -p /root/.ssh && chmod 700 /root/.ssh
  ROOT_KEY=
  for k in id_ed25519 id_rsa id_ecdsa; do [[ -f /root/.ssh/$k ]] && { ROOT_KEY=/root/.ssh/$k; break; }; done
  if [[ -z $ROOT_KEY ]]; then
    ROOT_KEY=/root/.ssh/id_ed25519
    run ssh-keygen -q -t ed25519 -N '' -C "root@$(hostname)" -f "$ROOT_KEY"
  fi
  [[ -f $ROOT_KEY.pub ]] || ssh-keygen -y -f "$ROOT_KEY" >"$ROOT_KEY.pub"
}

ensure_node_dirs() {  # ensure_node_dirs NODE
  local d
  d=$(node_dir "$1")
  mkdir -p "$d"/{glusterd,run/gluster,log,misc,ssh} "$LAB2_ROOT/$1"
  chmod 700 "$d/ssh"
  # the node's own /etc/glusterfs (gluster-mountbroker rewrites its glusterd.vol)
  if [[ ! -d $d/etc-glusterfs ]]; then
    rm -rf "$d/etc-glusterfs.tmp"
    cp -a /etc/glusterfs "$d/etc-glusterfs.tmp" 2>>"$LOG" \
      || die "cannot copy /etc/glusterfs (is glusterfs-server installed?)"
    mv "$d/etc-glusterfs.tmp" "$d/etc-glusterfs"
  fi
  node_marker "$1"
  # a fresh node gets the package's hook scripts (push-pem's hook installs the keys) and groups
  if [[ ! -d $d/glusterd/hooks ]]; then
    cp -a /var/lib/glusterd/hooks /var/lib/glusterd/groups "$d/glusterd/" 2>>"$LOG" \
      || die "cannot copy glusterd's hooks from /var/lib/glusterd (is glusterfs-server installed?)"
  fi
  cp "$KEYS/lab_ed25519" "$d/ssh/id_ed25519"
  cp "$KEYS/lab_ed25519.pub" "$d/ssh/id_ed25519.pub"
  chmod 600 "$d/ssh/id_ed25519"
  touch "$d/ssh/authorized_keys" && chmod 600 "$d/ssh/authorized_keys"
  local k
  for k in "$KEYS/lab_ed25519.pub" "$ROOT_KEY.pub"; do
    grep -qF "$(awk '{print $2}' "$k")" "$d/ssh/authorized_keys" || cat "$k" >>"$d/ssh/authorized_keys"
  done
  cat >"$d/sshd_config" <<EOF
ListenAddress $(addr "$1")
Port 22
HostKey $KEYS/${1}_host_ed25519
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AuthorizedKeysFile .ssh/authorized_keys
# push-pem's hook copies the key with scp, which speaks sftp since OpenSSH 9
Subsystem sftp /usr/lib/openssh/sftp-server
SetEnv TZ=$(node_tz "$1")
EOF
}

# node_marker NODE: /run/georep-lab2-node in the node's /run: how georep-lab-glusterd knows
# it runs inside a node, and the node's TZ
node_marker() {
  printf 'NODE=%s\nNODE_TZ=%s\n' "$1" "$(node_tz "$1")" >"$(node_dir "$1")/run/georep-lab2-node"
}

ensure_mountns() {  # ensure_mountns NODE: the node's UTS + private mount namespace
  local n=$1 d
  d=$(node_dir "$n")
  if ! findmnt -rn "$NSDIR" >/dev/null 2>&1; then
    mkdir -p "$NSDIR"
    run mount --bind "$NSDIR" "$NSDIR"
    run mount --make-private "$NSDIR"
  fi
  if findmnt -rn "$NSDIR/$n.mnt" >/dev/null 2>&1; then
    # a pin that outlived its machine's state (seen: /root reset under a kept /run) has lost
    # the node's binds: made again
    if nsenter --mount="$NSDIR/$n.mnt" -- findmnt -rn /root/.ssh >/dev/null 2>&1; then
      # a namespace made before nodes had their own /etc/glusterfs: bound now (the copy is
      # what the running glusterd read)
      if ! nsenter --mount="$NSDIR/$n.mnt" -- findmnt -rn /etc/glusterfs >/dev/null 2>&1; then
        run nsenter --mount="$NSDIR/$n.mnt" -- mount --bind "$d/etc-glusterfs" /etc/glusterfs \
          || die "$n: cannot bind its /etc/glusterfs"
        step "$n: own /etc/glusterfs bound"
      fi
      return 0
    fi
    step "$n: stale mount namespace (no /root/.ssh bind): made again"
    umount "$NSDIR/$n.mnt" "$NSDIR/$n.uts" 2>>"$LOG" || true
  fi
  touch "$NSDIR/$n.mnt" "$NSDIR/$n.uts"
  mkdir -p /var/lib/misc/gluster /run/gluster /var/log/glusterfs /var/lib/glusterd
  # shellcheck disable=SC2016
  run unshare --mount="$NSDIR/$n.mnt" --uts="$NSDIR/$n.uts" --propagation private -- bash -c '
    set -e
    hostname "$1"
    # copies of FUSE mounts and of namespace pins would keep them alive: detach them here
    for m in $(awk -v ns="$3" '\''$3 ~ /^fuse/ || index($2, ns) == 1 || index($2, "/run/netns") == 1 {print $2}'\'' /proc/self/mounts | sort -ru); do
      umount -l "$m" 2>/dev/null || true
    done
    mount --bind "$2/glusterd" /var/lib/glusterd
    # all of /run: glusterd'"'"'s socket is /run/glusterd.socket, beside gluster'"'"'s /run/gluster
    mount --bind "$2/run" /run
    mkdir -p /run/gluster /run/sshd /run/lock
    mount --bind "$2/log" /var/log/glusterfs
    mount --bind "$2/misc" /var/lib/misc/gluster
    mount --bind "$2/ssh" /root/.ssh
    mount --bind "$2/etc-glusterfs" /etc/glusterfs
  ' _ "$n" "$d" "$NSDIR" || die "cannot create the mount namespace of $n"
}

# pids of the processes in NODE's network namespace
node_pids() {
  local want p
  want=$(stat -L -c %i "/run/netns/$(netns "$1")" 2>/dev/null) || return 0
  for p in /proc/[0-9]*; do
    [[ $(stat -L -c %i "$p/ns/net" 2>/dev/null) == "$want" ]] && echo "${p#/proc/}"
  done
  return 0
}
comm_of() { cat "/proc/$1/comm" 2>/dev/null || true; }
node_pid() {  # node_pid NODE COMM: the node's process named COMM
  local p
  for p in $(node_pids "$1"); do [[ $(comm_of "$p") == "$2" ]] && { echo "$p"; return 0; }; done
  return 1
}

ensure_sshd() {  # ensure_sshd NODE
  local n=$1 pid
  if pid=$(node_pid "$n" sshd); then note "$n: sshd running (pid $pid)"; return 0; fi
  daemon on_node "$n" "${CLEAN_ENV[@]}" TZ="$(node_tz "$n")" /usr/sbin/sshd -f "$(node_dir "$n")/sshd_config" -E /var/log/glusterfs/sshd.log \
    || die "$n: sshd did not start (see $(node_dir "$n")/log/sshd.log)"
  step "$n: sshd started on $(addr "$n"):22"
}

ensure_root_ssh() {  # this machine's root can log in to every node by name
  local n
  for n in "${NODES[@]}"; do
    for _ in $(seq 50); do timeout 2 bash -c "exec 3<>/dev/tcp/$(addr "$n")/22" 2>/dev/null && break; sleep 0.1; done
    if ! run ssh -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=accept-new "root@$n" true; then
      # a host key remembered from an earlier lab
      run ssh-keygen -R "$n" -f /root/.ssh/known_hosts || true
      run ssh -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=accept-new "root@$n" true \
        || die "root ssh to $n does not work (see $LOG and $(node_dir "$n")/log/sshd.log)"
    fi
  done
  step "ssh: root@node1..3 accept this machine's key"
}

glusterd_answers() { on_node "$1" timeout 20 gluster --mode=script pool list >/dev/null 2>&1; }
. "$(dirname "${BASH_SOURCE[0]}")/lab-common.sh"  # clear_stale_pidfiles

# ensure_helper: /usr/local/sbin/georep-lab-glusterd (see the header), the one way a node's
# glusterd is started: by `up`, `node-start` and `glusterd-restart` as from inside a node
ensure_helper() {
  local tmp=$HELPER.tmp.$$
  mkdir -p "${HELPER%/*}"
  {
    cat <<'HELPER_HEAD'
#!/bin/bash
# georep-lab-glusterd — written by gluster-lab2.sh `up` (georep's two-cluster lab; see that
# script's header). Inside a lab node only (ssh root@nodeN, or gluster-lab2.sh exec nodeN):
#   start | stop | restart | status   of the node's glusterd (no systemd in a node).
# stop ends glusterd alone (by its pid file): bricks, gsyncd and FUSE mounts keep running and
# the next glusterd takes them over.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
MARK=/run/georep-lab2-node
PIDFILE=/run/gluster/glusterd.pid
LOG=/var/log/glusterfs/georep-lab-glusterd.log
HELPER_HEAD
    printf 'CLEAN_ENV=(%s)
' "$(printf '%q ' "${CLEAN_ENV[@]}")"
    printf 'GLUSTERD_ARGS=(%s)
' "$(printf '%q ' "${GLUSTERD_ARGS[@]}")"
    declare -f clear_stale_pidfiles
    cat <<'HELPER_BODY'
note() { printf '%s
' "$*" >>"$LOG"; }
say() { printf 'georep-lab-glusterd: %s
' "$*"; note "[$(date '+%F %T')] $*"; }
die() { printf 'georep-lab-glusterd: ERROR: %s
' "$*" >&2; note "[$(date '+%F %T')] ERROR: $*"; exit 1; }
[[ $(id -u) == 0 ]] || die "must run as root"
if [[ ! -r $MARK ]]; then
  echo "georep-lab-glusterd: not inside a gluster-lab2 node (no $MARK)" >&2
  exit 2
fi
NODE='' NODE_TZ=''
# shellcheck source=/dev/null
. "$MARK"
NETNS=$(stat -L -c %i /proc/self/ns/net)

running() {  # the pid of this node's glusterd: its pid file's, else its network namespace's
  local pid p
  pid=$(tr -dc 0-9 <"$PIDFILE" 2>/dev/null || true)
  if [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == glusterd     && $(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null) == "$NETNS" ]]; then
    echo "$pid"; return 0
  fi
  for p in /proc/[0-9]*; do
    if [[ $(cat "$p/comm" 2>/dev/null) == glusterd && $(stat -L -c %i "$p/ns/net" 2>/dev/null) == "$NETNS" ]]; then
      echo "${p#/proc/}"; return 0
    fi
  done
  return 1
}
answers() { timeout 20 gluster --mode=script pool list >/dev/null 2>&1; }

do_stop() {
  local pid
  if ! pid=$(running); then say "$NODE: glusterd not running"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 150); do [[ -e /proc/$pid ]] || break; sleep 0.1; done
  if [[ -e /proc/$pid ]]; then
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 50); do [[ -e /proc/$pid ]] || break; sleep 0.1; done
    [[ ! -e /proc/$pid ]] || die "$NODE: glusterd (pid $pid) does not stop"
    say "$NODE: glusterd (pid $pid) killed (SIGTERM did not end it in 15 s)"
  else
    say "$NODE: glusterd (pid $pid) stopped"
  fi
}

do_start() {
  local pid
  if ! pid=$(running); then
    clear_stale_pidfiles /run "$NETNS"
    note "\$ ${CLEAN_ENV[*]} TZ=$NODE_TZ /usr/sbin/glusterd ${GLUSTERD_ARGS[*]}"
    # without the caller's descriptors (an ssh session's, a lock file): a daemon keeps them
    (
      for fd in "/proc/$BASHPID/fd"/*; do
        fd=${fd##*/}
        if ((fd > 2)); then eval "exec $fd>&-"; fi
      done
      exec "${CLEAN_ENV[@]}" TZ="$NODE_TZ" /usr/sbin/glusterd "${GLUSTERD_ARGS[@]}"
    ) </dev/null >>"$LOG" 2>&1 || die "$NODE: glusterd did not start (see /var/log/glusterfs/glusterd.log)"
    pid=$(running) || die "$NODE: glusterd exited at once (see /var/log/glusterfs/glusterd.log)"
    say "$NODE: glusterd started (pid $pid)"
  fi
  for _ in $(seq 100); do answers && return 0; sleep 0.2; done
  die "$NODE: glusterd (pid $pid) does not answer (see /var/log/glusterfs/glusterd.log)"
}

case ${1:-} in
  start) do_start ;;
  stop) do_stop ;;
  restart) t0=$SECONDS; do_stop; do_start; say "$NODE: glusterd answers ($((SECONDS - t0)) s)" ;;
  status)
    if pid=$(running); then
      if answers; then echo "$NODE: glusterd pid $pid, answers"; exit 0; fi
      echo "$NODE: glusterd pid $pid, does not answer"; exit 3
    fi
    echo "$NODE: glusterd not running"; exit 3 ;;
  *) echo "usage: georep-lab-glusterd start|stop|restart|status (inside a gluster-lab2 node)" >&2; exit 2 ;;
esac
HELPER_BODY
  } >"$tmp"
  chmod 755 "$tmp"
  if cmp -s "$tmp" "$HELPER"; then rm -f "$tmp"; else mv -f "$tmp" "$HELPER"; note "$HELPER written"; fi
  # a non-root session's gverify finds gluster with a user's PATH (see the header)
  [[ -e /usr/local/bin/gluster || -L /usr/local/bin/gluster ]] || run ln -s /usr/sbin/gluster /usr/local/bin/gluster
}

ensure_glusterd() {  # ensure_glusterd NODE
  local n=$1 pid
  if pid=$(node_pid "$n" glusterd); then
    note "$n: glusterd running (pid $pid)"
  else
    [[ -f $(node_dir "$n")/run/georep-lab2-node ]] || node_marker "$n"
    daemon on_node "$n" "$HELPER" start \
      || die "$n: glusterd did not start (see $(node_dir "$n")/log/glusterd.log, georep-lab-glusterd.log)"
    step "$n: glusterd started"
  fi
  for _ in $(seq 100); do glusterd_answers "$n" && return 0; sleep 0.2; done
  die "$n: glusterd does not answer (see $(node_dir "$n")/log/glusterd.log)"
}

ensure_pool() {  # node2 joins node1's pool; node3 stays alone
  local x i peers
  peers=$(gx node1 pool list | xq peers)
  if ! grep -q "^node2"$'\t'"1" <<<"$peers"; then
    x=$(gx node1 peer probe node2); ok_ret "$x" "peer probe node2"
    for i in $(seq 60); do
      grep -q "^node2"$'\t'"1" <<<"$(gx node1 pool list | xq peers)" && break
      ((i < 60)) || die "node2 does not join node1's pool"
      sleep 0.5
    done
    # so node2 knows node1 by name, not by the address the probe came from
    x=$(gx node2 peer probe node1); ok_ret "$x" "peer probe node1 (from node2)"
  fi
  step "pools: node1 + node2 (master), node3 (slave)"
}

ensure_volume() {  # ensure_volume NODE VOLUME BRICK...: created (force: root fs), started, online
  local n=$1 vol=$2 x st on total i b; shift 2
  st=$(gx "$n" volume info "$vol" | xq volinfo | cut -f2)
  if [[ -z $st ]]; then
    for b in "$@"; do
      # a brick dir of an earlier volume keeps xattrs that make create fail
      rm -rf "${LAB2_ROOT:?}/${b%%:*}/$vol"
      mkdir -p "$LAB2_ROOT/${b%%:*}/$vol/b1"
    done
    local bricks=()
    for b in "$@"; do bricks+=("${b%%:*}:$LAB2_ROOT/${b%%:*}/$vol/b1"); done
    if (($# > 1)); then
      x=$(gx "$n" volume create "$vol" replica $# "${bricks[@]}" force)
    else
      x=$(gx "$n" volume create "$vol" "${bricks[@]}" force)
    fi
    ok_ret "$x" "volume create $vol"
    step "volume $vol: created (${bricks[*]})"
    st=Created
  fi
  if [[ $st != Started ]]; then
    x=$(gx "$n" volume start "$vol"); ok_ret "$x" "volume start $vol"
  fi
  for i in $(seq 60); do
    IFS=$'\t' read -r _ on total < <(gx "$n" volume status "$vol" | xq volstatus) || true
    [[ -n ${total:-} && $total == "$#" && $on == "$total" ]] && break
    ((i == 20)) && gx "$n" volume start "$vol" force >/dev/null
    sleep 0.5
  done
  [[ ${on:-0} == "$#" ]] || die "volume $vol: only ${on:-0}/$# bricks online"
  step "volume $vol: started, $on/$# bricks online"
}

# A file written through a FUSE mount inside node1 before any session: every new session has
# it to copy (its first crawl), so a test can see that data really crosses to the slave pool.
ensure_seed() {
  local m=/run/gluster/lab-seed-mnt
  if [[ -f $LAB2_ROOT/node1/$LAB2_MASTER/b1/lab-seed ]]; then return 0; fi
  daemon on_node node1 bash -c "mkdir -p $m && mount -t glusterfs node1:/$LAB2_MASTER $m \
    && echo 'georep two-cluster lab' >$m/lab-seed; r=\$?; umount $m || umount -l $m; exit \$r" \
    || die "cannot write lab-seed to $LAB2_MASTER"
  step "volume $LAB2_MASTER: lab-seed written"
}

# --------------------------------------------------------------------------- commands
prepare() {
  [[ $(id -u) == 0 ]] || { echo "gluster-lab2: must run as root" >&2; exit 1; }
  mkdir -p "$LAB2_STATE"
  if [[ -f $LOG && $(stat -c %s "$LOG") -gt 4000000 ]]; then mv -f "$LOG" "$LOG.1"; fi
  note ""
  note "######## [$(date '+%F %T')] gluster-lab2.sh $*"
}
with_lock() {
  exec 9>"$LAB2_STATE/lock"
  flock -w 900 9 || die "another gluster-lab2.sh is still running (lock $LAB2_STATE/lock)"
}

cmd_up() {
  local n
  need_packages
  [[ -e /dev/fuse ]] || die "/dev/fuse is missing: geo-replication's aux mounts need FUSE"
  ensure_network
  ensure_keys
  for n in "${NODES[@]}"; do ensure_node_dirs "$n"; ensure_mountns "$n"; ensure_sshd "$n"; done
  ensure_root_ssh
  ensure_helper
  for n in "${NODES[@]}"; do ensure_glusterd "$n"; done
  ensure_pool
  ensure_volume node1 "$LAB2_MASTER" node1 node2
  ensure_volume node3 "$LAB2_SLAVE" node3
  ensure_seed
  echo "---"
  show_status
  echo "--- two-cluster lab up in $((SECONDS - T0))s (log: $LOG)"
}

STATUS_OK=0
show_status() {
  local n ok=1 pid v st on total prim sec states
  for n in "${NODES[@]}"; do
    if ! node_up "$n"; then echo "$n:    down"; ok=0; continue; fi
    local g s
    g=$(node_pid "$n" glusterd || true); s=$(node_pid "$n" sshd || true)
    echo "$n:    $(addr "$n") glusterd ${g:+pid }${g:-not running}, sshd ${s:+pid }${s:-not running}"
    [[ -n $s ]] || ok=0
  done
  if ((ok)) && glusterd_answers node1; then
    echo "pool:     node1 sees $(gx node1 pool list | xq peers | awk -F'\t' '{printf "%s%s ", $1, ($2=="1" ? "" : "(disconnected)")}')"
    for v in "node1 $LAB2_MASTER 2" "node3 $LAB2_SLAVE 1"; do
      set -- $v
      st=$(gx "$1" volume info "$2" | xq volinfo | cut -f2)
      IFS=$'\t' read -r _ on _ < <(gx "$1" volume status "$2" | xq volstatus) || true
      echo "volume:   $2 on $1: ${st:-missing}, ${on:-0}/$3 bricks online"
      [[ $st == Started ]] || ok=0
    done
    while IFS=$'\t' read -r prim sec states; do
      [[ -n $prim ]] && echo "session:  $prim -> $sec: $states"
    done < <(gx node1 volume geo-replication status | xq sessions)
  else
    ok=0
  fi
  if ((ok)); then STATUS_OK=1; echo "lab2:     UP"; else echo "lab2:     DOWN"; fi
}

stop_node_processes() {  # stop_node_processes NODE [keep-sshd]
  local n=$1 keep=${2:-} p pids=() m
  # glusterd first, so it does not restart what goes next
  if p=$(node_pid "$n" glusterd); then kill "$p" 2>/dev/null || true; fi
  for _ in $(seq 50); do node_pid "$n" glusterd >/dev/null || break; sleep 0.1; done
  for p in $(node_pids "$n"); do
    [[ -n $keep && $(comm_of "$p") == sshd ]] && continue
    pids+=("$p")
  done
  ((${#pids[@]})) && kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 50); do
    local left=0
    for p in "${pids[@]}"; do [[ -e /proc/$p ]] && left=1; done
    ((left)) || break
    sleep 0.1
  done
  for p in "${pids[@]}"; do [[ -e /proc/$p ]] && kill -9 "$p" 2>/dev/null; done
  # FUSE mounts whose client is gone (aux mounts of gsyncd, the seed mount)
  if node_up "$n"; then
    for m in $(on_node "$n" awk '$3 ~ /^fuse/ {print $2}' /proc/self/mounts | sort -ru); do
      on_node "$n" umount -l "$m" 2>>"$LOG" || true
    done
  fi
  note "$n: stopped ${#pids[@]} process(es)"
}

cmd_down() {
  local full=0 n
  [[ ${1:-} == --full ]] && full=1
  for n in "${NODES[@]}"; do
    [[ -e /run/netns/$(netns "$n") ]] && stop_node_processes "$n"
    if findmnt -rn "$NSDIR/$n.mnt" >/dev/null 2>&1; then run umount "$NSDIR/$n.mnt"; fi
    if findmnt -rn "$NSDIR/$n.uts" >/dev/null 2>&1; then run umount "$NSDIR/$n.uts"; fi
    rm -f "$NSDIR/$n.mnt" "$NSDIR/$n.uts"
    ip link show "gr-$n" >/dev/null 2>&1 && run ip link del "gr-$n"
    [[ -e /run/netns/$(netns "$n") ]] && run ip netns del "$(netns "$n")"
  done
  ip link show "$BRIDGE" >/dev/null 2>&1 && run ip link del "$BRIDGE"
  sed -i '/ # georep-lab2$/d' /etc/hosts
  if ((full)); then
    for n in "${NODES[@]}"; do rm -rf "${LAB2_STATE:?}/$n"; done
    [[ -n $LAB2_ROOT && $LAB2_ROOT != / ]] && rm -rf "${LAB2_ROOT:?}"
    step "full wipe: node state and bricks (host keys and the lab key kept in $KEYS)"
  fi
  step "down in $((SECONDS - T0))s"
}

cmd_node_stop() {
  local n=${1:-}
  [[ $n == node[123] ]] || die "usage: node-stop node1|node2|node3"
  node_up "$n" || die "$n is not up"
  stop_node_processes "$n" keep-sshd
  step "$n: gluster stopped (sshd kept)"
}

cmd_node_start() {
  local n=${1:-}
  [[ $n == node[123] ]] || die "usage: node-start node1|node2|node3"
  node_up "$n" || die "$n is not up (run up)"
  ensure_sshd "$n"
  ensure_helper
  ensure_glusterd "$n"
  step "$n: glusterd running"
}

cmd_sshd_stop() {
  local n=${1:-} p pids=()
  [[ $n == node[123] ]] || die "usage: sshd-stop node1|node2|node3"
  node_up "$n" || die "$n is not up"
  for p in $(node_pids "$n"); do [[ $(comm_of "$p") == sshd* ]] && pids+=("$p"); done
  ((${#pids[@]})) && kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 50); do node_pid "$n" sshd >/dev/null || break; sleep 0.1; done
  step "$n: sshd stopped (${#pids[@]} process(es); gluster kept)"
}

cmd_glusterd_restart() {
  local n=${1:-}
  [[ $n == node[123] ]] || die "usage: glusterd-restart node1|node2|node3"
  node_up "$n" || die "$n is not up (run up)"
  ensure_helper
  [[ -f $(node_dir "$n")/run/georep-lab2-node ]] || node_marker "$n"
  daemon on_node "$n" "$HELPER" restart \
    || die "$n: glusterd restart failed (see $(node_dir "$n")/log/georep-lab-glusterd.log)"
  step "$n: glusterd restarted (pid $(node_pid "$n" glusterd || echo none))"
}

cmd_reset() {
  local prim sec states x n
  # the master pool's sessions, and a failback's reverse session (slave pool -> master)
  for n in node1 node3; do
    while IFS=$'\t' read -r prim sec states; do
      [[ -n $prim ]] || continue
      gx "$n" volume geo-replication "$prim" "$sec" stop force >/dev/null
      x=$(gx "$n" volume geo-replication "$prim" "$sec" delete reset-sync-time)
      ok_ret "$x" "delete session $prim -> $sec"
      step "session $prim -> $sec: deleted (on $n)"
    # each once: with two master volumes, glusterfs 10.3 lists the first one's sessions twice
    done < <(gx "$n" volume geo-replication status | xq sessions | awk -F'\t' '!seen[$1 FS $2]++')
  done
  # a run killed mid-delete leaves a session's folder on a node that no longer lists it;
  # glusterd then refuses a create ("Session between ... is already created")
  for n in "${NODES[@]}"; do
    x=$(find "$(node_dir "$n")/glusterd/geo-replication" -mindepth 1 -maxdepth 1 -type d -print -exec rm -rf {} + 2>/dev/null || true)
    [[ -z $x ]] || step "$n: a deleted session's folder removed: $(basename -a $x | paste -sd' ')"
  done
  # a reverse session's push-pem hook left the master read-only
  gx node1 volume reset "$LAB2_MASTER" features.read-only >/dev/null
  # the slave of a deleted session is read-only (push-pem's hook) and not empty
  gx node3 volume stop "$LAB2_SLAVE" force >/dev/null
  x=$(gx node3 volume delete "$LAB2_SLAVE")
  [[ -z $(gx node3 volume info "$LAB2_SLAVE" | xq volinfo) ]] || ok_ret "$x" "volume delete $LAB2_SLAVE"
  ensure_volume node3 "$LAB2_SLAVE" node3
}

cmd_master2() {
  ensure_volume node1 c2master2 node1
}

cmd_nonroot_reset() {
  local n d u changed x
  cmd_reset
  if [[ -n $(gx node1 volume info c2master2 | xq volinfo) ]]; then
    gx node1 volume stop c2master2 force >/dev/null
    x=$(gx node1 volume delete c2master2); ok_ret "$x" "volume delete c2master2"
    rm -rf "${LAB2_ROOT:?}/node1/c2master2"
    step "volume c2master2: deleted"
  fi
  for u in geoaccount geoaccount2; do
    if getent passwd "$u" >/dev/null; then run userdel -r "$u" 2>>"$LOG" || run userdel "$u"; fi
    rm -rf "/home/$u"
  done
  if getent group geogroup >/dev/null; then run groupdel geogroup; fi
  rm -rf /var/mountbroker-root
  for n in "${NODES[@]}"; do
    d=$(node_dir "$n")
    changed=0
    cmp -s /etc/glusterfs/glusterd.vol "$d/etc-glusterfs/glusterd.vol" || changed=1
    # write in place: the file is what the node's bind mount shows
    cat /etc/glusterfs/glusterd.vol > "$d/etc-glusterfs/glusterd.vol"
    # what `gluster-mountbroker setup` changed (group geogroup, mode 770) back to gluster's own
    chgrp -R root "$d/glusterd/geo-replication" "$d/log/geo-replication-slaves" \
      "$d/log/geo-replication-secondaries" 2>/dev/null || true
    chmod 755 "$d/glusterd/geo-replication" "$d/log/geo-replication-slaves" \
      "$d/log/geo-replication-secondaries" 2>/dev/null || true
    chmod 600 "$d/log/cli.log" 2>/dev/null || true
    if ((changed)); then cmd_glusterd_restart "$n"; fi
  done
  step "no user, group, mountbroker root or mountbroker option left"
}

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; }

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
  up) prepare up; with_lock; cmd_up ;;
  down) prepare down "$@"; with_lock; cmd_down "$@" ;;
  status) prepare status; show_status; ((STATUS_OK)) || exit 3 ;;
  node-stop) prepare node-stop "$@"; with_lock; cmd_node_stop "$@" ;;
  node-start) prepare node-start "$@"; with_lock; cmd_node_start "$@" ;;
  sshd-stop) prepare sshd-stop "$@"; with_lock; cmd_sshd_stop "$@" ;;
  glusterd-restart) prepare glusterd-restart "$@"; with_lock; cmd_glusterd_restart "$@" ;;
  reset) prepare reset; with_lock; cmd_reset ;;
  nonroot-reset) prepare nonroot-reset; with_lock; cmd_nonroot_reset ;;
  master2) prepare master2; with_lock; cmd_master2 ;;
  exec)
    [[ ${1:-} == node[123] ]] || die "usage: exec NODE CMD..."
    n=$1; shift; node_up "$n" || die "$n is not up"; on_node "$n" "$@" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
