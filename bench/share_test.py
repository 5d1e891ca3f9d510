"""Two PCs on a real SMB share whose byte-range locks are not shared, and a crash run.

    .venv/bin/python bench/share_test.py [--edits 1000] [--crash-rounds 12]

Needs (as root) the Debian packages ``samba`` and ``smbnetfs`` (this script installs
nothing; it says so when they are missing) and /dev/fuse. It starts its own Samba server on
127.0.0.1 only, with a private configuration in a temporary folder, and mounts the share twice
through smbnetfs (two SMB sessions, whose locks are not shared: a stand-in for two PCs). Then:

* **interleaved** — two app processes, one per mount, each make ``--edits`` edits (figures of
  their own indicators, and 10 % on four indicators both edit, so conflicts occur), syncing
  after every 1–8 edits, running freely at the same time;
* **crash** — the same, but one process is killed with SIGKILL at random moments
  ``--crash-rounds`` times and started again on its replica.

Afterwards each process syncs until nothing waits, and the master (copied from the server's
folder) is checked with plain sqlite3:

* lost         — edits saved in a replica whose change-log entry is not in the master, or an
                 indicator whose last figure (written by its only editor) is not the master's;
* corrupt      — the master fails ``PRAGMA integrity_check``, or a process ever fetched a
                 master that failed its check;
* conflicts    — surfaced to the process (and decided by it, alternately "mine"/"share");
                 "silent" counts a pending edit of a shared indicator replaced without a
                 conflict being shown;
* false-saved  — entries a sync reported as published that the final master lacks.

Exits 1 unless lost, corrupt, silent and false-saved are all 0. Everything it started is
stopped by PID and both mounts are unmounted, also on Ctrl+C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "jingan-bench"
SHARED_CELLS = 4
OWN_CELLS = 20


# --- the loopback server and the two mounts ---------------------------------------------


def missing_tools() -> list[str]:
    return [tool for tool in ("smbd", "smbpasswd", "smbnetfs", "umount") if not shutil.which(tool)]


class LoopbackShare:
    """smbd on 127.0.0.1 with a private config, and smbnetfs mounts of its one share."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.share = folder / "share"
        self.conf = folder / "smb.conf"
        self.smbd: subprocess.Popen[bytes] | None = None
        self.mounts: list[tuple[Path, subprocess.Popen[bytes]]] = []

    def start(self) -> None:
        for sub in ("share", "private", "lock", "state", "cache", "pid", "ncalrpc", "log"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        f = self.folder
        self.conf.write_text(
            f"""[global]
interfaces = 127.0.0.1/8 lo
bind interfaces only = yes
smb ports = 445
disable netbios = yes
server min protocol = SMB2
load printers = no
printcap name = /dev/null
private dir = {f}/private
lock directory = {f}/lock
state directory = {f}/state
cache directory = {f}/cache
pid directory = {f}/pid
ncalrpc dir = {f}/ncalrpc
log file = {f}/log/smbd.log
passdb backend = tdbsam:{f}/private/passdb.tdb

[share]
path = {self.share}
read only = no
force user = root
oplocks = yes
level2 oplocks = yes
""",
            encoding="utf-8",
        )
        subprocess.run(
            ["smbpasswd", "-c", str(self.conf), "-a", "-s", "root"],
            input=f"{PASSWORD}\n{PASSWORD}\n".encode(),
            check=True,
            capture_output=True,
        )
        self.smbd = subprocess.Popen(
            ["smbd", "-s", str(self.conf), "--foreground", "--no-process-group"],
            stdout=subprocess.DEVNULL,
            stderr=open(f / "log" / "smbd.stderr", "wb"),
            start_new_session=True,  # smbd signals its process group when it stops
        )
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 445), 1):
                break
            if self.smbd.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"smbd did not start (see {f}/log)")
            time.sleep(0.2)

    def mount(self, name: str) -> Path:
        home = self.folder / f"home-{name}"
        (home / ".smb").mkdir(parents=True, exist_ok=True)
        (home / ".smb" / "smb.conf").write_text("[global]\n", encoding="utf-8")
        (home / ".smb" / "smbnetfs.conf").write_text(
            f'auth "root" "{PASSWORD}"\nhost 127.0.0.1 visible=true\n', encoding="utf-8"
        )
        (home / ".smb" / "smbnetfs.conf").chmod(0o600)
        point = self.folder / f"mnt-{name}"
        point.mkdir(exist_ok=True)
        process = subprocess.Popen(
            ["smbnetfs", str(point), "-f"],
            env={**os.environ, "HOME": str(home)},
            stdout=subprocess.DEVNULL,
            stderr=open(self.folder / "log" / f"smbnetfs-{name}.log", "wb"),
            start_new_session=True,
        )
        self.mounts.append((point, process))
        target = point / "127.0.0.1" / "share"
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError):
                os.listdir(target)
                return target
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"smbnetfs mount {point} did not come up")
            time.sleep(0.3)

    def stop(self) -> None:
        for point, process in reversed(self.mounts):
            subprocess.run(["umount", str(point)], capture_output=True)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                subprocess.run(["umount", "-l", str(point)], capture_output=True)
        self.mounts.clear()
        if self.smbd is not None and self.smbd.poll() is None:
            self.smbd.terminate()
            try:
                self.smbd.wait(10)
            except subprocess.TimeoutExpired:
                self.smbd.kill()
                self.smbd.wait()
        self.smbd = None


