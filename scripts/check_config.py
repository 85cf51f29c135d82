"""Check config files as the workflow will read them, without Snakemake.

config/config.yaml first, then each overlay merged over it, as `--configfile` merges them. A bad
value is named with its key, the value and what is accepted; a YAML syntax error with its file
and line, which Snakemake itself does not name; a likely mistake (a limit above this machine's
memory) is a warning. Exit status 0 when the campaign can run, 2 otherwise:

    $ python scripts/check_config.py my-campaign.yaml
    ok: 39 runs (1 variant x 6 limits x 2 models x 3 repeats, + 3 threshold runs)
"""

import sys
from pathlib import Path

from campaign import config, plan


def main(argv: list[str]) -> int:
    cfg = {}
    try:
        for path in [config.DEFAULT_CONFIG, *map(Path, argv)]:
            cfg = config.merge(cfg, config.read_config_file(path))
        cfg = config.load(cfg)
    except config.ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    for warning in config.warnings(cfg):
        print(warning, file=sys.stderr)
    print(f"ok: {plan.describe(cfg, plan.build_runs(cfg))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
