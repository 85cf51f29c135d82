"""The HTML report: its page (page), the trace explorer (explorer) and what it puts first
(highlights, also the workflow's last message). The figures are scripts/plots/'s."""
