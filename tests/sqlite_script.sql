-- sqlite_script.sql: SQLite's work on a memory-mapped database of 17 MiB
--
-- For t_sqlite and the benchmarks: `sqlite3 DB < sqlite_script.sql` on a
-- new DB.  Every value comes from recursive CTEs and arithmetic (no
-- random(), no clock), so two runs on two new files print the same lines
-- and leave the same bytes: the printed hashes (sha3_query, built into
-- the shell) and aggregates cover the content, page_count and
-- freelist_count the layout.
--
-- The mmap_size comes first and is larger than the file will ever be:
-- SQLite then reads pages through a MAP_SHARED read-only mapping of the
-- whole file (those it is about to change, with pread), grows it with
-- ftruncate and mremap as the file grows, and writes with pwrite, so the
-- mapping and the writes must agree.  The blobs are larger than a page
-- (overflow chains); a rollback writes pages back from the journal; the
-- write-ahead log is checkpointed into the file; VACUUM shrinks the file
-- under a mapping that stays as long as it was.  The file reaches 24 MiB
-- on the way; the 100000 index lookups and the scans make the reads most
-- of the work (about 1.4 s natively).
.bail on
PRAGMA page_size = 4096;
PRAGMA mmap_size = 1073741824;

-- ---- build: 60k rows of text, 40k events, 1500 blobs of 5 to 13 KiB ----

BEGIN;
CREATE TABLE kv (
	id INTEGER PRIMARY KEY,
	k TEXT NOT NULL UNIQUE,
	v TEXT NOT NULL,
	n INTEGER NOT NULL
);
CREATE TABLE events (
	id INTEGER PRIMARY KEY,
	kv_id INTEGER NOT NULL REFERENCES kv(id),
	tag TEXT NOT NULL,
	amount INTEGER NOT NULL
);
CREATE TABLE blobs (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	data BLOB NOT NULL
);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s
    WHERE i < 60000)
INSERT INTO kv (id, k, v, n)
SELECT i, printf('key%08d', i),
    printf('%08x-%s', (i * 2654435761) % 4294967296,
	substr(hex(zeroblob(40 + i % 37)), 1, 20 + (i * 7) % 70)) ||
	printf('%x', i * i * 31),
    (i * 7919) % 100003
FROM s;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s
    WHERE i < 40000)
INSERT INTO events (id, kv_id, tag, amount)
SELECT i, 1 + (i * 104729) % 60000,
    'tag' || (i % 53), (i * 31337) % 10007 - 5000
FROM s;
-- each blob: a row-specific 16-byte pattern repeated, then a distinct tail
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s
    WHERE i < 1500)
INSERT INTO blobs (id, name, data)
SELECT i, printf('blob-%04d', i),
    CAST(replace(printf('%.*c', 320 + (i * 13) % 520, 'x'), 'x',
	printf('%08x%08x', (i * 2246822519) % 4294967296,
	    (i * 3266489917) % 4294967296)) ||
	printf('|%d|end', i) AS BLOB)
FROM s;
CREATE INDEX events_tag ON events (tag, kv_id);
CREATE INDEX kv_n ON kv (n);
CREATE INDEX blobs_len ON blobs (length(data));
COMMIT;

PRAGMA page_count;

-- ---- read work: scans, index lookups, joins, aggregates ----

SELECT 'kv', count(*), sum(n), sum(length(v)), sum(length(v) * (n % 7)),
    max(substr(v, 1, 8)), count(*) FILTER (WHERE v LIKE '%0%') FROM kv;
SELECT 'events', count(*), sum(amount), count(DISTINCT tag) FROM events;
SELECT 'blobs', count(*), sum(length(data)), min(length(data)),
    max(length(data)), sum(instr(data, X'7c')),
    hex(sha3(group_concat(substr(data, length(data) - 7), ''), 256))
FROM blobs;
-- 50000 lookups in the unique index on k: runs of 64 keys in a row, each
-- from somewhere else (a wholly random order would time the budget's
-- thrashing, not SQLite)
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s
    WHERE i < 49999)
