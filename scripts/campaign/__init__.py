"""The campaign: its config checked (config), the runs it asks for (plan), how a run is launched
(spec: standard library only, the run wrapper imports it) and the bisection of a search (search).
Importing the package imports nothing else."""