# --- one app process ------------------------------------------------------------------------


def worker(args: argparse.Namespace) -> int:
    """One PC: edits on its replica, syncs through its mount; results as JSON lines."""
    from jingan_desktop.storage.sync import ShareSession

    rng = random.Random(args.seed)
    master = Path(args.master)
    cells = json.loads(args.cells)
    own, shared = cells["own"], cells["shared"]
    out = open(args.out, "a", encoding="utf-8")

    def emit(**record: object) -> None:
        out.write(json.dumps(record) + "\n")
        out.flush()

    session = ShareSession.open(
        master,
        data_folder=Path(args.data),
        actor=(args.name, args.name),
        lock_options={"stale_seconds": 5.0},
    )
    pending_shared: dict[str, float] = {}  # shared cell -> my unpublished value
    counter = (args.seed + 1) * 1_000_000  # every run of every process writes its own values

    def do_sync() -> bool:
        result = session.sync(lock_wait=30)
        decided: set[str] = set()
        if result.status == "conflicts":
            emit(kind="conflicts", n=len(result.conflicts))
            decided = {c.change.row_id for c in result.conflicts}
            result = session.sync(prefer=rng.choice(("ours", "theirs")), lock_wait=30)
        emit(
            kind="sync",
            status=result.status,
            published=sorted(result.published_ids),
            broken=len(result.broken_locks),
            message=result.message,
        )
        if result.ok:
            for cell, value in list(pending_shared.items()):
                row = session.store.row("actual", _pair(cell))
                if row_id_decided(cell, decided):
                    pass
                elif row is None or row["value"] != value:
                    emit(kind="silent", cell=cell, mine=value, now=row and row["value"])
            pending_shared.clear()
        return result.ok and result.pending == 0

    def row_id_decided(cell: str, decided: set[str]) -> bool:
        return _pair(cell) in decided

    edits = 0
    while edits < args.edits:
        for _ in range(rng.randint(1, 8)):
            if edits >= args.edits:
                break
            counter += 1
            cell = rng.choice(shared) if rng.random() < 0.1 else rng.choice(own)
            value = float(counter)
            session.store.set_actual(cell, 1, value)
            if cell in shared:
                pending_shared[cell] = value
            edits += 1
            emit(kind="edit")
        do_sync()
    for _attempt in range(40):
        if do_sync():
            break
        time.sleep(0.5)
    session.close()
    emit(kind="done")
    out.close()
    return 0


def _pair(indicator_id: str) -> str:
    from jingan_desktop.storage.store import pair_id

    return pair_id(indicator_id, 1)


# --- a run ----------------------------------------------------------------------------------


