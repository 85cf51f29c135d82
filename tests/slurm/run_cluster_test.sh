#!/usr/bin/env bash
# memsweep's cluster test: a tiny campaign through snakemake-executor-plugin-slurm on a real
# one-node SLURM (tests/slurm/cluster.sh), then the tables, run.json's node, and sacct's MaxRSS
# beside memsweep's peaks (tests/slurm/check_campaign.py).
#
#   bash tests/slurm/run_cluster_test.sh
#
# Needs root and apt-get (it installs Debian's slurm, munge and mariadb packages if missing);
# without them it prints a loud SKIP and exits 0. Exits non-zero on any failure. It runs in a copy
# of the repository (tracked and untracked, not ignored, files) in a temp folder, stops every
# daemon it started on any exit, and removes the temp folder unless MEMSWEEP_CLUSTER_KEEP=1.
#
# Environment: MEMSWEEP_CLUSTER_COMPARE_LOCAL=0 skips the local run of the same campaign that the
# cluster tables are compared with; MEMSWEEP_CLUSTER_TIMEOUT_S (default 900) bounds each run.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
TIMEOUT_S=${MEMSWEEP_CLUSTER_TIMEOUT_S:-900}
T0=$SECONDS

say() { printf '[cluster-test %s] %s\n' "$(date +%T)" "$*"; }
skip() {
    echo "######################################################################"
    echo "# SKIP memsweep cluster test: $*"
    echo "######################################################################"
    exit 0
}

[[ $(id -u) == 0 ]] || skip "not root (it installs packages and starts SLURM daemons)"
if ! command -v apt-get >/dev/null; then
    for program in slurmctld slurmd sbatch munged slurmdbd mariadbd; do
        PATH="$PATH:/usr/sbin:/sbin" command -v "$program" >/dev/null ||
            skip "apt-get is unavailable and $program is not installed"
    done
fi
python -c "import snakemake_executor_plugin_slurm" 2>/dev/null || {
    echo "FAIL: snakemake-executor-plugin-slurm is not installed (pip install -r requirements-cluster.txt)"
    exit 1
}

WORK=$(mktemp -d /tmp/memsweep-cluster-test.XXXXXX)
STATE=$WORK/slurm
CAMPAIGN=$WORK/cluster
STARTED=0

cleanup() {
    local rc=$?
    trap - EXIT
    set +e # a cleanup step that fails must not skip the ones after it
    if ((rc != 0)); then
        say "FAILED (exit $rc); last lines of the logs:"
        for f in "$CAMPAIGN"/.snakemake/log/*.log "$STATE"/log/slurm*.log; do
            [[ -f $f ]] && { echo "--- $f"; tail -25 "$f"; }
        done
        find "$CAMPAIGN/.snakemake/slurm_logs" -name '*.log' 2>/dev/null | head -5 |
            while read -r f; do
                echo "--- $f"
                tail -25 "$f"
            done
    fi
    ((STARTED)) && MEMSWEEP_SLURM_KEEP=${MEMSWEEP_CLUSTER_KEEP:-0} bash "$HERE/cluster.sh" stop "$STATE"
    if [[ ${MEMSWEEP_CLUSTER_KEEP:-0} == 1 ]]; then
        say "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    say "total wall time $((SECONDS - T0)) s"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# copy_repo DEST: the repository's files as git sees them (committed or not, never ignored ones)
copy_repo() {
    mkdir -p "$1"
    git -C "$REPO" ls-files -z -c -o --exclude-standard |
        (cd "$REPO" && tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$1"
}

# The tiny campaign: 2 limits x 1 model x 2 repeats, plus one threshold (3 runs at 999/1000/1001);
# the demo solver at 5% scale (peaks of tens of MB) holding its peak about 2 s, so a 1 s
# accounting poll sees it.
write_overlay() {
    cat >"$1/config/cluster_test.yaml" <<'YAML'
solver:
  env: {DEMO_SCALE: "0.05", DEMO_HOLD_S: "40"}
  timeout_s: 120
grid:
  memory_limits_mb: [478, 1005]
  bucket_models: ["4M/8M/4M"]
  repeats: 2
thresholds:
  - memory_mb: 1000
    bucket_model: auto
    expected: {below: "4M/8M/4M", at: "8M/8M/8M", above: "8M/8M/8M"}
YAML
}
EXPECT_RUNS=7

say "starting a one-node SLURM cluster in $STATE"
STARTED=1
# OverMemoryKill: a job step whose RSS passes its mem_mb is killed, so the test also shows that
# the profile's and the monitor rule's memory requests are enough
MEMSWEEP_SLURM_OVERMEMORYKILL=1 bash "$HERE/cluster.sh" start "$STATE"
T_UP=$SECONDS
NODE=$(cat "$STATE/node")
# prove the enforcement is on: a step holding 200 MB for 3 s runs with --mem=400, is killed with
# --mem=100
HOLD_200MB='b = bytearray(200 << 20); import time; time.sleep(3)'
srun --mem=400 -t 1 python -c "$HOLD_200MB" || {
    say "a 200 MB step with --mem=400 failed"
    exit 1
}
if srun --mem=100 -t 1 python -c "$HOLD_200MB" >"$WORK/overmemory.log" 2>&1 ||
    ! grep -q "exceeded memory limit" "$WORK/overmemory.log"; then
    cat "$WORK/overmemory.log"
    say "OverMemoryKill is not enforced: a 200 MB step with --mem=100 was not killed for memory"
    exit 1
fi
say "OverMemoryKill works: a 200 MB step ran with --mem=400, was killed with --mem=100"

# one snapshot of the repository for both runs, so an edit meanwhile cannot make them differ
copy_repo "$WORK/src"
write_overlay "$WORK/src"
cp -a "$WORK/src" "$CAMPAIGN"
cd "$CAMPAIGN"
say "campaign on SLURM: snakemake --profile profiles/slurm (node $NODE)"
T_CAMPAIGN0=$SECONDS
timeout "$TIMEOUT_S" snakemake --profile profiles/slurm --configfile config/cluster_test.yaml \
    --resources measurement_slots=$EXPECT_RUNS >"$WORK/snakemake-slurm.log" 2>&1 || {
    tail -40 "$WORK/snakemake-slurm.log"
    say "snakemake on SLURM failed"
    exit 1
}
T_CAMPAIGN=$((SECONDS - T_CAMPAIGN0))
grep -E 'steps \(100%\) done' "$WORK/snakemake-slurm.log" || true

COMPARE=()
if [[ ${MEMSWEEP_CLUSTER_COMPARE_LOCAL:-1} == 1 ]]; then
    say "the same campaign locally, to compare the tables"
    cp -a "$WORK/src" "$WORK/local"
    (cd "$WORK/local" && timeout "$TIMEOUT_S" snakemake --cores 2 \
        --configfile config/cluster_test.yaml >"$WORK/snakemake-local.log" 2>&1) || {
        tail -40 "$WORK/snakemake-local.log"
        say "local snakemake failed"
        exit 1
    }
    COMPARE=(--compare-with "$WORK/local")
fi

say "sacct MaxRSS (MB, per job step) beside memsweep's peak_mb (MB, the solver's tree):"
python "$HERE/check_campaign.py" --node "$NODE" --expect-runs "$EXPECT_RUNS" "${COMPARE[@]}"
say "cluster up in $((T_UP - T0)) s; campaign on SLURM in $T_CAMPAIGN s"
