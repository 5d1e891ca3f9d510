"""A plan file on a network share whose locks do not work (§2 of issue 10).

The stand-in for the share is a temporary folder in forced "network mode": the master there
is never opened with SQLite, two replicas (two data folders, two "PCs") take the turns each
test dictates (sync hooks pause one PC at an exact step while the other works), a crash is a
real SIGKILL of a child process at a chosen step. Every test ends with the master checked
with plain sqlite3: nothing lost, nothing corrupt, every conflict surfaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jingan_desktop import cli
from jingan_desktop.storage.sync import ShareLock, ShareSession, network_kind
from jingan_desktop.storage.sync.detect import DRIVE_REMOTE, _read_mountinfo, mount_type
from jingan_desktop.storage.sync.lock import LockBusy, lock_path, read_lock
from jingan_desktop.storage.sync.session import DamagedMasterError, ReplicaInUseError

ROOT = Path(__file__).resolve().parents[1]


# --- helpers --------------------------------------------------------------------------------


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def master_ids(master: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(f"file:{master}?mode=ro", uri=True)) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM change_log")}


def master_ok(master: Path) -> bool:
    conn = sqlite3.connect(f"file:{master}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


def actual(master: Path, indicator_id: str, quarter: int = 1) -> float | None:
    conn = sqlite3.connect(f"file:{master}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT value FROM actual WHERE indicator_id = ? AND quarter = ?",
            (indicator_id, quarter),
        ).fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def edit_ids(session: ShareSession) -> set[str]:
    """Every edit this PC saved (its own change-log entries of source 'edit')."""
    return {
        row["id"]
        for row in session.store.rows(
            "SELECT id FROM change_log WHERE source = 'edit' AND user = ?", (session.actor[0],)
        )
    }


@pytest.fixture
def share(tmp_path: Path, template_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The master in a folder that is treated as a network share."""
    monkeypatch.setenv("JINGAN_SHARE_MODE", "replica")
    folder = tmp_path / "share"
    folder.mkdir()
    master = folder / "plan.sqlite"
    shutil.copyfile(template_file, master)
    return master


@pytest.fixture
def pcs(share: Path, tmp_path: Path):
    opened: list[ShareSession] = []

    def open_pc(name: str, **kwargs) -> ShareSession:
        session = ShareSession.open(
            share, data_folder=tmp_path / f"data-{name}", actor=(name, f"pc-{name}"), **kwargs
        )
        session.beat_seconds = 0  # no heartbeat thread: the test dictates every turn
        opened.append(session)
        return session

    yield open_pc
    for session in opened:
        session.close()


@pytest.fixture
def indicators(share: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(f"file:{share}?mode=ro", uri=True)) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM indicator ORDER BY id")]


# --- detection ------------------------------------------------------------------------------

# A mount table as /proc/self/mountinfo writes it: a root on ext4, a CIFS share with a local
# disk mounted inside it, a share whose name has a space, a backslash and Chinese in it (the
# kernel escapes the first two in octal, the UTF-8 as it is), a bind mount of a folder of the
# share, sshfs and ntfs-3g (FUSE), NFS 4 beside a name that only starts like it, and a tmpfs
# mounted over an NFS mount point (the last listed is on top); a USB disk that a share mounted
# later over a folder above it hides, and a disk mounted inside that share.
MOUNTINFO = "\n".join(
    [
        "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
        "40 27 0:40 / /mnt/share rw,relatime shared:7 master:3 - cifs //srv/plans rw,vers=3.1.1",
        "41 40 8:17 / /mnt/share/usb rw,relatime - ext4 /dev/sdb1 rw",
        "42 27 0:41 / /mnt/my\\040plans\\134x\\011科室 rw - smb3 //srv/b\\040c rw",
        "43 27 0:40 /plans/2025 /home/clerk/plans rw,relatime - cifs //srv/plans rw",
        "44 27 0:42 / /home/clerk/remote rw,nosuid - fuse.sshfs clerk@srv:/plans rw",
        "45 27 8:33 / /media/clerk/NTFS rw - fuseblk /dev/sdc1 rw,allow_other",
        "46 27 0:43 / /srv/nfs rw - nfs4 srv:/export rw",
        "47 27 0:44 / /srv/nfs-local rw - xfs /dev/sdd1 rw",
        "48 27 0:45 / /srv/over rw - nfs srv:/over rw",
        "49 27 0:46 / /srv/over rw - tmpfs tmpfs rw",
        "50 27 8:49 / /mnt/late/usb rw - ext4 /dev/sde1 rw",
        "51 27 0:47 / /mnt/late rw - cifs //srv/late rw",
        "52 51 8:50 / /mnt/late/disk rw - ext4 /dev/sdf1 rw",
        "not a mount line",
        "",
    ]
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "ext4"),
        ("/home/clerk/jingan.sqlite", "ext4"),
        ("/mnt/share", "cifs"),
        ("/mnt/share/2025/jingan.sqlite", "cifs"),
        ("/mnt/share/usb/jingan.sqlite", "ext4"),  # nested: the inner mount holds it
        ("/mnt/shared/jingan.sqlite", "ext4"),  # a prefix of the name, not of the path
        ("/mnt/my plans\\x\t科室/jingan.sqlite", "smb3"),  # escapes undone
        ("/mnt/my plans/jingan.sqlite", "ext4"),
        ("/home/clerk/plans/jingan.sqlite", "cifs"),  # a bind mount of the share's folder
        ("/home/clerk/remote/q2/jingan.sqlite", "fuse.sshfs"),
        ("/media/clerk/NTFS/jingan.sqlite", "fuseblk"),
        ("/srv/nfs/jingan.sqlite", "nfs4"),
        ("/srv/nfs-local/jingan.sqlite", "xfs"),
        ("/srv/over/jingan.sqlite", "tmpfs"),  # stacked: the last listed is on top
        ("/mnt/late/usb/jingan.sqlite", "cifs"),  # the disk is out of sight under the share
        ("/mnt/late/disk/jingan.sqlite", "ext4"),  # mounted inside the share: in sight
        ("/mnt/late/jingan.sqlite", "cifs"),
    ],
)
def test_the_mount_holding_a_path_from_mountinfo(path, expected):
    assert mount_type(path, MOUNTINFO) == expected


