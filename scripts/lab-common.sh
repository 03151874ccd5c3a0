# lab-common.sh — sourced by gluster-lab.sh and gluster-lab2.sh; the caller defines note().

# glusterd stops the daemon a pid file names (self-heal, quota, ...) without asking what that
# process is, and pids are reused: a self-heal pid file left from an earlier run once named a
# brick of the other lab, and glusterd's start killed it. Before glusterd starts, a pid file is
# kept only while its process is a gluster one (or gsyncd's python, sshd) of the same network
# namespace.
clear_stale_pidfiles() {  # clear_stale_pidfiles DIR NETNS_INODE
  local f pid
  while IFS= read -r f; do
    pid=$(tr -dc 0-9 2>/dev/null <"$f" || true)
    if [[ -n $pid && $(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null) == "$2" ]]; then
      case $(cat "/proc/$pid/comm" 2>/dev/null) in gluster* | python* | sshd*) continue ;; esac
    fi
    rm -f "$f"
    note "stale pid file removed: $f (pid ${pid:-none})"
  done < <(find "$1" -name '*.pid' 2>/dev/null)
}
