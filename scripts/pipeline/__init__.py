"""What memsweep's scripts need of Snakemake: the hand-off of a rule's files and settings to a
stage (handoff, stage) and the modules a rule's script imports, its code inputs (codedeps)."""