def test_mountinfo_without_a_mount_for_the_path():
    assert mount_type("/home/clerk/jingan.sqlite", "") is None
    assert mount_type("/home/x", "40 27 0:40 / /mnt/share rw - cifs //srv/plans rw") is None


def test_a_mount_table_whose_parents_go_round_in_a_circle_still_answers():
    table = "27 28 254:0 / / rw - ext4 /dev/vda rw\n28 27 0:40 / /mnt rw - cifs //srv/x rw"
    assert mount_type("/mnt/jingan.sqlite", table) == "cifs"
    assert mount_type("/home/jingan.sqlite", table) == "ext4"


def no_statfs(path: str) -> int:
    raise AssertionError(f"statfs asked for {path} although mountinfo tells")


def mount_point(path: Path) -> str:
    """``path`` as mountinfo writes a mount point (octal for space, tab, newline, backslash)."""
    return "".join(f"\\{ord(c):03o}" if c in " \t\n\\" else c for c in str(path))


@pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="symlinks resolved by the file system as Linux does it (Wine leaves them as they are)",
)
@pytest.mark.parametrize(
    ("fs_type", "expected"),
    [
        ("cifs", "cifs"),
        ("smb3", "smb3"),
        ("nfs", "nfs"),
        ("nfs4", "nfs4"),
        ("fuse", "fuse"),
        ("fuse.sshfs", "fuse.sshfs"),
        ("fuse.rclone", "fuse.rclone"),
        ("fuseblk", "fuseblk"),  # ntfs-3g: FUSE's magic, as statfs always said
        ("virtiofs", "virtiofs"),
        ("9p", "9p"),  # WSL's drvfs, a VM's shared folder
        ("ceph", "ceph"),
        ("ext4", None),
        ("btrfs", None),
        ("tmpfs", None),
        ("fusefs-lookalike", None),
    ],
)
def test_linux_file_systems_by_mount_type(fs_type, expected, tmp_path):
    """The nearest existing folder, symlinks resolved, is looked up in the mount table."""
    folder = tmp_path.resolve()
    (folder / "my share").mkdir()
    (folder / "link").symlink_to(folder / "my share", target_is_directory=True)
    table = (
        "27 1 254:0 / / rw - ext4 /dev/vda rw\n"
        f"40 27 0:40 / {mount_point(folder / 'my share')} rw - {fs_type} //srv/x rw\n"
    )

    def kind(path: Path) -> str | None:
        return network_kind(
            path, platform="linux", env={}, mountinfo=lambda: table, statfs_type=no_statfs
        )

    assert kind(folder / "link" / "new" / "plan.sqlite") == expected
    assert kind(folder / "my share" / "plan.sqlite") == expected
    assert kind(folder / "plan.sqlite") is None


@pytest.mark.parametrize(
    ("magic", "expected"),
    [
        (0xFF534D42, "cifs"),
        (0xFE534D42, "smb2"),
        (0x6969, "nfs"),
        (0x65735546, "fuse"),
        (0xEF53, None),  # ext4
        (0x01021994, None),  # tmpfs
        (None, None),  # statfs failed: treated as local
    ],
)
@pytest.mark.parametrize("table", [None, ""], ids=["no mountinfo", "no mount for the path"])
def test_linux_file_systems_by_statfs_type_without_mountinfo(magic, expected, table, tmp_path):
    asked: list[str] = []

    def statfs(path: str) -> int | None:
        asked.append(path)
        return magic

    kind = network_kind(
        tmp_path / "new" / "plan.sqlite",
        platform="linux",
        env={},
        mountinfo=lambda: table,
        statfs_type=statfs,
    )
    assert kind == expected
    assert asked == [str(tmp_path)]  # the nearest existing folder is asked


