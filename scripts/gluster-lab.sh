#!/usr/bin/env bash
# gluster-lab.sh — a real GlusterFS geo-replication lab on this one machine (for georep's
# integration tests and for trying the app by hand). Run as root.
#
#   up                    sshd (127.0.0.1 only) + root key login to this host -> glusterd ->
#                         volumes mastervol (2 bricks) and slavevol (1 brick) -> geo-rep session
#                         mastervol -> HOST::slavevol (tarssh) -> Active -> live-sync self-test.
#                         Re-running it on a healthy lab is a quick check that changes nothing.
#   down [--full]         delete the lab's sessions and volumes, unmount, stop the glusterd/sshd
#                         that `up` started (never foreign ones). --full also wipes glusterd's
#                         state, the geo-rep working dirs and the push-pem keys (fresh UUID next up).
#   status                daemons, volumes, sessions; exit 0 when the lab is usable, 3 otherwise.
#   volume NAME [--fresh] an extra empty 1-brick volume (a second secondary for tests);
#                         --fresh deletes and re-creates it (new UUID, empty, not read-only).
#   volume-delete NAME    delete a lab volume together with every session that uses it.
#   selftest              run the live-sync self-test now (restarts stalled workers).
#   CMD --clusters 2      the two-cluster lab instead (three gluster nodes, master pool node1 +
#                         node2, slave pool node3, reached over ssh): scripts/gluster-lab2.sh.
#   stall-fix [VOL...]    apply the stall mitigation (below) to the bricks of VOLs (default: all
#                         lab volumes); call it after creating a session on another master volume.
#
# Pitfalls it deals with (found on Debian 12, glusterfs 10.3, no systemd):
#  * no service manager: sshd needs /run/sshd; both daemons are started by hand and their
#    pid files live in the state dir, so `down` only stops what `up` started.
#  * the gluster CLI refuses localhost/127.x as brick host: the machine's hostname is used
#    (it must resolve to a loopback address, because sshd only listens on 127.0.0.1).
#  * bricks on the root file system need `force`; a brick dir of a deleted volume keeps its
#    xattrs and .glusterfs and makes `volume create` fail, so it is wiped first.
#  * glusterd hands its environment down to the gsyncd workers: it is started with `env -i`
#    (an inherited PATH with e.g. a pyenv shim would run the workers on another python).
#  * `create push-pem` returns before its hook has installed the keys; starting too early kills
#    the monitor and leaves the session `Created` for ever. We wait for secret.pem to be
#    accepted, and `start force` a session whose monitor is gone.
#  * rsync >= 3.4 (Debian's 3.5.0) makes geo-rep's rsync mode sync empty files without any
#    error: sync-method tarssh is used (LAB_SYNC_METHOD=auto picks it for rsync >= 3.4).
#  * glusterfs 10.3 often starts a worker that looks Active / Changelog Crawl but never gets
#    live changelogs (a thread race in the brick's changelog translator; on this 2-CPU machine
#    most worker starts hit it). The script tunes the master's brick threads so that the race
#    is decided the right way (see stall_fix), and then proves it with a self-test: checkpoint,
#    a fresh dir + file written through a FUSE mount of the master, every worker's checkpoint
#    must complete and the file must reach the secondary brick. A stalled worker is killed (its
#    monitor respawns it) and the test repeated, a bounded number of times. A re-run skips the
#    test while the worker and brick processes are still the ones that passed it.
#  * bricks, gsyncd and aux mounts outlive glusterd; `down` stops sessions and volumes before
#    glusterd and then removes leftovers of the lab's volumes (by pid, never by name patterns).
#
# Knobs (environment):
#   LAB_HOST=$(hostname)       brick host and secondary host
#   LAB_ROOT=/srv/georep-lab   bricks: $LAB_ROOT/<volume>/b<N>; a volume is "the lab's" when all
#                              its bricks are under LAB_ROOT on LAB_HOST
#   LAB_STATE=/var/lib/georep-lab   pid files, lab.log (verbose output), self-test marker, lock
#   LAB_MNT=/mnt/georep-lab    FUSE mount of the master: $LAB_MNT/<master>
#   LAB_MASTER=mastervol LAB_SLAVE=slavevol LAB_MASTER_BRICKS=2 LAB_SLAVE_BRICKS=1
#   LAB_VOLUME_BRICKS=1        bricks of a volume made by `volume NAME`
#   LAB_SYNC_METHOD=auto|tarssh|rsync   LAB_ACTIVE_TIMEOUT=180 (s to wait for Changelog Crawl)
#   LAB_SELFTEST=auto|always|never      LAB_SELFTEST_TIMEOUT=30 LAB_SELFTEST_ATTEMPTS=8
#   LAB_KEEP_MOUNT=1           keep the master mounted after `up` (0: unmount after the self-test)
#   LAB_STALL_FIX=1            tune the master's bricks against the stall (0: undo, to see the bug)
#   LAB_VERBOSE=1              also print the verbose log on stderr
set -euo pipefail

# a clean PATH also for everything we run (no pyenv shims, no user tools shadowing system ones)
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8

LAB_HOST=${LAB_HOST:-$(hostname)}
LAB_ROOT=${LAB_ROOT:-/srv/georep-lab}
LAB_STATE=${LAB_STATE:-/var/lib/georep-lab}
LAB_MNT=${LAB_MNT:-/mnt/georep-lab}
LAB_MASTER=${LAB_MASTER:-mastervol}
LAB_SLAVE=${LAB_SLAVE:-slavevol}
LAB_MASTER_BRICKS=${LAB_MASTER_BRICKS:-2}
LAB_SLAVE_BRICKS=${LAB_SLAVE_BRICKS:-1}
LAB_SYNC_METHOD=${LAB_SYNC_METHOD:-auto}
LAB_ACTIVE_TIMEOUT=${LAB_ACTIVE_TIMEOUT:-180}
LAB_SELFTEST=${LAB_SELFTEST:-auto}
LAB_SELFTEST_TIMEOUT=${LAB_SELFTEST_TIMEOUT:-30}
LAB_SELFTEST_ATTEMPTS=${LAB_SELFTEST_ATTEMPTS:-8}
LAB_KEEP_MOUNT=${LAB_KEEP_MOUNT:-1}
LAB_VERBOSE=${LAB_VERBOSE:-0}
LAB_STALL_FIX=${LAB_STALL_FIX:-1}

SECONDARY="$LAB_HOST::$LAB_SLAVE"
STALL_FIXED=0
PAIRS=          # last `status` of the lab session (primary_brick status crawl checkpoint last_synced)
LOG=$LAB_STATE/lab.log
SSHD_PIDFILE=$LAB_STATE/sshd.pid
GLUSTERD_PIDFILE=$LAB_STATE/glusterd.pid
SELFTEST_MARK=$LAB_STATE/selftest.ok
EVENTSD_MARK=$LAB_STATE/glustereventsd.started
GEOREP_DIR=/var/lib/glusterd/geo-replication
SECRET_PEM=$GEOREP_DIR/secret.pem
CLEAN_ENV=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root)
T0=$SECONDS

