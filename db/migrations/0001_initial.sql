-- Schema version 1: the plan, its quarterly data, departments, quarter locks and the change log.
--
-- Every row's primary key is a UUID (text), so copies of the file that diverged offline can be
-- merged row by row. Rows whose identity is a natural pair (an indicator's actual for a quarter,
-- an item's progress for a quarter, a plan's quarter lock) get a name-based UUID derived from
-- that pair, so two copies that both fill in the same cell agree on its id.
-- Every row carries version / modified_at / modified_by; every change is also written to
-- change_log inside the same transaction (see jingan_desktop/core/store.py).

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE department (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0),
    position INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    modified_at TEXT NOT NULL,
    modified_by TEXT NOT NULL
);

CREATE TABLE plan (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    year INTEGER NOT NULL UNIQUE,
    issuer TEXT,
    issued_on TEXT,
    preamble TEXT NOT NULL DEFAULT '',
    source_text TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    modified_at TEXT NOT NULL,
    modified_by TEXT NOT NULL
);

CREATE TABLE chapter (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    numeral TEXT NOT NULL,
    title TEXT NOT NULL,
    intro TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    modified_at TEXT NOT NULL,
    modified_by TEXT NOT NULL
);
CREATE INDEX chapter_plan ON chapter(plan_id, position);

CREATE TABLE item (
    id TEXT PRIMARY KEY,
    chapter_id TEXT NOT NULL REFERENCES chapter(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    section TEXT,
    lead_department_id TEXT REFERENCES department(id) ON DELETE SET NULL,
    co_department_ids TEXT NOT NULL DEFAULT '[]',   -- JSON list of department ids
    due_date TEXT,                                   -- YYYY-MM-DD
    weight REAL NOT NULL DEFAULT 1 CHECK (weight >= 0),
    version INTEGER NOT NULL DEFAULT 1,
    modified_at TEXT NOT NULL,
    modified_by TEXT NOT NULL
);
CREATE INDEX item_chapter ON item(chapter_id, position);
CREATE INDEX item_lead ON item(lead_department_id);

CREATE TABLE indicator (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES item(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',          -- the source phrase
    span_start INTEGER,                     -- offsets of text inside item.text
    span_end INTEGER,
    value REAL,
    unit TEXT NOT NULL DEFAULT '',
    comparator TEXT NOT NULL DEFAULT '>=' CHECK (comparator IN ('>=', '<=', '=', '~')),
    kind TEXT NOT NULL DEFAULT 'quantity'
        CHECK (kind IN ('quantity', 'level', 'growth', 'decline', 'ratio')),
    stretch_value REAL,
    weight REAL NOT NULL DEFAULT 1 CHECK (weight >= 0),
    pace_q1 REAL NOT NULL DEFAULT 25,
    pace_q2 REAL NOT NULL DEFAULT 50,
    pace_q3 REAL NOT NULL DEFAULT 75,
    pace_q4 REAL NOT NULL DEFAULT 100,
    tolerance REAL NOT NULL DEFAULT 5 CHECK (tolerance >= 0),
    accumulation TEXT NOT NULL DEFAULT 'ytd' CHECK (accumulation IN ('ytd', 'quarter')),
    version INTEGER NOT NULL DEFAULT 1,
    modified_at TEXT NOT NULL,
    modified_by TEXT NOT NULL
);
CREATE INDEX indicator_item ON indicator(item_id, position);

CREATE TABLE actual (
    id TEXT PRIMARY KEY,                    -- uuid5(indicator_id, quarter)
    indicator_id TEXT NOT NULL REFERENCES indicator(id) ON DELETE CASCADE,
    quarter INTEGER NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    value REAL,
    note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    modified_at TEXT NOT NULL,
    modified_by TEXT NOT NULL,
    UNIQUE (indicator_id, quarter)
);

CREATE TABLE progress (
    id TEXT PRIMARY KEY,                    -- uuid5(item_id, quarter)
    item_id TEXT NOT NULL REFERENCES item(id) ON DELETE CASCADE,
    quarter INTEGER NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    status TEXT CHECK (status IS NULL OR status IN ('未启动', '推进中', '已完成', '滞后')),
    text TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    modified_at TEXT NOT NULL,
    modified_by TEXT NOT NULL,
    UNIQUE (item_id, quarter)
);

CREATE TABLE quarter_lock (
    id TEXT PRIMARY KEY,                    -- uuid5(plan_id, quarter)
    plan_id TEXT NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
    quarter INTEGER NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    locked_at TEXT,
    locked_by TEXT,
    snapshot TEXT,                          -- JSON: the quarter's figures when it was locked
    version INTEGER NOT NULL DEFAULT 1,
    modified_at TEXT NOT NULL,
    modified_by TEXT NOT NULL,
    UNIQUE (plan_id, quarter)
);

-- One row per changed field (op 'update'), or per created / removed row (op 'insert' /
-- 'delete', with the whole row as JSON in new / old). Entries keep their UUID across copies,
-- so merging two copies' logs is a union and a second merge of the same copy finds nothing new.
CREATE TABLE change_log (
    id TEXT PRIMARY KEY,
    txn TEXT NOT NULL,                      -- one user action = one transaction = one txn id
    ts TEXT NOT NULL,                       -- UTC, ISO 8601 with microseconds
    user TEXT NOT NULL,
    machine TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('edit', 'import', 'merge', 'undo', 'redo', 'lock', 'restore', 'migration')),
    op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    field TEXT,
    old TEXT,                               -- JSON
    new TEXT,                               -- JSON
    summary TEXT NOT NULL DEFAULT ''        -- what the user did, e.g. "修改实际值"
);
CREATE INDEX change_log_row ON change_log(tbl, row_id, ts);
CREATE INDEX change_log_ts ON change_log(ts);