@pytest.mark.parametrize(
    ("path", "drive", "expected"),
    [
        (r"\\fileserver\plans\jingan.sqlite", 3, "unc"),
        ("//fileserver/plans/jingan.sqlite", 3, "unc"),
        (r"Z:\plans\jingan.sqlite", DRIVE_REMOTE, "remote drive"),
        (r"C:\Users\clerk\jingan.sqlite", 3, None),  # DRIVE_FIXED
        (r"E:\jingan.sqlite", 2, None),  # DRIVE_REMOVABLE: a USB stick locks locally
    ],
)
def test_windows_unc_paths_and_mapped_drives(path, drive, expected):
    asked: list[str] = []

    def drive_type(root: str) -> int:
        asked.append(root)
        return drive

    assert network_kind(path, platform="win32", env={}, drive_type=drive_type) == expected
    if expected != "unc":
        assert asked == [path[:2] + "\\"]


def test_environment_forces_or_disables_the_replica(tmp_path):
    def cifs(_path: str) -> int:
        return 0xFF534D42

    assert (
        network_kind(tmp_path, env={"JINGAN_SHARE_MODE": "replica"}, platform="linux") == "forced"
    )
    assert network_kind(tmp_path, env={"JINGAN_SHARE_MODE": "direct"}, statfs_type=cifs) is None
    share = f"40 27 0:40 / {tmp_path.resolve()} rw - cifs //srv/plans rw"
    assert network_kind(tmp_path, env={}, platform="linux", mountinfo=lambda: share) == "cifs"
    assert (
        network_kind(tmp_path, env={}, platform="linux", mountinfo=lambda: None, statfs_type=cifs)
        == "cifs"
    )


def test_this_machines_temp_folder_is_local(tmp_path):
    assert network_kind(tmp_path, env={}) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_this_machines_mount_table_is_read_without_ctypes(tmp_path):
    """The real /proc/self/mountinfo names the temp folder's mount; statfs is not needed."""
    assert mount_type(str(tmp_path.resolve()), _read_mountinfo() or "") is not None
    assert network_kind(tmp_path, env={}, platform="linux", statfs_type=no_statfs) is None


# --- the lock file --------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.wall = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def mono(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.wall


def make_lock(master: Path, name: str, clock: Clock, **kwargs) -> ShareLock:
    return ShareLock(master, name, f"pc-{name}", monotonic=clock.mono, wall=clock.now, **kwargs)


def test_lock_is_exclusive_and_says_who_holds_it(tmp_path):
    clock = Clock()
    master = tmp_path / "plan.sqlite"
    alice, bob = make_lock(master, "alice", clock), make_lock(master, "bob", clock)
    assert alice.try_acquire()
    assert not bob.try_acquire()
    holder = read_lock(lock_path(master))
    assert (holder.user, holder.machine, holder.pid) == ("alice", "pc-alice", os.getpid())
    assert "alice" in holder.label
    with pytest.raises(LockBusy) as busy:
        bob.acquire(timeout=0)
    assert busy.value.holder.user == "alice"
    bob.release()  # not bob's: stays
    assert lock_path(master).exists()
    alice.release()
    assert not lock_path(master).exists()
    assert bob.try_acquire()


def test_lock_of_a_dead_process_on_this_machine_is_stale(tmp_path):
    clock = Clock()
    master = tmp_path / "plan.sqlite"
    crashed = make_lock(master, "alice", clock, pid=999_999_999)
    assert crashed.try_acquire()
    again = make_lock(master, "alice", clock, alive=lambda pid: pid != 999_999_999)
    again.acquire(timeout=0)
    assert again.held and [b.pid for b in again.broken] == [999_999_999]


def test_lock_is_stale_only_after_its_heartbeat_stops_for_the_stale_time(tmp_path):
    clock = Clock()
    master = tmp_path / "plan.sqlite"
    holder = make_lock(master, "alice", clock)
    waiter = make_lock(master, "bob", clock, stale_seconds=30)
    holder.acquire()
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:  # the waiter's time passes; the holder beats
        sleeps.append(seconds)
        clock.t += 10
        if len(sleeps) <= 6:
            assert holder.beat()

    with pytest.raises(LockBusy):
        waiter.acquire(timeout=60, sleep=sleep)  # beating all along: never broken
    assert holder.still_held()

    sleeps.clear()
    clock.t += 1

    def silent(seconds: float) -> None:  # the holder's PC went to sleep
        sleeps.append(seconds)
        clock.t += 10

    waiter.acquire(timeout=60, sleep=silent)
    assert waiter.held and not holder.still_held() and not holder.beat()
    assert len(sleeps) == 3  # watched unchanged for 30 s of the waiter's own clock


def test_the_holders_heartbeat_thread_keeps_beating_until_release(tmp_path):
    import time

    master = tmp_path / "plan.sqlite"
    holder = ShareLock(master, "alice", "pc-alice")
    holder.acquire()
    holder.keep_beating(every=0.01)
    deadline = time.monotonic() + 60
    while read_lock(lock_path(master)).beat < 3:  # waits for beats, asserts no duration
        assert time.monotonic() < deadline, "the heartbeat never moved"
        time.sleep(0.01)
    holder.release()
    assert not lock_path(master).exists() and holder._stop_beating is None


