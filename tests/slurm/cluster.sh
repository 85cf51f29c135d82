#!/usr/bin/env bash
# A throwaway one-node SLURM cluster with accounting, on loopback, for memsweep's cluster test.
#
#   bash tests/slurm/cluster.sh start [STATE_DIR]    # install if missing, configure, start, wait
#   bash tests/slurm/cluster.sh status [STATE_DIR]   # daemons, node state, a test job
#   bash tests/slurm/cluster.sh stop [STATE_DIR]     # cancel jobs, stop what start started
#
# STATE_DIR (default $MEMSWEEP_SLURM_STATE or /tmp/memsweep-slurm) holds every config, database,
# log and spool file, the PID of each daemon this script started ("pids": "name pid" lines) and
# the links it made ("links"). `start` prints "cluster up: node NODE ..." when `srun hostname` works.
#
# Daemons: MariaDB (private datadir, TCP on 127.0.0.1 only), munged (only if none answers on the
# default socket /run/munge/munge.socket.2, which slurmdbd needs), slurmdbd, slurmctld and one
# slurmd whose node has this machine's CPUs and memory (from `slurmd -C`). `stop` stops exactly
# the PIDs in STATE_DIR/pids (checking each is still the same program), removes the links it
# made, and removes STATE_DIR unless MEMSWEEP_SLURM_KEEP=1.
#
# Why things are as they are (Debian 12, Slurm 22.05):
# - /etc/slurm/slurm.conf is a link to STATE_DIR: the executor plugin's job step drops SLURM_CONF.
# - jobacct_gather/linux polls every second so `sacct` reports MaxRSS; there are no cgroups, so
#   memory is not enforced (JobAcctGatherParams=OverMemoryKill would, but then every job needs
#   mem_mb of about 300 or more). Set MEMSWEEP_SLURM_OVERMEMORYKILL=1 to turn it on.
# - AccountingStoreFlags=job_comment keeps the plugin's --comment (rule and wildcards) in sacct.
#
# Environment: MEMSWEEP_SLURM_PORT_BASE (default 6817: slurmctld, +1 slurmd, +2 slurmdbd),
# MEMSWEEP_SLURM_DB_PORT (default 3307), MEMSWEEP_SLURM_TIMEOUT_S (default 60, each wait).
set -euo pipefail

ACTION=${1:-}
STATE=${2:-${MEMSWEEP_SLURM_STATE:-/tmp/memsweep-slurm}}
PORT_BASE=${MEMSWEEP_SLURM_PORT_BASE:-6817}
DB_PORT=${MEMSWEEP_SLURM_DB_PORT:-3307}
WAIT_S=${MEMSWEEP_SLURM_TIMEOUT_S:-60}
MUNGE_SOCKET=/run/munge/munge.socket.2
SLURM_CONF_LINK=/etc/slurm/slurm.conf
PACKAGES=(slurmctld slurmd slurm-client munge slurmdbd mariadb-server)
# one program per package, to see what is missing
PROGRAMS=(slurmctld slurmd sbatch munged slurmdbd mariadbd mariadb-install-db)

