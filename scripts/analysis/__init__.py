"""The analysis of finished runs, one module per stage: spikes, runs, variance, phases,
thresholds, the digest of traces and the choice of each run's peak (peaks)."""