def test_lock_abandoned_by_the_holders_own_clock_is_stale(tmp_path):
    clock = Clock()
    master = tmp_path / "plan.sqlite"
    make_lock(master, "alice", clock).acquire()
    clock.wall += timedelta(hours=1)
    bob = make_lock(master, "bob", clock)
    bob.acquire(timeout=0)
    assert bob.held


def test_two_breakers_of_one_stale_lock_only_one_breaks_it(tmp_path):
    clock = Clock()
    master = tmp_path / "plan.sqlite"
    make_lock(master, "alice", clock, pid=999_999_999).acquire()
    info = read_lock(lock_path(master))
    first = make_lock(master, "alice", clock, alive=lambda pid: False)
    second = make_lock(master, "alice", clock, alive=lambda pid: False)
    assert first.is_stale(info) and second.is_stale(info)
    assert first.break_stale(info)
    assert first.try_acquire()
    assert not second.break_stale(info)  # judged the old lock, finds a fresh one: leaves it
    assert first.still_held() and not second.try_acquire()


# --- two PCs taking turns -------------------------------------------------------------------


def test_master_is_never_opened_with_sqlite(share, pcs, indicators, monkeypatch):
    real_connect = sqlite3.connect
    opened: list[str] = []

    def guarded(database, *args, **kwargs):
        opened.append(str(database))
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", guarded)
    alice = pcs("alice")
    alice.store.set_actual(indicators[0], 1, 5)
    assert alice.sync().ok
    assert opened and not any(str(share) in name for name in opened)
    monkeypatch.undo()
    assert actual(share, indicators[0]) == 5


def test_edits_are_pending_until_published_then_in_the_master(share, pcs, indicators):
    alice, bob = pcs("alice"), pcs("bob")
    before = sha(share)
    alice.store.set_actual(indicators[0], 1, 10)
    alice.store.set_actual(indicators[1], 1, 11)
    assert alice.pending() == 2
    assert sha(share) == before  # saved on this PC only
    result = alice.sync()
    assert result.ok and result.pending == 0 and result.published == 2
    assert alice.pending() == 0
    assert result.published_ids == edit_ids(alice) <= master_ids(share)
    bob.store.set_actual(indicators[2], 1, 12)
    pulled = bob.sync()
    assert pulled.ok and pulled.pulled >= 2
    assert bob.store.row("actual", alice.store.rows("SELECT id FROM actual")[0]["id"])
    assert alice.sync().ok
    for indicator, value in zip(indicators[:3], (10, 11, 12), strict=True):
        assert actual(share, indicator) == value
        assert alice.store.rows(
            "SELECT value FROM actual WHERE indicator_id = ?", (indicator,)
        ) == [{"value": value}]
    assert master_ok(share)


def test_the_count_of_edits_waiting_is_the_count_of_a_fresh_look(share, pcs, indicators):
    """pending() reads only what was added since it last counted (the status bar asks after
    every edit); through edits, syncs both ways, a sync that could not publish and an edit
    saved while the share moved on, it says what counting the whole log says."""
    from jingan_desktop.storage.sync.pending import waiting_edits

    alice, bob = pcs("alice"), pcs("bob")

    def fresh(session: ShareSession) -> int:
        return waiting_edits(session.store.database, session._known.ids())

    steps = [
        lambda: alice.store.set_actual(indicators[0], 1, 1),
        lambda: alice.store.set_actual(indicators[1], 1, 2),
        lambda: alice.store.set_actual(indicators[0], 1, 3),
        alice.sync,
        lambda: bob.store.set_actual(indicators[2], 1, 4),
        bob.sync,
        lambda: alice.store.set_actual(indicators[3], 2, 5),
        alice.sync,  # pulls bob's and publishes its own
        lambda: bob.store.set_actual(indicators[4], 2, 6),
        lambda: bob.store.set_actual(indicators[4], 2, 7),
    ]
    for number, step in enumerate(steps):
        step()
        for session in (alice, bob):
            assert session.pending() == fresh(session), (number, session.actor)
            assert session.pending() == fresh(session)  # asked again: the same, unread
    assert bob.pending() == 2 and alice.pending() == 0


