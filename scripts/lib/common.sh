# Shared helpers for the scripts that start test servers (sourced, not run): free loopback
# ports, background processes tracked by pid files, readiness polling and clean stops.

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on right now, picked at random
# below the kernel's ephemeral range (ip_local_port_range): a port from that range (what bind
# to port 0 gives) can be taken as the local end of some outgoing connection before the
# server it is meant for binds it ("Address already in use", seen once in a CI run).
free_port() {
    python3 - <<'PY'
import random, socket
try:
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
for port in [random.randrange(10000, low) for _ in range(200)] + [0] if low > 11000 else [0]:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        print(s.getsockname()[1])
        break
    except OSError:
        pass
    finally:
        s.close()
PY
}

# start_bg PIDFILE LOGFILE CMD...: runs CMD in its own session (so a stop reaches its children
# too), with output to LOGFILE, and records its pid in PIDFILE.
start_bg() {
    local pidfile=$1 log=$2
    shift 2
    setsid "$@" </dev/null >"$log" 2>&1 &
    echo $! >"$pidfile"
}

# wait_until SECONDS DESCRIPTION CMD...: polls CMD every 0.1 s until it succeeds; fails with a
# message naming DESCRIPTION when SECONDS pass.
wait_until() {
    local limit=$1 what=$2
    shift 2
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "timed out after ${limit}s waiting for $what" >&2
            return 1
        fi
        sleep 0.1
    done
}

# running PID: true when process PID exists and is not a zombie. (An orphan that exited stays
# a zombie until PID 1 reaps it, which some container inits do only every few seconds.)
running() {
    local stat
    kill -0 "$1" 2>/dev/null || return 1
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# alive PIDFILE: true when the process recorded in PIDFILE runs.
alive() {
    [ -f "$1" ] && running "$(cat "$1")"
}

# stop_pidfile PIDFILE: stops the process group started by start_bg (TERM, then KILL after 5 s)
# and removes PIDFILE.
stop_pidfile() {
    local pidfile=$1 pid i
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 50); do
            running "$pid" || break
            sleep 0.1
        done
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

# stop_all DIR: stops every process whose pid file is in DIR (newest first).
stop_all() {
    local f
    for f in $(ls -t "$1"/*.pid 2>/dev/null); do
        stop_pidfile "$f"
    done
}

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_ready PIDFILE SECONDS DESCRIPTION CMD...: like wait_until, but fails at once when the
# process recorded in PIDFILE has exited (a server that died will never become ready).
wait_ready() {
    local pidfile=$1 limit=$2 what=$3
    shift 3
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        if ! alive "$pidfile"; then
            echo "$what exited before it was ready" >&2
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "timed out after ${limit}s waiting for $what" >&2
            return 1
        fi
        sleep 0.1
    done
}
