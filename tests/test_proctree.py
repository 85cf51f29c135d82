"""The tree's per-tick sums from /proc text: a member's statm and status are files the test
writes (fake /proc text), read through the file descriptors the sampler keeps open."""

import os

import pytest

from sampling.procfs import PAGE_KB
from sampling.proctree import Tree

# /proc/PID/status of a shell (the fields the sampler reads), and of the program it exec'd
# caught in the middle of its exec: the new image has one page, its stack's first
SHELL_STATUS = "Name:\tsh\nState:\tS\nVmSize:\t2580 kB\nVmHWM:\t1600 kB\nVmStk:\t132 kB\n"
EXECING_STATUS = "Name:\tpython3\nState:\tR\nVmSize:\t4 kB\nVmHWM:\t4 kB\nVmStk:\t4 kB\n"
GROWN_STACK_STATUS = EXECING_STATUS.replace("VmStk:\t4 kB", "VmStk:\t136 kB")


def statm(size_kb: int, rss_kb: int, data_stack_kb: int) -> str:
    """A statm line: size resident shared text lib data+stack dt, in pages."""
    pages = [size_kb // PAGE_KB, rss_kb // PAGE_KB, 0, 0, 0, data_stack_kb // PAGE_KB, 0]
    return " ".join(map(str, pages)) + "\n"


@pytest.fixture
def fake_root(tmp_path):
    """A one-member tree whose root reads its statm and status from files; a function that
    rewrites them (as the kernel would, between two reads)."""
    tree = Tree(os.getpid(), children=False)
    root = tree.root
    for name in ("statm", "status"):
        (tmp_path / name).write_text("")
    os.close(root.statm)
    os.close(root.status)
    root.statm = os.open(tmp_path / "statm", os.O_RDONLY)
    root.status = os.open(tmp_path / "status", os.O_RDONLY)

    def write(statm_text=None, status_text=None):
        for name, text in (("statm", statm_text), ("status", status_text)):
            if text is not None:
                (tmp_path / name).write_text(text)

    write(statm(2580, 1500, 400), SHELL_STATUS)
    assert root.read_status()
    tree._sum_status()  # the tree reads the new statm descriptor from now on
    yield tree, write
    tree.close()


def test_vmdata_is_statm_data_and_stack_less_vmstk(fake_root):
    tree, write = fake_root
    rss, size, data, hwm, swap, nprocs = tree.sample()
    assert (rss, size, data, hwm, swap, nprocs) == (1500, 2580, 400 - 132, 1600, 0, 1)


def test_vmstk_is_read_again_only_when_statm_shows_less_data_and_stack_than_it(fake_root):
    tree, write = fake_root
    write(statm(2580, 1504, 404), EXECING_STATUS)  # status changed, statm still consistent
    assert tree.sample()[2] == 404 - 132  # the hot path: status is not read at every tick


def test_a_member_caught_in_its_exec_has_no_negative_vmdata(fake_root):
    """A shell that execs its program: statm shows the new image (one page of stack) while the
    VmStk read before is the shell's 132 kB; 4 - 132 kB was a trace row of -128 kB, which the
    analysis rightly refuses, so one such tick failed the whole campaign's summary."""
    tree, write = fake_root
    write(statm(4, 4, 4), EXECING_STATUS)
    rss, size, data, hwm, _, _ = tree.sample()
    assert (rss, size, data) == (4, 4, 0)
    assert hwm == 4  # the new image's VmHWM, read with its VmStk, not the shell's 1600 kB
    write(statm(9000, 7000, 3000))  # the exec done: its stack and data as statm has them
    assert tree.sample()[2] == 3000 - 4


def test_a_stack_grown_between_the_statm_and_the_status_read_gives_vmdata_0(fake_root):
    tree, write = fake_root
    write(statm(4, 4, 4), GROWN_STACK_STATUS)  # status read after the exec set its stack up
    assert tree.sample()[2] == 0