def test_same_field_on_two_pcs_is_a_conflict_and_nothing_is_written_until_decided(
    share, pcs, indicators
):
    alice, bob = pcs("alice"), pcs("bob")
    alice.store.set_actual(indicators[0], 1, 1)
    bob.store.set_actual(indicators[0], 1, 2)
    bob.store.set_actual(indicators[1], 1, 3)  # not in conflict, still waits with the rest
    assert alice.sync().ok
    before = sha(share)
    result = bob.sync()
    assert result.status == "conflicts" and not result.ok
    [conflict] = result.conflicts
    assert (conflict.kind, conflict.change.ours, conflict.change.theirs) == ("field", 1, 2)
    assert "第一季度实际值" in conflict.change.label
    assert sha(share) == before and result.pending == 2
    assert bob.sync().status == "conflicts"  # asked again, never decided silently
    decided = bob.sync(resolutions={conflict.key: "theirs"})
    assert decided.ok and decided.pending == 0
    assert actual(share, indicators[0]) == 2 and actual(share, indicators[1]) == 3
    assert alice.sync().ok
    assert alice.store.rows(
        "SELECT value FROM actual WHERE indicator_id = ?", (indicators[0],)
    ) == [{"value": 2}]
    assert (edit_ids(alice) | edit_ids(bob)) <= master_ids(share)


def test_an_edit_the_share_refuses_for_a_locked_quarter_is_shown_not_dropped(
    share, pcs, indicators
):
    alice, bob = pcs("alice"), pcs("bob")
    alice.store.set_actual(indicators[0], 1, 5)  # before Bob locks the quarter on the share
    plan_id = bob.store.plan_id_for_year(2022)
    bob.store.set_quarter_locked(plan_id, 1, True)
    assert bob.sync().ok
    result = alice.sync()
    assert result.status == "conflicts" and [c.kind for c in result.conflicts] == ["locked"]
    assert result.pending == 1
    assert alice.sync(prefer="theirs").status == "conflicts"  # cannot be forced in
    assert actual(share, indicators[0]) is None
    dropped = alice.sync(prefer="ours")  # the clerk accepts the share's lock
    assert dropped.ok and dropped.pending == 0
    assert actual(share, indicators[0]) is None


def test_editing_a_field_again_after_another_pc_pulled_it_is_no_conflict(share, pcs, indicators):
    alice, bob = pcs("alice"), pcs("bob")
    bob.store.set_actual(indicators[0], 1, 1)
    assert bob.sync().ok
    alice.store.set_actual(indicators[1], 1, 5)
    assert alice.sync().ok  # pulls bob's figure, publishes its own
    bob.store.set_actual(indicators[0], 1, 2)  # bob corrects his own figure
    result = bob.sync()
    assert result.ok and result.conflicts == []
    assert actual(share, indicators[0]) == 2


def test_a_lock_wrongly_broken_and_two_publishes_racing_lose_nothing(share, pcs, indicators):
    """Alice is paused just before her rename; Bob judges her lock stale, breaks it and
    publishes; then Alice's rename replaces Bob's file. The next syncs bring Bob's work back."""
    bob = pcs("bob", lock_options={"stale_seconds": 0})
    # Bob's view of the folder lags (as SMB directory caching can), so he does not see and
    # tidy away Alice's temp file: both renames happen.
    bob._tidy_publish_temps = lambda keep: None
    raced: list[object] = []

    def bob_publishes_meanwhile() -> None:
        bob.store.set_actual(indicators[1], 1, 22)
        result = bob.sync(lock_wait=60)
        raced.append(result)

    alice = pcs("alice", hooks={"before_rename": bob_publishes_meanwhile})
    alice.store.set_actual(indicators[0], 1, 11)
    first = alice.sync()
    assert first.ok
    [bob_result] = raced
    assert bob_result.ok and [b.user for b in bob_result.broken_locks] == ["alice"]
    assert actual(share, indicators[1]) is None  # Alice's publish replaced Bob's
    alice.hooks.clear()
    assert bob.sync().ok  # Bob's replica still holds his edit: merged in again
    assert alice.sync().ok
    assert actual(share, indicators[0]) == 11 and actual(share, indicators[1]) == 22
    assert (edit_ids(alice) | edit_ids(bob)) <= master_ids(share)
    assert alice.pending() == bob.pending() == 0
    assert master_ok(share)


def test_a_publisher_whose_temp_file_was_tidied_does_not_replace_the_master(share, pcs, indicators):
    bob = pcs("bob", lock_options={"stale_seconds": 0})

    def bob_takes_over() -> None:
        bob.store.set_actual(indicators[1], 1, 22)
        assert bob.sync(lock_wait=60).ok

    alice = pcs("alice", hooks={"before_rename": bob_takes_over})
    alice.store.set_actual(indicators[0], 1, 11)
    result = alice.sync()
    assert result.status == "busy" and result.pending == 1
    assert actual(share, indicators[1]) == 22 and actual(share, indicators[0]) is None
    alice.hooks.clear()
    assert alice.sync().ok
    assert actual(share, indicators[0]) == 11 and actual(share, indicators[1]) == 22


def test_a_publisher_whose_lock_was_broken_does_not_replace_the_master(share, pcs, indicators):
    bob = pcs("bob", lock_options={"stale_seconds": 0})

    def bob_takes_over() -> None:
        bob.store.set_actual(indicators[1], 1, 22)
        assert bob.sync(lock_wait=60).ok

    bob._tidy_publish_temps = lambda keep: None  # Alice's temp file stays: she must see the lock
    alice = pcs("alice", hooks={"temp_written": bob_takes_over})
    alice.store.set_actual(indicators[0], 1, 11)
    result = alice.sync()
    assert result.status == "busy" and result.pending == 1
    assert actual(share, indicators[1]) == 22 and actual(share, indicators[0]) is None
    assert not list(share.parent.glob("*.publish"))
    alice.hooks.clear()
    assert alice.sync().ok
    assert actual(share, indicators[0]) == 11 and actual(share, indicators[1]) == 22