def start_worker(
    mount: Path, data: Path, name: str, cells: dict, edits: int, seed: int, out: Path
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            "--master",
            str(mount / "plan.sqlite"),
            "--data",
            str(data),
            "--name",
            name,
            "--cells",
            json.dumps(cells),
            "--edits",
            str(edits),
            "--seed",
            str(seed),
            "--out",
            str(out),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT), "JINGAN_SHARE_MODE": ""},
        stderr=open(out.with_suffix(".stderr"), "ab"),
    )


def run_scenario(
    share: LoopbackShare,
    mounts: list[Path],
    folder: Path,
    label: str,
    edits: int,
    crash_rounds: int,
    seed: int,
    template: Path,
) -> dict[str, object]:
    from jingan_desktop.storage.sync import verify_file

    master = share.share / "plan.sqlite"
    for leftover in share.share.iterdir():
        leftover.unlink()
    shutil.copyfile(template, master)
    with sqlite3.connect(f"file:{template}?mode=ro", uri=True) as conn:
        indicators = [row[0] for row in conn.execute("SELECT id FROM indicator ORDER BY id")]
    shared = indicators[:SHARED_CELLS]
    names = ("pcA", "pcB")
    cells = {
        name: {
            "own": indicators[SHARED_CELLS + i * OWN_CELLS : SHARED_CELLS + (i + 1) * OWN_CELLS],
            "shared": shared,
        }
        for i, name in enumerate(names)
    }
    run_dir = folder / label
    run_dir.mkdir()
    outs = {name: run_dir / f"{name}.jsonl" for name in names}
    datas = {name: run_dir / f"data-{name}" for name in names}
    started = time.monotonic()
    kills = 0
    kills_holding_lock = 0
    b = start_worker(mounts[1], datas["pcB"], "pcB", cells["pcB"], edits, seed + 2, outs["pcB"])
    processes = [b]
    try:
        if crash_rounds:
            rng = random.Random(seed)
            per_round = max(1, edits // crash_rounds)
            for round_ in range(crash_rounds):
                a = start_worker(
                    mounts[0],
                    datas["pcA"],
                    "pcA",
                    cells["pcA"],
                    per_round,
                    seed + 10 + round_,
                    outs["pcA"],
                )
                processes.append(a)
                time.sleep(rng.uniform(1.0, 8.0))
                if a.poll() is None:
                    a.send_signal(signal.SIGKILL)
                    kills += 1
                    a.wait()
                    if (share.share / ".plan.sqlite.sync-lock").exists():
                        kills_holding_lock += 1
            a = start_worker(
                mounts[0], datas["pcA"], "pcA", cells["pcA"], 0, seed + 99, outs["pcA"]
            )
            processes.append(a)
        else:
            a = start_worker(
                mounts[0], datas["pcA"], "pcA", cells["pcA"], edits, seed + 1, outs["pcA"]
            )
            processes.append(a)
        for process in processes:
            process.wait()
        # Settle: each syncs once more (the other may have published after its last sync).
        for name, mount in zip(names, mounts, strict=True):
            settle = start_worker(mount, datas[name], name, cells[name], 0, seed + 7, outs[name])
            processes.append(settle)
            settle.wait()
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    seconds = time.monotonic() - started

    final = run_dir / "final.sqlite"
    shutil.copyfile(master, final)
    problems = verify_file(final)
    with sqlite3.connect(f"file:{final}?mode=ro", uri=True) as conn:
        in_master = {row[0] for row in conn.execute("SELECT id FROM change_log")}
        master_values = dict(
            conn.execute("SELECT indicator_id, value FROM actual WHERE quarter = 1").fetchall()
        )
    records: dict[str, list[dict]] = {
        name: [json.loads(line) for line in outs[name].read_text().splitlines() if line.strip()]
        for name in names
    }
    lost = 0
    wrong_values = 0
    saved = 0
    for name in names:
        replica = next(datas[name].glob("replicas/*/plan.sqlite"))
        with sqlite3.connect(f"file:{replica}?mode=ro", uri=True) as conn:
            mine = {
                row[0]
                for row in conn.execute(
                    "SELECT id FROM change_log WHERE source = 'edit' AND user = ?", (name,)
                )
            }
            own_values = dict(
                conn.execute("SELECT indicator_id, value FROM actual WHERE quarter = 1").fetchall()
            )
        saved += len(mine)
        lost += len(mine - in_master)
        for cell in cells[name]["own"]:
            if cell in own_values and master_values.get(cell) != own_values[cell]:
                wrong_values += 1
    published = set()
    statuses: Counter[str] = Counter()
    for name in names:
        for record in records[name]:
            if record["kind"] == "sync":
                published.update(record["published"])
                statuses[record["status"]] += 1
    edits_made = sum(1 for name in names for r in records[name] if r["kind"] == "edit")
    return {
        "label": label,
        "edits": edits_made,
        "saved": saved,
        "lost": lost + wrong_values,
        "corrupt": (1 if problems else 0) + statuses["damaged"],
        "conflicts": sum(
            r.get("n", 0) for n in names for r in records[n] if r["kind"] == "conflicts"
        ),
        "silent": sum(1 for n in names for r in records[n] if r["kind"] == "silent"),
        "false_saved": len(published - in_master),
        "syncs": sum(statuses.values()),
        "statuses": dict(statuses),
        "broken": sum(r.get("broken", 0) for n in names for r in records[n] if r["kind"] == "sync"),
        "kills": kills,
        "kills_holding_lock": kills_holding_lock,
        "seconds": seconds,
        "problems": problems[:3],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=1000, help="edits per process")
    parser.add_argument("--crash-rounds", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    for name in ("--master", "--data", "--name", "--cells", "--out"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    missing = missing_tools()
    if missing:
        print(
            f"share_test needs {', '.join(missing)}: install the Debian packages samba and "
            "smbnetfs (apt-get install samba smbnetfs) and run it as root",
            file=sys.stderr,
        )
        return 2
    if not os.path.exists("/dev/fuse"):
        print("share_test needs /dev/fuse for the smbnetfs mounts", file=sys.stderr)
        return 2

    from bench._workers import make_plan_file

    folder = Path(tempfile.mkdtemp(prefix="jingan-share-"))
    share = LoopbackShare(folder)
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = []
    try:
        share.start()
        mounts = [share.mount("1"), share.mount("2")]
        template = make_plan_file(folder / "template.sqlite")
        print(f"Samba on 127.0.0.1, mounted twice through smbnetfs under {folder}")
        results.append(
            run_scenario(share, mounts, folder, "interleaved", args.edits, 0, args.seed, template)
        )
        results.append(
            run_scenario(
                share, mounts, folder, "crash", args.edits, args.crash_rounds, args.seed, template
            )
        )
    finally:
        share.stop()
        signal.signal(signal.SIGTERM, previous)
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    header = (
        f"{'run':12} {'edits':>6} {'saved':>6} {'lost':>5} {'corrupt':>7} {'conflicts':>9} "
        f"{'silent':>6} {'false-saved':>11} {'syncs':>6} {'seconds':>7}"
    )
    print(header)
    failed = False
    for r in results:
        print(
            f"{r['label']:12} {r['edits']:>6} {r['saved']:>6} {r['lost']:>5} {r['corrupt']:>7} "
            f"{r['conflicts']:>9} {r['silent']:>6} {r['false_saved']:>11} {r['syncs']:>6} "
            f"{r['seconds']:>7.1f}"
        )
        failed |= bool(r["lost"] or r["corrupt"] or r["silent"] or r["false_saved"])
    for r in results:
        notes = [f"sync outcomes {r['statuses']}", f"stale locks broken {r['broken']}"]
        if r["kills"]:
            notes.append(
                f"SIGKILLs {r['kills']} ({r['kills_holding_lock']} while holding the lock)"
            )
        print(f"{r['label']}: " + "; ".join(notes))
        for problem in r["problems"]:
            print(f"    PROBLEM: {problem}")
    print("RESULT: " + ("FAILED" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
