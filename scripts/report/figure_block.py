"""A figure as the report embeds it: its PNG inline (a missing or damaged one says so), its title
from the registry in scripts/plots/, and its caption, workflow/report/figures/<name>.rst rendered
with the config as `snakemake --report` renders it.

    >>> png_size(b"not a png") is None
    True
"""

import base64
import functools
import struct
from pathlib import Path

import docutils.core
import docutils.frontend
from docutils.parsers.rst import Parser
from docutils.writers import html4css1

import plots
from report.markup import esc


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's header, None when the bytes are not a PNG."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", data[16:24])


@functools.cache
def rst_settings():
    """docutils' settings for the captions, built once (each caption otherwise builds its own:
    most of the time docutils takes per caption)."""
    return docutils.frontend.get_default_settings(Parser, html4css1.Writer())


def caption_html(name: str, config: dict) -> str:
    rst = plots.caption_rst(name, config)
    return docutils.core.publish_parts(rst, writer=html4css1.Writer(), settings=rst_settings())[
        "body"
    ]


def figure_html(name: str, path, config: dict) -> str:
    title = plots.FIGURES[name].title
    data = Path(path).read_bytes() if path and Path(path).is_file() else b""
    size = png_size(data)
    if size is None:
        body = f'<div class="missing">The figure {esc(name)} is missing or not a PNG.</div>'
    else:
        src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        body = f'<img src="{src}" alt="{esc(title)}" width="{size[0]}" height="{size[1]}">'
    return (
        f'<figure id="fig-{esc(name)}"><h3>{esc(title)}</h3>{body}'
        f"<figcaption>{caption_html(name, config)}</figcaption></figure>"
    )