def test_while_one_pc_publishes_others_pull_or_wait_and_say_so(share, pcs, indicators):
    bob, carol = pcs("bob"), pcs("carol")
    seen: list[object] = []

    def others_meanwhile() -> None:  # Alice holds the lock from here to her rename
        seen.append(bob.sync())  # nothing to publish: pulls without the lock
        carol.store.set_actual(indicators[2], 1, 33)
        seen.append(carol.sync(lock_wait=0))

    alice = pcs("alice", hooks={"locked": others_meanwhile})
    alice.store.set_actual(indicators[0], 1, 11)
    assert alice.sync().ok
    bob_result, carol_result = seen
    assert bob_result.ok
    assert carol_result.status == "busy" and carol_result.pending == 1
    assert carol_result.holder.user == "alice" and "alice@pc-alice" in carol_result.message
    assert actual(share, indicators[2]) is None  # never a false "saved to the share"
    assert carol.sync().ok and actual(share, indicators[2]) == 33
    assert actual(share, indicators[0]) == 11


CRASHER = """
import os, signal, sys
from pathlib import Path
from jingan_desktop.storage.sync import ShareSession
master, data, indicator, step = sys.argv[1:5]
# SIGKILL; Windows has none, and os.kill there is TerminateProcess (exit code 15): as hard
kill = lambda: os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
session = ShareSession.open(Path(master), data_folder=Path(data), actor=("alice", "pc-alice"),
                            hooks={step: kill})
session.store.set_actual(indicator, 1, 77)
print("saved", flush=True)
session.sync()
print("not killed", flush=True)
"""


