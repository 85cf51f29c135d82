# The verdicts are decided by the figures job (scripts/verdicts/, before the figures that show
# them); the workflow's last message says how the runs ended, the worst verdicts and where the
# report is (closing_message in common.smk).
onsuccess:
    closing_message()