# ------------------------------------------------------------------------------- output
note() { printf '%s\n' "$*" >>"$LOG"; [[ $LAB_VERBOSE != 1 ]] || printf '%s\n' "$*" >&2; }
step() { printf 'gluster-lab: %s\n' "$*"; note "== [$(date +%T)] $*"; }
die() {
  printf 'gluster-lab: ERROR: %s\n' "$*" >&2
  note "!! [$(date +%T)] ERROR: $*"
  printf 'gluster-lab: details in %s\n' "$LOG" >&2
  exit 1
}
# run CMD...: output into the log only; returns CMD's status
run() {
  note "\$ $*"
  # 9>&-: daemons started from here (sshd, glusterd, FUSE clients) must not inherit the lock
  if [[ $LAB_VERBOSE == 1 ]]; then "$@" 9>&- 2>&1 | tee -a "$LOG" >&2; return "${PIPESTATUS[0]}"; fi
  "$@" 9>&- >>"$LOG" 2>&1
}
# daemon CMD...: `run` for commands that leave a daemon behind (sshd, glusterd, a FUSE client),
# with every inherited descriptor above 2 closed: a daemon keeps what it inherits for its whole
# life, and a caller's lock file (tests.lock on a shell's fd 3) would stay locked for ever
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
# gx ARGS...: `gluster --mode=script --xml ARGS`, stdout returned (exit status is meaningless in
# --xml mode: most failures exit 0 and put opRet/opErrstr in the XML)
gx() {
  note "\$ gluster --xml $*"
  timeout 150 gluster --mode=script --xml "$@" 9>&- 2>>"$LOG" || true
}

# ------------------------------------------------------------------- XML and /proc helper
# One small python program (python3 is a dependency of glusterfs-server) instead of fragile
# sed on nested XML. Always /usr/bin/python3, never a shim.
read -r -d '' PYHELP <<'PY' || true
import os, sys, xml.etree.ElementTree as ET
mode, args = sys.argv[1], sys.argv[2:]

def root():
    data = sys.stdin.read()
    try:
        return ET.fromstring(data)
    except Exception:
        return None

def t(e, k):
    v = e.findtext(k)
    return (v or "").strip()

def secondary_of(pair):
    sec = t(pair, "secondary")
    if sec.startswith("ssh://"):
        sec = sec[6:]
    user = t(pair, "secondary_user")
    if user and user != "root" and "@" not in sec:
        sec = user + "@" + sec
    return sec

