# The verdicts are decided by the figures job (scripts/verdicts.py, before the figures that show
# them); the workflow's last message lists the failed ones.
onsuccess:
    if Path(SUMMARY["verdicts"]).exists():
        failed = verdicts.failures(tables.VERDICTS.read(SUMMARY["verdicts"]))
        if failed:
            print(
                f"memsweep: {len(failed)} check(s) FAILED:", *failed, sep="\n", file=sys.stderr
            )