log() { printf '[cluster.sh %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

# wait_for DESCRIPTION COMMAND...: retry COMMAND every 0.25 s for up to WAIT_S seconds
wait_for() {
    local what=$1 deadline=$((SECONDS + WAIT_S))
    shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "timed out after ${WAIT_S}s waiting for $what"
        sleep 0.25
    done
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

missing_programs() {
    local p
    for p in "${PROGRAMS[@]}"; do
        PATH="$PATH:/usr/sbin:/sbin" command -v "$p" >/dev/null || echo "$p"
    done
}

install_packages() {
    local missing
    missing=$(missing_programs)
    [[ -z $missing ]] && return 0
    command -v apt-get >/dev/null || die "missing $(echo "$missing" | xargs) and no apt-get"
    log "installing ${PACKAGES[*]} (missing: $(echo "$missing" | xargs))"
    # Keep the packages' maintainer scripts from starting daemons we would not own.
    local made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    local apt=(apt-get -q -o DPkg::Lock::Timeout=600)
    local rc=0
    "${apt[@]}" update >/dev/null &&
        DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y --no-install-recommends \
            "${PACKAGES[@]}" >"$STATE/apt.log" 2>&1 || rc=$?
    ((made_policy)) && rm -f /usr/sbin/policy-rc.d
    ((rc == 0)) || {
        tail -20 "$STATE/apt.log" >&2
        die "apt-get install failed (rc $rc)"
    }
    missing=$(missing_programs)
    [[ -z $missing ]] || die "still missing after install: $(echo "$missing" | xargs)"
}

# launch NAME PROGRAM ARG...: start a daemon in the foreground of its own session; record its
# PID and resolved executable ("name pid exe"), so stop can tell it from a reused PID
launch() {
    local name=$1 exe
    exe=$(readlink -f "$(PATH="$PATH:/usr/sbin:/sbin" command -v "$2")")
    shift
    setsid "$@" </dev/null >>"$STATE/log/$name.out" 2>&1 &
    local pid=$!
    echo "$name $pid $exe" >>"$STATE/pids"
    log "started $name (pid $pid)"
}

alive() { kill -0 "$1" 2>/dev/null; }

# pid_of NAME: the recorded PID of a daemon this script started ("" if none)
pid_of() { awk -v n="$1" '$1 == n {print $2}' "$STATE/pids" 2>/dev/null | tail -1; }

# check that a started daemon is still running (it may have died on a bad config)
still_running() {
    local name=$1 pid
    pid=$(pid_of "$name")
    alive "$pid" || {
        tail -30 "$STATE/log/$name".* >&2 || true
        die "$name (pid $pid) exited during startup; logs above"
    }
}

start_mariadb() {
    port_in_use "$DB_PORT" && die "port $DB_PORT (MEMSWEEP_SLURM_DB_PORT) is in use"
    local datadir=$STATE/mysql
    mkdir -p "$datadir"
    mariadb-install-db --no-defaults --datadir="$datadir" --user=root \
        --auth-root-authentication-method=socket --skip-test-db \
        >"$STATE/log/mariadb-install.log" 2>&1 ||
        die "mariadb-install-db failed: see $STATE/log/mariadb-install.log"
    launch mariadb "$(PATH="$PATH:/usr/sbin" command -v mariadbd)" --no-defaults \
        --datadir="$datadir" --socket="$STATE/run/mysqld.sock" --pid-file="$STATE/run/mysqld.pid" \
        --port="$DB_PORT" --bind-address=127.0.0.1 --user=root --skip-name-resolve \
        --innodb-buffer-pool-size=64M --skip-log-bin --log-error="$STATE/log/mariadb.log"
    wait_for "mariadb" mariadb-admin --no-defaults --socket="$STATE/run/mysqld.sock" ping
    still_running mariadb
    mariadb --no-defaults --socket="$STATE/run/mysqld.sock" -u root <<SQL
CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurm';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
SQL
}

start_munge() {
    if [[ -S $MUNGE_SOCKET ]] && munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET" \
        >/dev/null 2>&1; then
        log "munged already answers on $MUNGE_SOCKET: using it (not ours, so stop leaves it)"
        return 0
    fi
    mkdir -p /run/munge "$STATE/munge"
    chmod 700 "$STATE/munge"
    dd if=/dev/urandom of="$STATE/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$STATE/munge/munge.key"
    # --force: a stale socket left by a killed munged is not an error
    launch munged "$(PATH="$PATH:/usr/sbin" command -v munged)" --foreground --force \
        --socket="$MUNGE_SOCKET" --key-file="$STATE/munge/munge.key" \
        --pid-file="$STATE/munge/munged.pid" --seed-file="$STATE/munge/munged.seed" \
        --log-file="$STATE/log/munged.log"
    wait_for "munged" sh -c "munge -n -S $MUNGE_SOCKET | unmunge -S $MUNGE_SOCKET"
    still_running munged
}

write_configs() {
    local node_line node mem cpus
    # slurmd -C prints what slurmd will register: NodeName=... CPUs=... RealMemory=...
    node_line=$(slurmd -C | head -1)
    node=$(sed -n 's/^NodeName=\([^ ]*\).*/\1/p' <<<"$node_line")
    [[ -n $node ]] || die "could not read the node from 'slurmd -C': $node_line"
    cpus=$(grep -o 'CPUs=[0-9]*' <<<"$node_line" | cut -d= -f2)
    mem=$(grep -o 'RealMemory=[0-9]*' <<<"$node_line" | cut -d= -f2)
    local gather_params=""
    [[ ${MEMSWEEP_SLURM_OVERMEMORYKILL:-0} == 1 ]] && gather_params="JobAcctGatherParams=OverMemoryKill"
    cat >"$STATE/etc/slurm.conf" <<CONF
# written by tests/slurm/cluster.sh for a throwaway one-node cluster
ClusterName=memsweep
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
SlurmctldPort=$PORT_BASE
SlurmdPort=$((PORT_BASE + 1))
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=500
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
$gather_params
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$((PORT_BASE + 2))
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
MailProg=/bin/true
# keep finished jobs in squeue for 5 minutes (for --slurm-status-command squeue)
MinJobAge=300
InactiveLimit=0
KillWait=5
Waittime=0
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    cat >"$STATE/etc/slurmdbd.conf" <<CONF
# written by tests/slurm/cluster.sh
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$((PORT_BASE + 2))
SlurmUser=root
LogFile=$STATE/log/slurmdbd.log
PidFile=$STATE/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
CONF
    chmod 600 "$STATE/etc/slurmdbd.conf"
    echo "$node" >"$STATE/node"
    log "node $node: CPUs=$cpus RealMemory=${mem}MB"
}

link_conf() {
    if [[ -e $SLURM_CONF_LINK || -L $SLURM_CONF_LINK ]]; then
        local target
        target=$(readlink "$SLURM_CONF_LINK" || true)
        if [[ -L $SLURM_CONF_LINK && ($target == "$STATE/etc/slurm.conf" || ! -e $target) ]]; then
            log "replacing a stale link $SLURM_CONF_LINK -> $target"
            rm -f "$SLURM_CONF_LINK"
        else
            die "$SLURM_CONF_LINK exists (-> ${target:-a real file}); not touching a real config"
        fi
    fi
    if [[ ! -d /etc/slurm ]]; then
        mkdir -p /etc/slurm
        echo "dir /etc/slurm" >>"$STATE/links"
    fi
    ln -s "$STATE/etc/slurm.conf" "$SLURM_CONF_LINK"
    echo "link $SLURM_CONF_LINK" >>"$STATE/links"
}

cmd_start() {
    [[ $(id -u) == 0 ]] || die "must run as root (daemons run as root, packages may be installed)"
    if [[ -s $STATE/pids ]]; then
        local name pid exe
        while read -r name pid exe; do
            alive "$pid" && die "$STATE already has a running $name (pid $pid): stop it first"
        done <"$STATE/pids"
    fi
    local t0=$SECONDS
    mkdir -p "$STATE"
    install_packages
    rm -rf "${STATE:?}"/{etc,ctld,spool,run,log,mysql,munge,pids,links,node}
    mkdir -p "$STATE"/{etc,ctld,spool,run,log}
    local p
    for p in "$PORT_BASE" $((PORT_BASE + 1)) $((PORT_BASE + 2)); do
        port_in_use "$p" && die "port $p is in use (set MEMSWEEP_SLURM_PORT_BASE)"
    done
    local t_setup=$SECONDS
    start_mariadb
    start_munge
    write_configs
    link_conf
    export SLURM_CONF=$STATE/etc/slurm.conf
    launch slurmdbd slurmdbd -D
    wait_for "slurmdbd" sacctmgr -n list cluster
    still_running slurmdbd
    # register the cluster before slurmctld first talks to slurmdbd
    sacctmgr -i add cluster memsweep >/dev/null
    launch slurmctld slurmctld -D -i
    wait_for "slurmctld" scontrol ping
    still_running slurmctld
    launch slurmd slurmd -D
    local node
    node=$(cat "$STATE/node")
    wait_for "node $node to be idle" sh -c "sinfo -h -n $node -o %T | grep -qx idle"
    still_running slurmd
    local got
    got=$(timeout "$WAIT_S" srun -N1 -n1 -t 1 hostname) || die "srun hostname failed"
    log "cluster up: node $node, srun hostname -> $got; packages $((t_setup - t0)) s," \
        "daemons $((SECONDS - t_setup)) s; state in $STATE"
}

cmd_status() {
    [[ -s $STATE/pids ]] || die "no cluster recorded in $STATE"
    local name pid exe
    while read -r name pid exe; do
        if alive "$pid"; then echo "$name $pid running"; else echo "$name $pid gone"; fi
    done <"$STATE/pids"
    sinfo
    squeue
}

# stop_group NAME...: SIGTERM the recorded daemons with these names (each only if its PID still
# runs the executable recorded for it), wait up to 20 s for all, then SIGKILL any left
stop_group() {
    local name pid want exe stopping=()
    while read -r name pid want; do
        if [[ " $* " != *" $name "* ]] || ! alive "$pid"; then continue; fi
        exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
        if [[ $exe != "$want" ]]; then
            log "pid $pid is now '$exe', not $name ($want): leaving it alone"
            continue
        fi
        kill -TERM "$pid" 2>/dev/null && stopping+=("$name:$pid")
    done <"$STATE/pids"
    local deadline=$((SECONDS + 20)) entry
    for entry in "${stopping[@]}"; do
        while alive "${entry#*:}" && ((SECONDS < deadline)); do sleep 0.1; done
        if alive "${entry#*:}"; then
            log "${entry%:*} (pid ${entry#*:}) ignored SIGTERM for 20 s: SIGKILL"
            kill -KILL "${entry#*:}" 2>/dev/null || true
        fi
        log "stopped ${entry%:*} (pid ${entry#*:})"
    done
}

cmd_stop() {
    if [[ ! -e $STATE/pids ]]; then
        log "nothing recorded in $STATE: nothing to stop"
        return 0
    fi
    export SLURM_CONF=$STATE/etc/slurm.conf
    # cancel this cluster's jobs so their slurmstepd processes end before slurmd does
    local ctld
    ctld=$(pid_of slurmctld)
    local jobs=()
    [[ -n $ctld ]] && alive "$ctld" && mapfile -t jobs < <(squeue -h -o %i 2>/dev/null)
    if ((${#jobs[@]})); then
        log "cancelling jobs: ${jobs[*]}"
        scancel --full "${jobs[@]}" 2>/dev/null || true
        local deadline=$((SECONDS + 20))
        while [[ -n $(squeue -h -t R,CG,PD -o %i 2>/dev/null) ]] && ((SECONDS < deadline)); do
            sleep 0.5
        done
    fi
    # the SLURM daemons first, then what they use
    stop_group slurmd slurmctld slurmdbd
    stop_group munged mariadb
    rm -f "$STATE/pids"
    if [[ -e $STATE/links ]]; then
        local kind path
        tac "$STATE/links" | while read -r kind path; do
            case $kind in
            link)
                if [[ -L $path && $(readlink "$path") == "$STATE"/* ]]; then
                    rm -f "$path"
                else
                    log "left $path (no longer our link)"
                fi
                ;;
            dir) rmdir "$path" 2>/dev/null || log "left $path (not empty)" ;;
            esac
        done
        rm -f "$STATE/links"
    fi
    if [[ ${MEMSWEEP_SLURM_KEEP:-0} != 1 ]]; then
        rm -rf "$STATE"
    else
        log "kept $STATE (MEMSWEEP_SLURM_KEEP=1)"
    fi
}

case $ACTION in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
