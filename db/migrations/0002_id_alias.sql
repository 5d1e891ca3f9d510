-- Schema version 2: rows that are the same thing under two ids.
--
-- Two copies that each add the department "区数据局", or each import the same plan year, make
-- the same thing under two UUIDs. A merge keeps one row (this file's) and records the other
-- copy's id here, so that copy's later changes (which still use its own id) land on the row
-- that was kept. Written (and logged) by the merge; merged between copies as a union.
CREATE TABLE id_alias (
    id TEXT PRIMARY KEY,                    -- the other copy's id of the row
    tbl TEXT NOT NULL,                      -- department, plan, chapter, item or indicator
    target_id TEXT NOT NULL,                -- the id of the row that was kept
    version INTEGER NOT NULL DEFAULT 1,
    modified_at TEXT NOT NULL,
    modified_by TEXT NOT NULL
);
CREATE INDEX id_alias_target ON id_alias(target_id);
