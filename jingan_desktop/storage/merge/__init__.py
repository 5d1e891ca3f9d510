"""Merging a copy that diverged offline (a USB stick, a department's return) into the master.

No shared base file is needed: every change in either file is in its ``change_log`` with a
UUID that copies keep, so

* the copy's new changes are its log entries the master does not have, and the master's
  own changes since the copies parted are its entries the copy does not have;
* a field changed only in the copy is taken; a field both logs touched since they parted,
  now holding different values, is a **conflict** for the user (or ``prefer``) to decide;
* rows match by UUID: a row created in the copy is created, a row removed there is removed
  (unless the master changed it, or something under it, meanwhile: a conflict again);
* rows that are the same thing under two ids (a department both sides typed in, a plan year
  both sides imported) are reconciled by their natural key: the master's row is kept and the
  copy's id is recorded in ``id_alias``, so the copy's changes land on the kept row;
* taking the copy's side of a row the master removed brings back what it hangs on (the item,
  its chapter and plan, its departments), never a dangling reference;
* one name per department, judged by the names after the merge: a copy that swapped two
  departments' names has both renames taken (written together); a rename onto a name another
  department keeps is held back and listed;
* a locked quarter's figures are never changed, whichever side is preferred: such changes
  are listed as skipped and their log entries are not adopted, so they come again (and are
  taken) once the quarter is unlocked;
* the copy's log entries are added to the master's log, so merging the same copy again finds
  nothing new and changes nothing.

:func:`plan_merge` only reads; :func:`apply_merge` writes in one transaction, after a backup
of the master, and first computes the plan again inside that transaction: if the master (or
the copy) changed since the preview, nothing is written and :class:`StalePreviewError`
carries the new preview to show. Both are plain library functions (no UI), deterministic.

The steps, one module each: :mod:`.reading` (the copy refused if damaged or not a copy of
this file), :mod:`.reconcile` (the same thing under two ids), :mod:`.planning` with
:mod:`.comparison`, :mod:`.names` and :mod:`.renumber` (what the merge would do: the preview),
:mod:`.applying` (writing it), :mod:`.department_file` (a department's file to fill in);
:mod:`.model` holds the values they pass and :mod:`.rows` the tables they move.
"""

from .applying import apply_merge
from .department_file import export_department_file
from .model import (
    Alias,
    Conflict,
    MergeChange,
    MergeError,
    MergePreview,
    Side,
    StalePreviewError,
    UnresolvedConflictsError,
)
from .planning import plan_merge

__all__ = [
    "Alias",
    "Conflict",
    "MergeChange",
    "MergeError",
    "MergePreview",
    "Side",
    "StalePreviewError",
    "UnresolvedConflictsError",
    "apply_merge",
    "export_department_file",
    "plan_merge",
]