SELECT 'lookups', count(*), sum(kv.n), sum(length(kv.v))
FROM s JOIN kv ON kv.k = printf('key%08d',
    1 + ((s.i / 64) * 48271 + s.i % 64) % 60000);
SELECT 'by tag', tag, count(*), sum(amount), sum(kv.n)
FROM events JOIN kv ON kv.id = events.kv_id
WHERE tag IN ('tag0', 'tag17', 'tag52')
GROUP BY tag ORDER BY tag;
SELECT 'range', count(*), sum(id) FROM kv WHERE n BETWEEN 20000 AND 40000;

-- ---- changes: updates, deletes, a rolled back transaction ----

BEGIN;
UPDATE kv SET v = v || '+u', n = n + 1 WHERE id % 3 = 0;
UPDATE blobs SET data = data || zeroblob(1000 + id % 900)
WHERE id % 5 = 0;
DELETE FROM events WHERE amount < -4000;
DELETE FROM blobs WHERE id % 7 = 3;
COMMIT;
SELECT 'changed', (SELECT count(*) FROM kv WHERE v LIKE '%+u'),
    (SELECT count(*) FROM events), (SELECT count(*) FROM blobs),
    (SELECT sum(length(data)) FROM blobs);

BEGIN;
DELETE FROM kv WHERE id > 30000;
UPDATE blobs SET data = zeroblob(20000) WHERE id % 4 = 0;
INSERT INTO events (kv_id, tag, amount)
SELECT kv_id, 'rolled back', amount FROM events;
SAVEPOINT sp;
DELETE FROM events;
ROLLBACK TO sp;
SELECT 'inside', (SELECT count(*) FROM kv), (SELECT count(*) FROM events);
ROLLBACK;
SELECT 'after rollback', (SELECT count(*) FROM kv),
    (SELECT count(*) FROM events), (SELECT sum(length(data)) FROM blobs),
    (SELECT count(*) FROM events WHERE tag = 'rolled back');

-- a write-ahead log for a while, then back to the rollback journal
PRAGMA journal_mode = WAL;
BEGIN;
UPDATE events SET amount = amount * 2 WHERE id % 11 = 0;
INSERT INTO kv (id, k, v, n)
SELECT id + 100000, 'wal' || k, upper(v), n FROM kv WHERE id % 10 = 0;
COMMIT;
DELETE FROM blobs WHERE id BETWEEN 100 AND 299;
SELECT 'wal', count(*), sum(n) FROM kv;
PRAGMA wal_checkpoint(TRUNCATE);
PRAGMA journal_mode = DELETE;

-- free pages (a third of kv), then give them back with VACUUM
DELETE FROM kv WHERE id % 3 = 1;
PRAGMA freelist_count;
VACUUM;
PRAGMA page_count;
PRAGMA freelist_count;
PRAGMA integrity_check;

-- ---- the content, hashed, and the read work again on the new file ----

SELECT 'kv', hex(sha3_query('SELECT * FROM kv ORDER BY id', 256));
SELECT 'events', hex(sha3_query('SELECT * FROM events ORDER BY id', 256));
SELECT 'blobs', hex(sha3_query('SELECT * FROM blobs ORDER BY id', 256));
SELECT 'schema', hex(sha3_query(
    'SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name',
    256));
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s
    WHERE i < 49999)
SELECT 'lookups', count(*), sum(kv.n), sum(length(kv.v))
FROM s JOIN kv ON kv.k = printf('key%08d',
    1 + ((s.i / 64) * 16807 + s.i % 64) % 60000);
SELECT 'n order', count(*), sum(id * (n % 13)) FROM (
    SELECT id, n FROM kv INDEXED BY kv_n WHERE n > 50000 ORDER BY n);
SELECT 'blob lengths', count(*), sum(length(data))
FROM blobs WHERE length(data) > 9000;
SELECT 'top', tag, sum(amount) AS a FROM events GROUP BY tag
ORDER BY a DESC, tag LIMIT 5;