def cmdline(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []

def pids():
    me = str(os.getpid())
    return [p for p in os.listdir("/proc") if p.isdigit() and p != me]

if mode == "ret":                       # opRet <TAB> opErrstr   (PARSE <TAB> text if no XML)
    r = root()
    if r is None:
        print("PARSE\t")
    else:
        print(t(r, "opRet") + "\t" + " ".join(t(r, "opErrstr").split()))
elif mode == "pairs":                   # brick status crawl checkpoint_completed last_synced
    r = root()
    for p in ([] if r is None else r.iter("pair")):
        print("\t".join([t(p, "primary_brick"), t(p, "status"), t(p, "crawl_status"),
                         t(p, "checkpoint_completed"), t(p, "last_synced")]))
elif mode == "sessions":                # primary secondary(user@host::vol) states
    r = root()
    for v in ([] if r is None else r.iter("volume")):
        for s in v.iter("session"):
            ps = list(s.iter("pair"))
            if not ps:
                continue
            states = sorted(set(t(p, "status") + ("/" + t(p, "crawl_status") if t(p, "status") == "Active" else "") for p in ps))
            print("\t".join([t(v, "name"), secondary_of(ps[0]), ",".join(states)]))
elif mode == "config":                  # value of one option of `config --xml`
    r = root()
    c = None if r is None else r.find("geoRep/config")
    print("" if c is None else t(c, args[0].replace("-", "_")))
elif mode == "volinfo":                 # name status brick,brick,...
    r = root()
    for v in ([] if r is None else r.iter("volume")):
        if v.find("bricks") is None:
            continue
        bricks = [(b.text or "").strip() for b in v.find("bricks").findall("brick")]
        print("\t".join([t(v, "name"), t(v, "statusStr"), ",".join(bricks)]))
elif mode == "volstatus":               # name online total pid,pid (brick nodes only)
    r = root()
    for v in ([] if r is None else r.iter("volume")):
        nodes = [n for n in v.findall("node") if t(n, "path").startswith("/")]
        on = [n for n in nodes if t(n, "status") == "1"]
        print("\t".join([t(v, "volName"), str(len(on)), str(len(nodes)),
                         ",".join(sorted(t(n, "pid") for n in on))]))
elif mode == "workers":                 # pid local_path   of `gsyncd.py worker PRIMARY SECONDARY`
    prim, sec = args
    for p in pids():
        a = cmdline(p)
        if any(x.endswith("gsyncd.py") for x in a) and "worker" in a:
            i = a.index("worker")
            if a[i + 1:i + 3] == [prim, sec] and "--local-path" in a:
                print(p + "\t" + a[a.index("--local-path") + 1])
elif mode == "monitor":                 # pid of the gsyncd monitor of PRIMARY SECONDARY
    prim, sec = args
    for p in pids():
        a = cmdline(p)
        if any(x.endswith("gsyncd.py") for x in a) and "--monitor" in a and sec in a \
                and (":" + prim) in a:
            print(p)
elif mode == "volprocs":                # pids of gluster processes serving one of the volumes
    vols = set(args)
    for p in pids():
        a = cmdline(p)
        if not a:
            continue
        exe = os.path.basename(a[0])
        gsync = any(x.endswith("gsyncd.py") for x in a)
        if not (gsync or exe in ("glusterfs", "glusterfsd")):
            continue
        hit = False
        for i, x in enumerate(a):
            if gsync and (x in vols or x.lstrip(":") in vols or x.split("::")[-1] in vols):
                hit = True
            if x.startswith("--volfile-id="):
                x = x.split("=", 1)[1]
            elif i > 0 and a[i - 1] == "--volfile-id":
                pass
            else:
                continue
            if x.lstrip("/").split(".")[0] in vols:
                hit = True
        if hit:
            print(p)
PY
xq() { /usr/bin/python3 -c "$PYHELP" "$@"; }

# ------------------------------------------------------------------------- small checks
alive() {  # alive PIDFILE COMM -> pid on stdout when the pid file names a live COMM process
  local pid comm
  pid=$(cat "$1" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
  [[ $comm == "$2" ]] && running "$pid" || return 1
  echo "$pid"
}
running() {  # running PID: exists and is not a zombie
  local st
  st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)
  [[ -n $st && $st != Z && $st != X ]]
}
glusterd_pids() {  # live glusterd processes of this machine's own network and mount
  # namespaces (a zombie waiting for init is none; so is a node of a namespaced lab)
  local p me
  me="$(readlink /proc/self/ns/net) $(readlink /proc/self/ns/mnt)"
  for p in $(pgrep -x glusterd || true); do
    running "$p" || continue
    [[ "$(readlink "/proc/$p/ns/net") $(readlink "/proc/$p/ns/mnt")" == "$me" ]] && echo "$p"
  done
  return 0
}
glusterd_answers() { timeout 10 gluster --mode=script pool list >/dev/null 2>&1; }
eventsd_pid() {  # the glustereventsd of this machine's namespaces (its webhook child is not)
  local p me pp
  me="$(readlink /proc/self/ns/net) $(readlink /proc/self/ns/mnt)"
  for p in $(pgrep -x glustereventsd || true); do
    running "$p" || continue
    [[ "$(readlink "/proc/$p/ns/net") $(readlink "/proc/$p/ns/mnt")" == "$me" ]] || continue
    pp=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null || true)
    [[ $(cat "/proc/$pp/comm" 2>/dev/null) == glustereventsd ]] && continue
    echo "$p"; return 0
  done
  return 1
}
port22_open() { timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/22' 2>/dev/null; }
ssh_self() {  # ssh_self [ssh options...] DEST CMD...
  ssh -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=accept-new "$@"
}
session_xml() { gx volume geo-replication "$LAB_MASTER" "$SECONDARY" status; }
session_pairs() { session_xml | xq pairs; }
session_exists() { [[ -n $(session_pairs) ]]; }
volinfo() { gx volume info "$@" | xq volinfo; }
vol_exists() { [[ -n $(volinfo "$1") ]]; }
# the lab's volumes: every brick is LAB_HOST:LAB_ROOT/...
lab_volumes() {  # lab_volumes [VOLINFO-LINES]
  local name st bricks b mine bl
  while IFS=$'\t' read -r name st bricks; do
    [[ -n $name ]] || continue
    mine=1
    IFS=, read -ra bl <<<"$bricks"
    for b in "${bl[@]}"; do [[ $b == "$LAB_HOST:$LAB_ROOT/"* ]] || mine=0; done
    ((${#bl[@]})) && ((mine)) && echo "$name"
  done < <(if (($#)); then printf '%s\n' "$1"; else volinfo; fi)
  return 0
}
# sessions (primary <TAB> secondary) touching volume $1 (as primary or as secondary volume)
sessions_of() {
  local prim sec states
  while IFS=$'\t' read -r prim sec states; do
    [[ $prim == "$1" || ${sec##*::} == "$1" ]] && printf '%s\t%s\n' "$prim" "$sec"
  done < <(gx volume geo-replication status | xq sessions)
  return 0
}
valid_volname() { [[ $1 =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$ ]] || die "bad volume name '$1'"; }
with_lock() {
  exec 9>"$LAB_STATE/lock"
  flock -w 900 9 || die "another gluster-lab.sh is still running (lock $LAB_STATE/lock)"
}
prepare() {
  [[ $(id -u) == 0 ]] || { echo "gluster-lab: must run as root" >&2; exit 1; }
  mkdir -p "$LAB_STATE"
  # keep the verbose log bounded
  if [[ -f $LOG && $(stat -c %s "$LOG") -gt 4000000 ]]; then mv -f "$LOG" "$LOG.1"; fi
  note ""
  note "######## [$(date '+%F %T')] gluster-lab.sh $* (host $LAB_HOST)"
}
need_tools() {
  local c missing=()
  for c in gluster glusterd sshd ssh ssh-keygen mount.glusterfs getent flock timeout taskset chrt getfattr setfattr; do
    command -v "$c" >/dev/null || missing+=("$c")
  done
  [[ -x /usr/bin/python3 ]] || missing+=(/usr/bin/python3)
  ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (install glusterfs-server glusterfs-client openssh-server; scripts/setup.sh does)"
  [[ -e /dev/fuse ]] || die "/dev/fuse is missing: FUSE mounts (and geo-rep's aux mounts) cannot work here"
}
check_host() {
  case $LAB_HOST in
    localhost | localhost.* | 127.* | 0.* | ::1) die "LAB_HOST=$LAB_HOST: gluster refuses localhost/loopback addresses as brick host; use the machine's hostname" ;;
  esac
  local ip
  ip=$(getent ahostsv4 "$LAB_HOST" | awk 'NR==1{print $1}')
  [[ -n $ip ]] || die "$LAB_HOST does not resolve; add '127.0.0.1 $LAB_HOST' to /etc/hosts"
  [[ $ip == 127.* ]] || die "$LAB_HOST resolves to $ip, but the lab's sshd listens on 127.0.0.1 only; add '127.0.0.1 $LAB_HOST' to /etc/hosts or set LAB_HOST"
}

# ------------------------------------------------------------------------------- sshd
ensure_sshd() {
  local pid
  if pid=$(alive "$SSHD_PIDFILE" sshd); then
    step "sshd: running (pid $pid)"
  elif port22_open; then
    step "sshd: another sshd already serves 127.0.0.1:22, using it"
  else
    mkdir -p /run/sshd && chmod 0755 /run/sshd
    ls /etc/ssh/ssh_host_*_key >/dev/null 2>&1 || run ssh-keygen -A
    rm -f "$SSHD_PIDFILE"
    daemon "${CLEAN_ENV[@]}" /usr/sbin/sshd -E "$LAB_STATE/sshd.log" \
      -o ListenAddress=127.0.0.1 -o Port=22 -o PidFile="$SSHD_PIDFILE" \
      -o PermitRootLogin=prohibit-password -o PubkeyAuthentication=yes \
      || die "sshd did not start (see $LAB_STATE/sshd.log)"
    for _ in $(seq 50); do port22_open && break; sleep 0.1; done
    pid=$(alive "$SSHD_PIDFILE" sshd) || die "sshd exited right after start (see $LAB_STATE/sshd.log)"
    step "sshd: started on 127.0.0.1:22 (pid $pid)"
  fi
}

# root -> root@LAB_HOST without password: needed by gverify/push-pem at `create` time
ensure_root_ssh() {
  local key="" k
  mkdir -p /root/.ssh && chmod 700 /root/.ssh
  for k in id_ed25519 id_rsa id_ecdsa; do [[ -f /root/.ssh/$k ]] && { key=/root/.ssh/$k; break; }; done
  if [[ -z $key ]]; then
    key=/root/.ssh/id_ed25519
    run ssh-keygen -q -t ed25519 -N '' -C "root@$LAB_HOST (georep lab)" -f "$key"
  fi
  [[ -f $key.pub ]] || ssh-keygen -y -f "$key" >"$key.pub"
  touch /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys
  grep -qF "$(awk '{print $2}' "$key.pub")" /root/.ssh/authorized_keys || cat "$key.pub" >>/root/.ssh/authorized_keys
  if ! run ssh_self "root@$LAB_HOST" true; then
    # a host key remembered from an earlier install of this machine
    run ssh-keygen -R "$LAB_HOST" -f /root/.ssh/known_hosts || true
    run ssh_self "root@$LAB_HOST" true || die "passwordless root ssh to $LAB_HOST does not work (see $LOG)"
  fi
  step "ssh: root@$LAB_HOST accepts root's key ($key)"
}

# ---------------------------------------------------------------------------- glusterd
. "$(dirname "${BASH_SOURCE[0]}")/lab-common.sh"  # clear_stale_pidfiles
ensure_glusterd() {
  local pid attempt t0
  for attempt in 1 2; do
    pid=$(glusterd_pids | sed -n 1p)
    if [[ -n $pid ]]; then
      if alive "$GLUSTERD_PIDFILE" glusterd >/dev/null; then step "glusterd: running (pid $pid)"
      else step "glusterd: running, not started by the lab (pid $pid)"; fi
    else
      mkdir -p /var/run/gluster /var/log/glusterfs
      rm -f "$GLUSTERD_PIDFILE"
      clear_stale_pidfiles /var/run/gluster "$(stat -L -c %i /proc/self/ns/net)"
      daemon "${CLEAN_ENV[@]}" /usr/sbin/glusterd -p "$GLUSTERD_PIDFILE" --log-level INFO \
        || die "glusterd did not start (see /var/log/glusterfs/glusterd.log)"
      pid=$(cat "$GLUSTERD_PIDFILE" 2>/dev/null || true)
      step "glusterd: started (pid ${pid:-?})"
    fi
    t0=$SECONDS
    while ((SECONDS - t0 < 60)); do glusterd_answers && return 0; sleep 0.2; done
    # glusterd 10.3 can deadlock (seen with two push-pem hooks at once): the CLI then hangs
    # instead of being refused. A hung one is killed and started again, once.
    ((attempt == 1)) || break
    step "glusterd: not answering for 60 s (hung): restarting it"
    for pid in $(glusterd_pids); do kill -9 "$pid" 2>/dev/null || true; done
    sleep 1
  done
  die "glusterd does not answer the CLI (see /var/log/glusterfs/glusterd.log)"
}

# glustereventsd, as a package's service runs it next to glusterd: gluster's events (UDP from
# glusterd, bricks and gsyncd) pushed to the webhooks a cluster lists. Pitfall (10.3): it
# removes its own pid file a second after the start (main() leaves the `with PidFile` once its
# threads run), so `gluster-eventsapi` cannot signal it to load a new webhook; georep sends the
# reload itself. Found here by its process, not by a pid file.
ensure_eventsd() {
  local pid
  if pid=$(eventsd_pid); then note "glustereventsd: running (pid $pid)"; return 0; fi
  mkdir -p /var/log/glusterfs
  # setsid -f: it runs in the foreground; its parent returns at once
  daemon "${CLEAN_ENV[@]}" setsid -f /usr/sbin/glustereventsd -p "$LAB_STATE/glustereventsd.pid"
  for _ in $(seq 100); do
    if pid=$(eventsd_pid) && ss -Hlun 'sport = :55555' | grep -q .; then
      echo "$pid" >"$EVENTSD_MARK"
      step "glustereventsd: started (pid $pid)"
      return 0
    fi
    sleep 0.1
  done
  die "glustereventsd did not start (see /var/log/glusterfs/events.log)"
}

# ----------------------------------------------------------------------------- volumes
wipe_bricks() {  # wipe_bricks NAME: remove $LAB_ROOT/NAME (bricks of a lab volume)
  [[ -n $1 && $1 != */* && -n $LAB_ROOT && $LAB_ROOT != / ]] || die "refusing to wipe '$LAB_ROOT/$1'"
  rm -rf "${LAB_ROOT:?}/$1"
}
ensure_volume() {  # ensure_volume NAME NBRICKS
  local vol=$1 n=$2 x ret i line st on total bricks=()
  line=$(volinfo "$vol")
  if [[ -z $line ]]; then
    wipe_bricks "$vol"      # xattrs/.glusterfs of an earlier volume would make create fail
    for i in $(seq "$n"); do mkdir -p "$LAB_ROOT/$vol/b$i"; bricks+=("$LAB_HOST:$LAB_ROOT/$vol/b$i"); done
    x=$(gx volume create "$vol" "${bricks[@]}" force)   # force: bricks on the root fs
    ret=$(xq ret <<<"$x")
    [[ ${ret%%$'\t'*} == 0 ]] || die "volume create $vol: ${ret#*$'\t'}"
    note "created $vol: ${bricks[*]}"
    line=$(volinfo "$vol")
    step "volume $vol: created ($n brick(s) under $LAB_ROOT/$vol)"
  fi
  IFS=$'\t' read -r _ st _ <<<"$line"
  if [[ $st != Started ]]; then
    x=$(gx volume start "$vol"); ret=$(xq ret <<<"$x")
    [[ ${ret%%$'\t'*} == 0 ]] || die "volume start $vol: ${ret#*$'\t'}"
    step "volume $vol: started"
  fi
  # glusterd starts the bricks of started volumes asynchronously after its own start
  for i in $(seq 40); do
    on=0; total=0
    IFS=$'\t' read -r _ on total _ < <(gx volume status "$vol" | xq volstatus) || true
    [[ -n ${total:-} && $total != 0 && $on == "$total" ]] && break
    if ((i == 15)); then
      note "bricks of $vol offline ($on/$total): start force"
      x=$(gx volume start "$vol" force)
    fi
    sleep 0.5
  done
  [[ -n ${total:-} && $total != 0 && $on == "$total" ]] \
    || die "volume $vol: only ${on:-0}/${total:-?} bricks online (see /var/log/glusterfs/bricks/)"
  [[ $st == Started ]] && step "volume $vol: started, $on/$total bricks online"
  return 0
}
delete_session() {  # delete_session PRIMARY SECONDARY
  local x ret
  run gluster --mode=script volume geo-replication "$1" "$2" stop force || true
  x=$(gx volume geo-replication "$1" "$2" delete reset-sync-time); ret=$(xq ret <<<"$x")
  if [[ ${ret%%$'\t'*} != 0 ]]; then
    x=$(gx volume geo-replication "$1" "$2" delete); ret=$(xq ret <<<"$x")
  fi
  [[ ${ret%%$'\t'*} == 0 ]] || die "geo-rep delete $1 -> $2: ${ret#*$'\t'}"
  step "session $1 -> $2: deleted"
}
unmount_volume() {  # every FUSE mount of volume $1 (ours or a test's)
  local m
  for m in $(awk -v v="$LAB_HOST:/$1" -v w="$LAB_HOST:$1" '$3=="fuse.glusterfs" && ($1==v || $1==w) {print $2}' /proc/mounts | sort -ru); do
    umount "$m" 2>>"$LOG" || umount -l "$m" 2>>"$LOG" || true
    note "unmounted $m"
  done
}
delete_volume() {  # delete_volume NAME: sessions first, then the volume and its bricks
  local vol=$1 x ret p s sessions=()
  mapfile -t sessions < <(sessions_of "$vol")
  for s in "${sessions[@]}"; do delete_session "${s%%$'\t'*}" "${s#*$'\t'}"; done
  unmount_volume "$vol"
  if vol_exists "$vol"; then
    run gluster --mode=script volume stop "$vol" force || true
    x=$(gx volume delete "$vol"); ret=$(xq ret <<<"$x")
    [[ ${ret%%$'\t'*} == 0 ]] || die "volume delete $vol: ${ret#*$'\t'}"
  fi
  # brick processes of a deleted volume are gone; anything left is a leftover
  for p in $(xq volprocs "$vol"); do note "killing leftover pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-160)"; kill "$p" 2>/dev/null || true; done
  wipe_bricks "$vol"
  step "volume $vol: deleted, bricks wiped"
}

# --------------------------------------------------------------------------- geo-rep
wait_pushed_key() {
  # The push-pem keys are written by glusterd's gsync-create post hook after `create` returned.
  # Same probe as the monitor's first ssh: gluster on the secondary through secret.pem.
  local i
  for i in $(seq 90); do
    if [[ -f $SECRET_PEM ]] && ssh -o PasswordAuthentication=no -o StrictHostKeyChecking=no -o BatchMode=yes \
         -o ConnectTimeout=5 -i "$SECRET_PEM" "root@$LAB_HOST" \
         /usr/sbin/gluster --xml --remote-host=localhost volume info "$LAB_SLAVE" >/dev/null 2>>"$LOG"; then
      note "secret.pem accepted after $i probe(s)"
      return 0
    fi
    sleep 0.5
  done
  die "the geo-rep key $SECRET_PEM is still not accepted by root@$LAB_HOST after 45 s (push-pem hook failed?)"
}
# push-pem's keys live in root's authorized_keys; a machine whose home was reset keeps
# /var/lib/glusterd but loses them, and every worker then fails with "Permission denied"
ensure_pushed_keys() {
  local f rel missing
  for f in /var/lib/glusterd/geo-replication/*_common_secret.pem.pub; do
    [[ -f $f && $(basename "$f") != common_secret.pem.pub ]] || continue
    missing=$(grep -vxF -f /root/.ssh/authorized_keys "$f" 2>/dev/null | grep -c . || true)
    ((missing)) || continue
    rel=geo-replication/$(basename "$f")
    run gluster --mode=script system:: execute add_secret_pub root "$rel" || die "add_secret_pub $rel failed"
    step "ssh: re-installed $missing push-pem key(s) from $rel"
  done
}
ensure_session() {
  local x ret
  PAIRS=$(session_pairs)
  if [[ -n $PAIRS ]]; then
    step "session $LAB_MASTER -> $SECONDARY: exists"
    ensure_pushed_keys
  else
    # gsec_create ignores --xml; its exit status is reliable
    run gluster --mode=script system:: execute gsec_create || die "gsec_create failed"
    # push-pem installs the keys on the secondary; force: the secondary may hold older data
    x=$(gx volume geo-replication "$LAB_MASTER" "$SECONDARY" create push-pem force); ret=$(xq ret <<<"$x")
    [[ ${ret%%$'\t'*} == 0 ]] || die "geo-rep create $LAB_MASTER -> $SECONDARY: ${ret#*$'\t'}"
    rm -f "$SELFTEST_MARK"
    step "session $LAB_MASTER -> $SECONDARY: created (push-pem)"
    wait_pushed_key
    PAIRS=$(session_pairs)
  fi
}
wanted_sync_method() {
  local rv
  case $LAB_SYNC_METHOD in
    tarssh | rsync) echo "$LAB_SYNC_METHOD" ;;
    auto)
      rv=$(rsync --version 2>/dev/null | awk 'NR==1{print $3}')
      if [[ -z $rv || $(printf '%s\n3.4.0\n' "$rv" | sort -V | sed -n 1p) == 3.4.0 ]]; then echo tarssh; else echo rsync; fi ;;
    *) die "LAB_SYNC_METHOD must be auto, tarssh or rsync" ;;
  esac
}
ensure_sync_method() {
  local want cur x ret before w left
  want=$(wanted_sync_method)
  cur=$(gx volume geo-replication "$LAB_MASTER" "$SECONDARY" config | xq config sync_method)
  if [[ $cur != "$want" ]]; then
    before=$(xq workers "$LAB_MASTER" "$SECONDARY" | cut -f1)
    x=$(gx volume geo-replication "$LAB_MASTER" "$SECONDARY" config sync-method "$want"); ret=$(xq ret <<<"$x")
    [[ ${ret%%$'\t'*} == 0 ]] || die "config sync-method $want: ${ret#*$'\t'}"
    PAIRS=
    # a running session restarts its workers for this change: let the old ones go first
    for _ in $(seq 30); do
      left=0
      for w in $before; do running "$w" && left=1; done
      ((left)) || break
      sleep 0.5
    done
    step "session: sync-method $want (was ${cur:-unset})"
  else
    step "session: sync-method $want"
  fi
}
states() { cut -f2 <<<"$1" | sort -u | tr '\n' ' ' | sed 's/ $//'; }
monitor_alive() { [[ -n $(xq monitor "$LAB_MASTER" "$SECONDARY") ]]; }
ensure_running() {
  local p s x ret
  p=${PAIRS:-$(session_pairs)}; s=$(states "$p")
  case " $s " in
    *" Paused "*)
      x=$(gx volume geo-replication "$LAB_MASTER" "$SECONDARY" resume); ret=$(xq ret <<<"$x")
      [[ ${ret%%$'\t'*} == 0 ]] || die "geo-rep resume: ${ret#*$'\t'}"
      PAIRS=
      step "session: resumed (was Paused)" ;;
    *" Stopped "* | *" Created "*)
      if [[ $s == Created ]] && monitor_alive; then
        step "session: starting (monitor running)"
      else
        wait_pushed_key   # the monitor's first ssh uses it (see header)
        x=$(gx volume geo-replication "$LAB_MASTER" "$SECONDARY" start); ret=$(xq ret <<<"$x")
        if [[ ${ret%%$'\t'*} != 0 ]]; then
          note "start: ${ret#*$'\t'} -> start force"
          x=$(gx volume geo-replication "$LAB_MASTER" "$SECONDARY" start force); ret=$(xq ret <<<"$x")
          [[ ${ret%%$'\t'*} == 0 ]] || die "geo-rep start: ${ret#*$'\t'}"
        fi
        PAIRS=
        step "session: started (was $s)"
      fi ;;
    *) note "session states: $s" ;;
  esac
}
# all workers Active (or Passive) and every Active one in Changelog Crawl (done with the
# initial Hybrid/History crawl); restarts a dead monitor (Created for ever, see header)
wait_active() {
  local t_end=$((SECONDS + LAB_ACTIVE_TIMEOUT)) p s bad forced=0 t_created=
  while :; do
    p=${PAIRS:-$(session_pairs)}; PAIRS=; s=$(states "$p")
    bad=$(awk -F'\t' '!(($2=="Active" && $3=="Changelog Crawl") || $2=="Passive")' <<<"$p")
    [[ -n $p && -z $bad ]] && { step "session: Active, Changelog Crawl ($(wc -l <<<"$p") workers)"; return 0; }
    if [[ $s == Created ]]; then
      t_created=${t_created:-$SECONDS}
      if ((SECONDS - t_created >= 6 && forced < 3)) && ! monitor_alive; then
        note "workers Created and no monitor process: start force"
        run gluster --mode=script volume geo-replication "$LAB_MASTER" "$SECONDARY" start force || true
        forced=$((forced + 1)); t_created=$SECONDS
      fi
    else
      t_created=
    fi
    ((SECONDS < t_end)) || die "session not Active/Changelog Crawl after ${LAB_ACTIVE_TIMEOUT}s: $(tr '\t\n' ' ;' <<<"$p") (see /var/log/glusterfs/geo-replication/)"
    sleep 1
  done
}

# ------------------------------------------------------------------------------ mounts
MASTER_MNT=$LAB_MNT/$LAB_MASTER
ensure_master_mount() {
  local n
  # no mkdir yet: on a stale mount (ENOTCONN) it fails before we get to clear it
  n=$(awk -v m="$MASTER_MNT" '$2==m' /proc/mounts | wc -l)
  if ((n == 1)) && timeout 10 stat -t "$MASTER_MNT" >/dev/null 2>&1 \
     && awk -v m="$MASTER_MNT" -v s="$LAB_HOST:/$LAB_MASTER" '$2==m && $1==s && $3=="fuse.glusterfs" {f=1} END{exit !f}' /proc/mounts; then
    note "$MASTER_MNT already mounted"
    return 0
  fi
  # stale (ENOTCONN after a glusterd/brick restart), stacked, or something else: clear it
  while awk -v m="$MASTER_MNT" '$2==m {f=1} END{exit !f}' /proc/mounts; do
    umount "$MASTER_MNT" 2>>"$LOG" || umount -l "$MASTER_MNT" 2>>"$LOG" || die "cannot unmount $MASTER_MNT"
  done
  mkdir -p "$MASTER_MNT"
  daemon mount -t glusterfs "$LAB_HOST:/$LAB_MASTER" "$MASTER_MNT" || die "mount $LAB_HOST:/$LAB_MASTER on $MASTER_MNT failed"
  step "mount: $LAB_HOST:/$LAB_MASTER on $MASTER_MNT"
}
unmount_lab() {
  local m
  for m in $(awk -v r="$LAB_MNT/" 'index($2, r)==1 {print $2}' /proc/mounts | sort -ru); do
    umount "$m" 2>>"$LOG" || umount -l "$m" 2>>"$LOG" || true
    step "unmounted $m"
  done
}

# -------------------------------------------------------------------- stall mitigation
# The stall (see header) is a race inside the brick: its changelog connector thread
# (glfs_clogecon) connects back to a new consumer and then parks it on a wait queue, while an
# epoll thread handles the CONNECT and moves it to the active list. When the epoll thread is
# first, the consumer ends up parked for good and never gets a live changelog. Running the
# connector SCHED_FIFO on the same CPU as the epoll threads makes it finish first. Measured on
# a 2-CPU VM: without it 14 of 20 worker starts stalled, with it 0 of 30. It lasts as long as
# the brick process; `up` and `stall-fix` re-apply it. LAB_STALL_FIX=0 undoes it.
stall_fix() {  # stall_fix VOL...
  local v b t tid comm cpu all n=0 c=0
  for v in "$@"; do
    for b in $(gx volume status "$v" | xq volstatus | cut -f4 | tr , ' '); do
      [[ -d /proc/$b/task ]] || continue
      # only bricks with a changelog consumer side (geo-rep primaries) have the connector
      grep -qx glfs_clogecon /proc/"$b"/task/*/comm 2>/dev/null || continue
      all=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$b/status")
      cpu=${all%%[,-]*}
      for t in /proc/"$b"/task/*; do
        tid=${t##*/}; comm=$(cat "$t/comm" 2>/dev/null || true)
        case $comm in glfs_clogecon) c=$((c + 1)) ;; glfs_epoll*) ;; *) continue ;; esac
        if [[ $LAB_STALL_FIX == 1 ]]; then
          taskset -p -c "$cpu" "$tid" >/dev/null 2>>"$LOG" || true
          if [[ $comm == glfs_clogecon ]]; then
            chrt -f -p 1 "$tid" 2>>"$LOG" && n=$((n + 1)) || note "chrt -f failed for $tid (brick $b)"
          fi
        else
          taskset -p -c "$all" "$tid" >/dev/null 2>>"$LOG" || true
          [[ $comm == glfs_clogecon ]] && { chrt -o -p 0 "$tid" 2>>"$LOG" || true; }
        fi
      done
    done
  done
  if [[ $LAB_STALL_FIX == 1 ]]; then
    note "stall fix: $n of $c changelog connector thread(s) SCHED_FIFO, pinned with the epoll threads ($*)"
    ((c == 0)) || ((n == c)) || step "stall fix: only $n of $c bricks could be tuned (see $LOG)"
  else
    note "stall fix: undone on $c brick(s) ($*)"
  fi
  STALL_FIXED=$n
}

# --------------------------------------------------------------------------- self-test
fingerprint() {  # identity of the worker and master brick processes
  local w b
  w=$(xq workers "$LAB_MASTER" "$SECONDARY" | cut -f1 | sort -n | tr '\n' ,)
  b=$(gx volume status "$LAB_MASTER" | xq volstatus | cut -f4)
  echo "glusterd=$(glusterd_pids | tr '\n' ,) workers=$w bricks=$b"
}
slave_bricks() {
  local line
  line=$(volinfo "$LAB_SLAVE")
  cut -f3 <<<"$line" | tr , '\n' | sed 's/^[^:]*://'
}
selftest() {  # selftest [force]
  local fp attempt p tot yes stuck b wp probe token t_probe found data_ok sb
  fp=$(fingerprint)
  if [[ ${1:-} != force && $LAB_SELFTEST == auto && -f $SELFTEST_MARK && $(cat "$SELFTEST_MARK") == "$fp" ]]; then
    step "self-test: skipped (workers and bricks unchanged since it last passed)"
    return 0
  fi
  ensure_master_mount
  for attempt in $(seq "$LAB_SELFTEST_ATTEMPTS"); do
    # the checkpoint must be newer than the workers' registration, or the initial crawl
    # completes it without using the live changelog path
    sleep 2
    run gluster --mode=script volume geo-replication "$LAB_MASTER" "$SECONDARY" config checkpoint now \
      || die "config checkpoint now failed"
    sleep 1.1
    # a new directory lands on every brick of a distribute volume, so every worker gets work
    probe=".georep-lab-probe-$(date +%s)-$attempt"
    token="georep lab probe $(date +%s%N)"
    mkdir "$MASTER_MNT/$probe" && printf '%s\n' "$token" >"$MASTER_MNT/$probe/probe" \
      || die "cannot write to $MASTER_MNT"
    t_probe=$SECONDS; data_ok=0; p=; tot=0; yes=0
    while ((SECONDS - t_probe < LAB_SELFTEST_TIMEOUT)); do
      p=$(session_pairs)
      tot=$(grep -c . <<<"$p" || true)
      yes=$(awk -F'\t' '$4=="Yes"' <<<"$p" | grep -c . || true)
      if ((tot > 0 && yes == tot)); then
        for sb in $(slave_bricks); do
          [[ -f $sb/$probe/probe && $(cat "$sb/$probe/probe" 2>/dev/null) == "$token" ]] && data_ok=1
        done
        ((data_ok)) && break
        # checkpoint done but no data: give the data sync a moment, then it is P8, not a stall
        if ((SECONDS - t_probe >= LAB_SELFTEST_TIMEOUT - 1)); then break; fi
      fi
      sleep 1
    done
    rm -rf "${MASTER_MNT:?}/$probe"
    if ((data_ok)); then
      fingerprint >"$SELFTEST_MARK"
      step "self-test: passed (attempt $attempt, checkpoint completed on $tot workers and data on the secondary ~$((SECONDS - t_probe))s after the write)"
      return 0
    fi
    if ((tot > 0 && yes == tot)); then
      die "self-test: checkpoints complete but the probe file did not arrive intact on the secondary brick (broken data sync: rsync >= 3.4 with sync-method rsync?)"
    fi
    stuck=$(awk -F'\t' '$4!="Yes"{print $1}' <<<"$p")
    step "self-test: attempt $attempt: checkpoint not completed on $(echo $stuck) -> restarting those workers"
    stall_fix "$LAB_MASTER"
    for b in $stuck; do
      wp=$(xq workers "$LAB_MASTER" "$SECONDARY" | awk -F'\t' -v b="$b" '$2==b{print $1}')
      if [[ -n $wp ]]; then
        note "killing stuck worker $wp ($b)"; kill $wp 2>/dev/null || true
      else
        note "no worker process for $b: stop + start the session"
        run gluster --mode=script volume geo-replication "$LAB_MASTER" "$SECONDARY" stop || true
        run gluster --mode=script volume geo-replication "$LAB_MASTER" "$SECONDARY" start force || true
        break
      fi
    done
    sleep 3
    wait_active
  done
  rm -f "$SELFTEST_MARK"
  die "self-test failed $LAB_SELFTEST_ATTEMPTS times: the session does not replicate live changes (see /var/log/glusterfs/geo-replication/${LAB_MASTER}_${LAB_HOST}_${LAB_SLAVE}/gsyncd.log)"
}

# ------------------------------------------------------------------------------ status
STATUS_OK=0
show_status() {  # prints the state; sets STATUS_OK=1 when the lab is usable
  local pid gl=0 v st on total line prim sec states found=0
  STATUS_OK=0
  if pid=$(alive "$SSHD_PIDFILE" sshd); then echo "sshd:     running (lab, pid $pid, 127.0.0.1:22)"
  elif port22_open; then echo "sshd:     running (not the lab's) on 127.0.0.1:22"
  else echo "sshd:     not running"; fi
  pid=$(glusterd_pids | tr '\n' ' ' | sed 's/ $//')
  if [[ -z $pid ]]; then echo "glusterd: not running"
  elif ! glusterd_answers; then echo "glusterd: running (pid $pid) but not answering"
  else
    gl=1
    if alive "$GLUSTERD_PIDFILE" glusterd >/dev/null; then echo "glusterd: running (lab, pid $pid)"
    else echo "glusterd: running (not the lab's, pid $pid)"; fi
  fi
  if ((gl == 0)); then echo "lab:      DOWN"; return 0; fi
  local ok=1 infos statuses
  infos=$(volinfo)
  statuses=$(gx volume status all | xq volstatus)
  for v in "$LAB_MASTER" "$LAB_SLAVE" $(lab_volumes "$infos" | grep -vxF -e "$LAB_MASTER" -e "$LAB_SLAVE" || true); do
    line=$(awk -F'\t' -v v="$v" '$1==v' <<<"$infos")
    if [[ -z $line ]]; then
      echo "volume:   $v missing"; ok=0; continue
    fi
    IFS=$'\t' read -r _ st _ <<<"$line"
    on=0; total=0
    if [[ $st == Started ]]; then
      IFS=$'\t' read -r _ on total _ < <(awk -F'\t' -v v="$v" '$1==v' <<<"$statuses") || true
    fi
    echo "volume:   $v $st, ${on:-0}/${total:-0} bricks online"
    if [[ $v == "$LAB_MASTER" || $v == "$LAB_SLAVE" ]] && [[ $st != Started ]]; then ok=0; fi
  done
  while IFS=$'\t' read -r prim sec states; do
    [[ -n $prim ]] || continue
    echo "session:  $prim -> $sec: $states"
    [[ $prim == "$LAB_MASTER" && $sec == "$SECONDARY" ]] && found=1
  done < <(gx volume geo-replication status | xq sessions)
  ((found)) || { echo "session:  $LAB_MASTER -> $SECONDARY missing"; ok=0; }
  if awk -v m="$MASTER_MNT" '$2==m {f=1} END{exit !f}' /proc/mounts; then echo "mount:    $MASTER_MNT"; fi
  if ((ok)); then STATUS_OK=1; echo "lab:      UP"; else echo "lab:      DOWN (incomplete)"; fi
}

# ---------------------------------------------------------------------------- commands
# Each slave volume a session ever synced to leaves `trusted.glusterfs.<master>.<slave>.stime`
# (and entry_stime) on every master brick root; a delete without reset-sync-time, or a slave
# volume deleted under its session, leaves them for good. On ext4 they share one 4 KiB xattr
# block: after ~30 such slaves the next session's workers die with ENOSPC (Faulty). Those of
# slave volumes that no longer exist are removed.
prune_stale_stimes() {
  # gsyncd marks every directory of a master brick with one stime per slave volume it ever
  # synced to, and never removes them; ext4 keeps a directory's xattrs in one 4 KiB block, so
  # after some thirty short-lived test slaves the next mark fails with ENOSPC and the worker
  # turns Faulty. Drop the marks of slave volumes that no longer exist.
  local mvid ids b line f="" attr uuid n=0
  # best effort: an answer without ids (no master volume, or glusterd busy with a command of
  # georep's beside it) prunes nothing this time, and does not fail the caller (set -e)
  mvid=$(gx volume info "$LAB_MASTER" | grep -o '<id>[^<]*</id>' | sed -n 1p | sed 's/<[^>]*>//g' || true)
  [[ -n $mvid ]] || return 0
  ids=$(gx volume info | grep -o '<id>[^<]*</id>' | sed 's/<[^>]*>//g' || true)
  [[ -n $ids ]] || return 0
  for b in "$LAB_ROOT/$LAB_MASTER"/b*; do
    [[ -d $b ]] || continue
    while IFS= read -r line; do
      case $line in
        "# file: "*) f=${line#"# file: "}; continue ;;
        trusted.*) attr=$line ;;
        *) continue ;;
      esac
      uuid=${attr#trusted.glusterfs.$mvid.}; uuid=${uuid%%.*}
      [[ $uuid =~ ^[0-9a-f-]{36}$ ]] || continue
      grep -qxF "$uuid" <<<"$ids" && continue
      setfattr -x "$attr" "$f" 2>>"$LOG" && n=$((n + 1))
    done < <(find "$b" -path "$b/.glusterfs" -prune -o -type d -print0 \
               | xargs -0 -r getfattr --absolute-names \
                   -m "^trusted\.glusterfs\.$mvid\.[0-9a-f-]*\.(entry_)?stime\$" 2>/dev/null || true)
  done
  ((n == 0)) || step "master bricks: removed $n stime mark(s) of slave volumes that are gone"
}

cmd_up() {
  need_tools
  check_host
  ensure_sshd
  ensure_root_ssh
  ensure_glusterd
  ensure_eventsd
  ensure_volume "$LAB_MASTER" "$LAB_MASTER_BRICKS"
  ensure_volume "$LAB_SLAVE" "$LAB_SLAVE_BRICKS"
  ensure_session
  prune_stale_stimes
  stall_fix "$LAB_MASTER"
  if [[ $LAB_STALL_FIX == 1 ]]; then step "stall fix: $STALL_FIXED brick(s) of $LAB_MASTER tuned"; fi
  ensure_sync_method
  ensure_running
  wait_active
  if [[ $LAB_SELFTEST != never ]]; then
    [[ $LAB_SELFTEST == always ]] && selftest force || selftest
  fi
  if [[ $LAB_KEEP_MOUNT == 1 ]]; then
    ensure_master_mount
  else
    while awk -v m="$MASTER_MNT" '$2==m {f=1} END{exit !f}' /proc/mounts; do
      umount "$MASTER_MNT" 2>>"$LOG" || umount -l "$MASTER_MNT" 2>>"$LOG" || break
    done
  fi
  echo "---"
  show_status
  echo "--- lab up in $((SECONDS - T0))s (log: $LOG)"
}

cmd_down() {
  local full=0 pid v vols=() p m
  [[ ${1:-} == --full ]] && full=1
  [[ -z ${1:-} || $full == 1 ]] || die "usage: down [--full]"
  unmount_lab
  if [[ -z $(glusterd_pids) ]] && ((full == 0)) \
     && grep -rqs "^path=$LAB_ROOT/" /var/lib/glusterd/vols/*/bricks/ 2>/dev/null; then
    # lab volumes still defined: glusterd is needed to delete them properly
    step "glusterd: starting it to delete the lab's volumes"
    ensure_glusterd
  fi
  if [[ -n $(glusterd_pids) ]] && glusterd_answers; then
    mapfile -t vols < <(lab_volumes)
    for v in "${vols[@]}"; do delete_volume "$v"; done
    ((${#vols[@]})) || step "volumes: none of the lab's left"
  fi
  if pid=$(alive "$GLUSTERD_PIDFILE" glusterd); then
    kill "$pid"
    for _ in $(seq 100); do running "$pid" || break; sleep 0.1; done
    running "$pid" && die "glusterd (pid $pid) does not stop"
    rm -f "$GLUSTERD_PIDFILE"
    step "glusterd: stopped (pid $pid)"
  elif [[ -n $(glusterd_pids) ]]; then
    step "glusterd: left running (not started by the lab)"
  fi
  # with glusterd gone nothing manages the aux mounts of geo-rep workers any more
  if [[ -z $(glusterd_pids) ]]; then
    for m in $(awk '$3=="fuse.glusterfs" && $2 ~ /gsyncd-aux-mount/ {print $2}' /proc/mounts); do
      umount -l "$m" 2>>"$LOG" || true; note "lazy-unmounted aux mount $m"
    done
  fi
  if [[ -f $EVENTSD_MARK ]] && pid=$(eventsd_pid) && [[ $pid == "$(cat "$EVENTSD_MARK")" ]]; then
    pkill -P "$pid" 2>/dev/null || true; kill "$pid"
    step "glustereventsd: stopped (pid $pid)"
  fi
  rm -f "$EVENTSD_MARK"
  if pid=$(alive "$SSHD_PIDFILE" sshd); then
    kill "$pid"; rm -f "$SSHD_PIDFILE"
    step "sshd: stopped (pid $pid)"
  fi
  rm -f "$SELFTEST_MARK"
  if ((full)); then
    [[ -z $(glusterd_pids) ]] || die "--full: glusterd (not the lab's) still runs; stop it first"
    # anything still serving a lab brick (bricks, gsyncd, clients) must go before the wipe
    for p in $(xq volprocs "$LAB_MASTER" "$LAB_SLAVE" $(ls "$LAB_ROOT" 2>/dev/null)); do
      note "killing leftover pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-160)"
      kill "$p" 2>/dev/null || true
    done
    find /var/lib/glusterd -mindepth 1 -maxdepth 1 ! -name hooks ! -name groups -exec rm -rf {} +
    rm -rf /var/lib/misc/gluster/gsyncd /var/log/glusterfs/geo-replication /var/log/glusterfs/geo-replication-secondaries
    rm -f /var/run/gluster/gsyncd-*.pid /var/run/gluster/changelog-*.sock
    [[ -f /root/.ssh/authorized_keys ]] && sed -i -e '/^command="[^"]*gsyncd"/d' -e '/^command="tar /d' /root/.ssh/authorized_keys
    [[ -n $LAB_ROOT && $LAB_ROOT != / ]] && rm -rf "${LAB_ROOT:?}"
    step "full wipe: glusterd state, geo-rep dirs, push-pem keys, $LAB_ROOT"
  fi
  [[ -z $(awk -v r="$LAB_MNT/" 'index($2, r)==1' /proc/mounts) ]] || die "mounts left under $LAB_MNT"
  step "down in $((SECONDS - T0))s"
}

cmd_status() {
  show_status
  ((STATUS_OK)) && exit 0
  exit 3
}

cmd_volume() {  # volume NAME [--fresh]
  local vol=${1:-} fresh=0
  [[ -n $vol ]] || die "usage: volume NAME [--fresh]"
  [[ ${2:-} == --fresh ]] && fresh=1
  valid_volname "$vol"
  need_tools; check_host
  ensure_sshd; ensure_glusterd
  if ((fresh)) && vol_exists "$vol"; then
    [[ -n $(lab_volumes | grep -xF "$vol" || true) ]] || die "$vol is not a lab volume (bricks outside $LAB_HOST:$LAB_ROOT); not deleting it"
    delete_volume "$vol"
  fi
  prune_stale_stimes
  ensure_volume "$vol" "${LAB_VOLUME_BRICKS:-1}"
  echo "$LAB_HOST::$vol"
}

cmd_volume_delete() {
  local vol=${1:-}
  [[ -n $vol ]] || die "usage: volume-delete NAME"
  valid_volname "$vol"
  [[ -n $(glusterd_pids) ]] && glusterd_answers || die "glusterd is not running"
  if ! vol_exists "$vol"; then step "volume $vol: does not exist"; return 0; fi
  [[ -n $(lab_volumes | grep -xF "$vol" || true) ]] || die "$vol is not a lab volume (bricks outside $LAB_HOST:$LAB_ROOT); not deleting it"
  [[ $vol == "$LAB_MASTER" || $vol == "$LAB_SLAVE" ]] && rm -f "$SELFTEST_MARK"
  delete_volume "$vol"
  prune_stale_stimes
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

# `--clusters 2` anywhere: the two-cluster lab (three nodes in namespaces), gluster-lab2.sh
args=() clusters=1
while (($#)); do
  case $1 in
    --clusters) clusters=${2:-}; shift 2 || { echo "gluster-lab: --clusters needs 1 or 2" >&2; exit 2; } ;;
    --clusters=*) clusters=${1#*=}; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
set -- ${args[@]+"${args[@]}"}
case $clusters in
  1) ;;
  2) exec bash "$(dirname "$0")/gluster-lab2.sh" "$@" ;;
  *) echo "gluster-lab: --clusters must be 1 or 2" >&2; exit 2 ;;
esac

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
  up) prepare up; with_lock; cmd_up ;;
  down) prepare down "$@"; with_lock; cmd_down "$@" ;;
  status) prepare status; cmd_status ;;
  volume) prepare volume "$@"; with_lock; cmd_volume "$@" ;;
  volume-delete) prepare volume-delete "$@"; with_lock; cmd_volume_delete "$@" ;;
  selftest)
    prepare selftest; with_lock; need_tools
    session_exists || die "no session $LAB_MASTER -> $SECONDARY (run up)"
    wait_active; selftest force ;;
  stall-fix)
    prepare stall-fix "$@"; with_lock; need_tools
    [[ -n $(glusterd_pids) ]] && glusterd_answers || die "glusterd is not running"
    if (($#)); then vols=("$@"); else mapfile -t vols < <(lab_volumes); fi
    stall_fix "${vols[@]}"
    step "stall fix ($([[ $LAB_STALL_FIX == 1 ]] && echo applied || echo undone)): ${vols[*]}" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