@pytest.mark.parametrize("step", ["temp_written", "before_rename", "renamed"])
def test_sigkill_during_a_publish_leaves_the_master_whole_and_the_edit_safe(
    share, tmp_path, indicators, step
):
    before = sha(share)
    data = tmp_path / "data-alice"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.run(
        [sys.executable, "-c", CRASHER, str(share), str(data), indicators[0], step],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == (15 if sys.platform == "win32" else -9), child.stderr
    assert child.stdout.splitlines() == ["saved"]
    assert master_ok(share)
    if step == "renamed":
        assert actual(share, indicators[0]) == 77
    else:
        assert sha(share) == before  # the master was never touched
        assert list(share.parent.glob("*.publish"))  # the dead publisher's temp file
    assert read_lock(lock_path(share)) is not None  # and its lock, left behind
    # Alice starts the app again: the dead process's lock is broken, the edit published.
    again = ShareSession.open(share, data_folder=data, actor=("alice", "pc-alice"))
    try:
        assert again.pending() == (0 if step == "renamed" else 1) or step == "renamed"
        result = again.sync()
        assert result.ok and result.pending == 0
        assert actual(share, indicators[0]) == 77
        assert edit_ids(again) <= master_ids(share)
    finally:
        again.close()
    assert not list(share.parent.glob("*.publish")) and not lock_path(share).exists()
    assert master_ok(share)


def damage_an_index(path: Path) -> None:
    """Change one byte of a change-log id in the table, not in its index: quick_check still
    passes, integrity_check reports the row missing from sqlite_autoindex_change_log_1 (what
    two writers through the share did to the file in issue 10)."""
    conn = sqlite3.connect(path)
    ident = conn.execute("SELECT id FROM change_log ORDER BY rowid LIMIT 1").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    offset = data.find(ident.encode())
    while offset >= 0:
        page = offset // page_size
        if data[page * page_size + (100 if page == 0 else 0)] == 0x0D:  # a table leaf page
            data[offset] = ord("f") if data[offset] != ord("f") else ord("e")
            break
        offset = data.find(ident.encode(), offset + 1)
    assert offset >= 0
    path.write_bytes(bytes(data))
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        problems = conn.execute("PRAGMA integrity_check").fetchall()
        assert "missing from index sqlite_autoindex_change_log_1" in problems[0][0]
    finally:
        conn.close()


def test_a_damaged_master_is_never_written_over(share, pcs, indicators):
    alice = pcs("alice")
    alice.store.set_actual(indicators[0], 1, 5)
    damage_an_index(share)
    damaged = sha(share)
    result = alice.sync()
    assert result.status == "damaged" and "failed its check" in result.message
    assert sha(share) == damaged and result.pending == 1
    assert not lock_path(share).exists()
    with pytest.raises(DamagedMasterError):
        ShareSession.open(share, data_folder=share.parent.parent / "data-new", actor=("c", "c"))
    # IT restores the master (here: from Alice's replica's last known share state)
    shutil.copyfile(alice.base_path, share)
    assert alice.sync().ok and actual(share, indicators[0]) == 5


def test_a_truncated_master_is_never_written_over(share, pcs, indicators):
    alice = pcs("alice")
    alice.store.set_actual(indicators[0], 1, 5)
    with open(share, "r+b") as handle:
        handle.truncate(share.stat().st_size // 2)
    cut = sha(share)
    assert alice.sync().status == "damaged"
    assert sha(share) == cut


def test_a_master_from_a_newer_app_is_not_called_damaged(share, pcs, indicators):
    alice = pcs("alice")
    alice.store.set_actual(indicators[0], 1, 5)
    with contextlib.closing(sqlite3.connect(share)) as conn:
        conn.execute("PRAGMA user_version = 99")
    before = sha(share)
    result = alice.sync()
    assert result.status == "failed" and "schema version 99" in result.message
    assert sha(share) == before and result.pending == 1


def test_a_missing_master_is_reported_and_the_edits_wait(share, pcs, indicators):
    alice = pcs("alice")
    alice.store.set_actual(indicators[0], 1, 5)
    share.rename(share.with_name("moved.sqlite"))
    result = alice.sync()
    assert result.status == "failed" and "not found" in result.message
    assert result.pending == 1 and not share.exists()


def test_an_edit_saved_while_a_sync_runs_goes_with_the_next_sync_and_nothing_is_lost(
    share, pcs, indicators
):
    """The window saves edits into the replica while its sync runs on a worker: that sync
    takes in only the base (the share holds what it published), never the share's content
    over the edit; the next sync publishes the edit and brings the other PC's change."""
    alice, bob = pcs("alice"), pcs("bob")
    bob.store.set_actual(indicators[2], 1, 30)
    assert bob.sync().ok
    alice.store.set_actual(indicators[0], 1, 10)
    alice.hooks["fetched"] = lambda: alice.store.set_actual(indicators[1], 1, 11)
    result = alice.exchange()
    assert result.ok and result.take_in is not None
    assert sha(alice.replica_path) != sha(result.take_in.verified)  # replica not touched yet
    result = alice.finish_sync(result)
    assert result.ok and result.deferred and result.published == 1 and result.pending == 1
    assert (actual(share, indicators[0]), actual(share, indicators[1])) == (10, None)
    assert actual(alice.replica_path, indicators[1]) == 11  # the edit of meanwhile is kept
    alice.hooks.clear()
    again = alice.sync()
    assert again.ok and not again.deferred and again.pending == 0 and again.published == 1
    for indicator, value in zip(indicators[:3], (10, 11, 30), strict=True):
        assert actual(share, indicator) == value
        assert actual(alice.replica_path, indicator) == value
    assert edit_ids(alice) | edit_ids(bob) <= master_ids(share)
    assert master_ok(share)


def test_the_share_part_of_a_sync_never_uses_the_windows_connection(share, pcs, indicators):
    """exchange() runs on a worker thread: it reads the replica through a connection of its
    own (a snapshot), never through the one the window saves with."""
    import threading

    alice, bob = pcs("alice"), pcs("bob")
    bob.store.set_actual(indicators[2], 1, 30)
    assert bob.sync().ok
    alice.store.set_actual(indicators[0], 1, 10)

    class Watched:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn, self.threads = conn, set()

        def __getattr__(self, name: str):
            self.threads.add(threading.current_thread().name)
            return getattr(self.conn, name)

    database = alice.store.database
    watched = Watched(database.conn)
    database.conn = watched  # type: ignore[assignment]
    results = []
    worker = threading.Thread(target=lambda: results.append(alice.exchange()), name="worker")
    worker.start()
    worker.join()
    assert "worker" not in watched.threads
    database.conn = watched.conn
    result = alice.finish_sync(results[0])
    assert result.ok and result.published == 1 and not result.deferred and result.pending == 0
    assert actual(alice.replica_path, indicators[2]) == 30  # the other PC's change taken in
    assert actual(share, indicators[0]) == 10 and master_ok(share)


def test_one_program_per_replica(share, pcs):
    pcs("alice")
    with pytest.raises(ReplicaInUseError):
        ShareSession.open(share, data_folder=share.parent.parent / "data-alice")


def test_many_seeded_interleavings_converge_with_nothing_lost(share, pcs, indicators):
    """Three PCs, a seeded schedule of edits and syncs (some cells shared, so conflicts
    occur and are decided alternately); at the end every edit is in the master, every
    conflict was surfaced, and all replicas hold the master's figures."""
    import random

    rng = random.Random(10)
    sessions = [pcs(name) for name in ("a", "b", "c")]
    shared_cells = indicators[:3]
    own = {s.actor[0]: indicators[3 + 5 * i : 8 + 5 * i] for i, s in enumerate(sessions)}
    last_own: dict[str, float] = {}
    surfaced = 0
    for step in range(90):
        session = rng.choice(sessions)
        if rng.random() < 0.6:
            cell = rng.choice(shared_cells if rng.random() < 0.3 else own[session.actor[0]])
            session.store.set_actual(cell, 1, float(step))
            if cell not in shared_cells:
                last_own[cell] = float(step)
        else:
            result = session.sync()
            if result.status == "conflicts":
                surfaced += len(result.conflicts)
                side = "theirs" if step % 2 else "ours"
                result = session.sync(prefer=side)
            assert result.ok
    for _ in range(2):
        for session in sessions:
            assert session.sync().ok
    assert surfaced > 0
    every_edit = set().union(*(edit_ids(s) for s in sessions))
    assert every_edit <= master_ids(share)
    for cell, value in last_own.items():
        assert actual(share, cell) == value
    finals = {
        tuple(
            row["value"]
            for row in s.store.rows("SELECT value FROM actual ORDER BY indicator_id, quarter")
        )
        for s in sessions
    }
    assert len(finals) == 1
    assert master_ok(share)


# --- the command line -----------------------------------------------------------------------


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_on_a_share_never_opens_the_master_and_says_what_is_published(
    share, tmp_path, capsys, monkeypatch
):
    with contextlib.closing(sqlite3.connect(f"file:{share}?mode=ro", uri=True)) as conn:
        indicator = conn.execute(
            "SELECT id FROM indicator WHERE unit = '个' ORDER BY id LIMIT 1"
        ).fetchone()[0]
    real_connect = sqlite3.connect
    touched: list[str] = []

    def guarded(database, *args, **kwargs):
        if str(share) in str(database):
            touched.append(str(database))
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", guarded)
    workbook = tmp_path / "q1.xlsx"
    code, out, _ = run(capsys, "export", "--db", share, "--quarter", "2022Q1", "-o", workbook)
    assert code == 0 and workbook.exists()
    from openpyxl import load_workbook

    book = load_workbook(workbook)
    sheet = book.worksheets[0]
    row = next(c.row for c in sheet["A"] if c.value == indicator)
    column = next(c.column for c in sheet[1] if c.value == "本期实际")
    sheet.cell(row=row, column=column, value=42)
    book.save(workbook)
    code, out, err = run(
        capsys, "import-excel", workbook, "--db", share, "--quarter", "2022Q1", "--apply"
    )
    assert code == 0, err
    assert "in step with" in out and "1 change(s) published" in out
    code, out, _ = run(capsys, "check", "--db", share)
    assert code == 0 and "integrity: ok" in out and str(share) in out
    code, out, _ = run(capsys, "sync", "--db", share)
    assert code == 0 and "0 change(s) published" in out
    assert touched == []
    monkeypatch.undo()
    with contextlib.closing(sqlite3.connect(f"file:{share}?mode=ro", uri=True)) as conn:
        assert conn.execute("SELECT count(*) FROM actual WHERE value = 42").fetchone()[0] == 1
    assert not share.with_name(share.name + "-journal").exists()


def test_cli_sync_lists_conflicts_and_decides_them_only_when_told(share, pcs, indicators, capsys):
    mine = ShareSession.open(share)  # the CLI's own replica (this user's data folder)
    mine.store.set_actual(indicators[0], 1, 2)
    mine.close()
    other = pcs("other")
    other.store.set_actual(indicators[0], 1, 1)
    assert other.sync().ok
    before = sha(share)
    code, out, err = run(capsys, "sync", "--db", share)
    assert code == cli.EXIT_PROBLEM
    assert "CONFLICT (field)" in out and "share 1, this PC 2" in out
    assert "saved on this PC only: 1 edit(s) wait" in err and "--prefer local|share" in err
    assert sha(share) == before
    code, out, err = run(capsys, "sync", "--db", share, "--prefer", "local")
    assert code == 0, err
    assert actual(share, indicators[0]) == 2


def test_cli_reports_a_damaged_master_in_one_line_and_check_shows_the_problems(share, capsys):
    damage_an_index(share)
    before = sha(share)
    code, out, err = run(
        capsys, "export", "--db", share, "--quarter", "2022Q1", "-o", share.parent / "x.xlsx"
    )
    assert code == 2 and len(err.splitlines()) == 1 and "failed its check" in err
    code, out, err = run(capsys, "check", "--db", share)
    assert code == cli.EXIT_PROBLEM and "integrity: PROBLEMS" in out
    assert "missing from index sqlite_autoindex_change_log_1" in out
    assert sha(share) == before


def test_cli_import_creates_a_new_plan_file_on_the_share(tmp_path, seed_path, capsys, monkeypatch):
    monkeypatch.setenv("JINGAN_SHARE_MODE", "replica")
    target = tmp_path / "share" / "new.sqlite"
    target.parent.mkdir()
    code, out, err = run(capsys, "import", seed_path, "--db", target)
    assert code == 0, err
    assert "created" in out and "in step with" in out
    assert master_ok(target)
    with contextlib.closing(sqlite3.connect(f"file:{target}?mode=ro", uri=True)) as conn:
        assert conn.execute("SELECT count(*) FROM item").fetchone()[0] == 34
