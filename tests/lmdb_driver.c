/* lmdb_driver.c: a plain LMDB program: builds, changes, checks a database */
/*
 * It knows nothing of upager: t_lmdb runs it natively and under `upager
 * run` and compares what it prints and the databases it leaves; the
 * benchmarks time its read phase alone.
 *
 * usage: lmdb_driver DIR write [writemap] NKEYS
 *        lmdb_driver DIR read NKEYS
 *
 * write makes a new environment in DIR (created if need be; it must hold
 * no database yet) in LMDB's default mode (a read-only map, pages written
 * with pwrite and writev) or with MDB_WRITEMAP, and puts it through:
 *   1. NKEYS keys, inserted in a random order by four big transactions,
 *      into four named databases: small values, medium ones (a few to a
 *      leaf page), large ones (overflow pages) and a sorted-duplicates
 *      one;
 *   2. after a reopen, a hundred small transactions of random inserts,
 *      overwrites, deletes and checked reads (most on a few keys), some
 *      aborted, some with a nested transaction (default mode: LMDB has
 *      none with WRITEMAP);
 *   3. after a reopen, big transactions: a range of keys deleted with a
 *      cursor, every seventh key rewritten, a scratch database filled and
 *      dropped; the map grown while open; more small transactions;
 *   4. after a reopen without syncs, a hundred small transactions, one
 *      explicit sync.
 * Each environment's transactions use other sync flags.  Which key is
 * where, and every value, come from a fixed generator and a version, so
 * an in-memory model knows the whole database: reads in the transactions
 * and a sixteenth of the keys before each close are checked against it,
 * and everything on a last reopen, which prints the summary.
 *
 * read replays the model alone, opens DIR read-only, checks every key
 * and value against it and prints the same summary: a phase that can run
 * and be timed by itself.
 *
 * Exit status: 0 when all is well, 1 on an LMDB or system error, 2 on a
 * bad command line, 3 when something read back is not what the model
 * says.
 */
#include <errno.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEED 0x1d3b7a5c9e0f2468ull
#define MiB (1024 * 1024ul)
#define MAXVAL (96 * 1024)      /* above any value made here */
#define DUPLEN 24               /* each sorted duplicate */
#define MAXDUP 12
#define KEYMAX 40

enum { DB_SMALL, DB_MEDIUM, DB_LARGE, DB_DUPS, NDB };
static const char *const db_names[NDB] = { "small", "medium", "large",
    "dups" };

struct undo {
	uint32_t key, ver;
};

struct drv {
	MDB_env *env;
	MDB_dbi dbi[NDB], meta;
	const char *dir;
	unsigned nkeys;
	bool writemap;
	bool dry;               /* read: replay the model, touch nothing */
	size_t mapsize;
	uint64_t rng;
	uint32_t *ver;          /* the model: each key's version, 0: absent */
	uint32_t gen;           /* the last version handed out */
	uint32_t commits;       /* write transactions committed */
	struct undo *undo;      /* the transaction's changes to the model */
	size_t nundo, maxundo;
	unsigned char *vbuf;
};

/* ---- failures ---- */

static void die(int line, const char *what, int rc)
    __attribute__((noreturn));
static void die(int line, const char *what, int rc)
{
	fprintf(stderr, "lmdb_driver: line %d: %s: %s\n", line, what,
	    mdb_strerror(rc));
	exit(1);
}

/* E(call): an LMDB call that must succeed. */
#define E(call) do { \
	int e_rc_ = (call); \
	if (e_rc_ != MDB_SUCCESS) \
		die(__LINE__, #call, e_rc_); \
} while (0)

static void mismatch(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static void mismatch(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "lmdb_driver: read back wrong: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(3);
}

/* ---- the generator and the contents it decides ---- */

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* splitmix: the next number of the stream *s. */
static uint64_t splitmix(uint64_t *s)
{
	return mix(*s += 0x9e3779b97f4a7c15ull);
}

static uint64_t rnd(struct drv *d, uint64_t n)
{
	return splitmix(&d->rng) % n;
}

/* key_db: the database key i lives in, for good. */
static unsigned key_db(unsigned i)
{
	unsigned r = (unsigned)(mix(i ^ 0x5eedull) % 16);

	return r < 2 ? DB_LARGE : r < 8 ? DB_MEDIUM : r < 14 ? DB_SMALL :
	    DB_DUPS;
}

/*
 * key_str: key i as the database holds it: eight digits, so that the
 * databases' order is the keys' order, and a tail of 0 to 23 letters.
 */
static size_t key_str(unsigned i, char *buf)
{
	unsigned extra = (unsigned)(mix(i + 77) % 24), j;
	int n = snprintf(buf, KEYMAX, "%08u", i);

	for (j = 0; j < extra; j++)
		buf[n + (int)j] = (char)('a' + (i + j) % 26);
	buf[n + (int)extra] = '\0';
	return (size_t)n + extra;
}

/* val_len: the length of version ver of key i's value. */
static size_t val_len(unsigned i, uint32_t ver)
{
	uint64_t h = mix(((uint64_t)i << 32) ^ ver ^ 0xa11ce);

	switch (key_db(i)) {
	case DB_SMALL:
		return 8 + h % 249;
	case DB_MEDIUM:
		return 300 + h % 2700;
	default:
		/* overflow pages; one in 16 over 14 of them */
		return 4097 + h % 20000 + (h % 16 == 0 ? 40000 : 0);
	}
}

/* val_fill: b[0, n) gets the bytes of version ver of key i's value. */
static void val_fill(unsigned char *b, size_t n, unsigned i, uint32_t ver)
{
	uint64_t s = ((uint64_t)ver << 32) ^ i ^ 0xfeedull, v;
	size_t k;

	for (k = 0; k + 8 <= n; k += 8) {
		v = splitmix(&s);
		memcpy(b + k, &v, 8);
	}
	v = splitmix(&s);
	memcpy(b + k, &v, n - k);
}

static int dup_cmp(const void *a, const void *b)
{
	return memcmp(a, b, DUPLEN);
}

/*
 * dup_set: version ver of duplicate key i's values, in LMDB's order
 * (memcmp), each once, in b; returns how many.
 */
static unsigned dup_set(unsigned char *b, unsigned i, uint32_t ver)
{
	unsigned n = 1 + (unsigned)(mix(((uint64_t)ver << 32) ^ i) %
	    MAXDUP), j, k;

	for (j = 0; j < n; j++)
		val_fill(b + j * DUPLEN, DUPLEN, i * MAXDUP + j, ver);
	qsort(b, n, DUPLEN, dup_cmp);
	for (j = k = 1; j < n; j++)
		if (memcmp(b + j * DUPLEN, b + (k - 1) * DUPLEN, DUPLEN) != 0)
			memmove(b + k++ * DUPLEN, b + j * DUPLEN, DUPLEN);
	return n == 0 ? 0 : k;
}

/* ---- the model and its undo log ---- */

static void set_ver(struct drv *d, unsigned i, uint32_t v)
{
	if (d->nundo == d->maxundo) {
		d->maxundo = d->maxundo ? 2 * d->maxundo : 1024;
		d->undo = realloc(d->undo, d->maxundo * sizeof(*d->undo));
		if (d->undo == NULL) {
			perror("lmdb_driver: realloc");
			exit(1);
		}
	}
	d->undo[d->nundo].key = i;
	d->undo[d->nundo++].ver = d->ver[i];
	d->ver[i] = v;
}

/* undo_to: forget the model's changes since the log held mark entries. */
static void undo_to(struct drv *d, size_t mark)
{
	while (d->nundo > mark) {
		d->nundo--;
		d->ver[d->undo[d->nundo].key] = d->undo[d->nundo].ver;
	}
}

/* ---- transactions; a NULL txn changes the model alone ---- */

static MDB_txn *txn_begin(struct drv *d, MDB_txn *parent)
{
	MDB_txn *txn = NULL;

	if (!d->dry)
		E(mdb_txn_begin(d->env, parent, 0, &txn));
	return txn;
}

/*
 * txn_commit: commit a top-level transaction, which first counts itself
 * in the meta database: the one record every transaction rewrites.
 */
static void txn_commit(struct drv *d, MDB_txn *txn)
{
	char num[16];
	MDB_val k = { 7, "commits" }, v;

	d->commits++;
	d->nundo = 0;
	if (txn == NULL)
		return;
	v.mv_size = (size_t)snprintf(num, sizeof(num), "%u", d->commits);
	v.mv_data = num;
	E(mdb_put(txn, d->meta, &k, &v, 0));
	E(mdb_txn_commit(txn));
}

static void txn_abort(struct drv *d, MDB_txn *txn, size_t mark)
{
	undo_to(d, mark);
	if (txn != NULL)
		mdb_txn_abort(txn);
}

/* ---- operations on one key ---- */

/* key_put: key i gets a new version, as one more value or a new one. */
static void key_put(struct drv *d, MDB_txn *txn, unsigned i)
{
	unsigned db = key_db(i), n, j;
	uint32_t old = d->ver[i], ver = ++d->gen;
	char ks[KEYMAX];
	MDB_val k, v;
	int rc;

	set_ver(d, i, ver);
	if (txn == NULL)
		return;
	k.mv_data = ks;
	k.mv_size = key_str(i, ks);
	if (db == DB_DUPS) {
		rc = mdb_del(txn, d->dbi[db], &k, NULL);
		if (rc != (old != 0 ? MDB_SUCCESS : MDB_NOTFOUND))
			die(__LINE__, "mdb_del(dups)", rc);
		n = dup_set(d->vbuf, i, ver);
		for (j = 0; j < n; j++) {
			v.mv_size = DUPLEN;
			v.mv_data = d->vbuf + j * DUPLEN;
			E(mdb_put(txn, d->dbi[db], &k, &v, MDB_NODUPDATA));
		}
		return;
	}
	v.mv_size = val_len(i, ver);
	if (ver % 3 == 0) {
		/* reserved: LMDB gives the room, the value is written in */
		E(mdb_put(txn, d->dbi[db], &k, &v, MDB_RESERVE));
		val_fill(v.mv_data, v.mv_size, i, ver);
		return;
	}
	val_fill(d->vbuf, v.mv_size, i, ver);
	v.mv_data = d->vbuf;
	E(mdb_put(txn, d->dbi[db], &k, &v, old == 0 ? MDB_NOOVERWRITE : 0));
}

static void key_del(struct drv *d, MDB_txn *txn, unsigned i)
{
	uint32_t old = d->ver[i];
	char ks[KEYMAX];
	MDB_val k;
	int rc;

	set_ver(d, i, 0);
	if (txn == NULL)
		return;
	k.mv_data = ks;
	k.mv_size = key_str(i, ks);
	rc = mdb_del(txn, d->dbi[key_db(i)], &k, NULL);
	if (old != 0 && rc != MDB_SUCCESS)
		die(__LINE__, "mdb_del", rc);
	if (old == 0 && rc != MDB_NOTFOUND)
		mismatch("key %u deleted, yet there", i);
}

/* val_check: key i's value (its first for duplicates) is what it must be */
static void val_check(struct drv *d, unsigned i, const MDB_val *v)
{
	uint32_t ver = d->ver[i];
	size_t n = key_db(i) == DB_DUPS ? DUPLEN : val_len(i, ver);

	if (key_db(i) == DB_DUPS)
		dup_set(d->vbuf, i, ver);
	else
		val_fill(d->vbuf, n, i, ver);
	if (v->mv_size != n)
		mismatch("key %u version %u: %zu bytes, not %zu", i, ver,
		    v->mv_size, n);
	if (memcmp(v->mv_data, d->vbuf, n) != 0)
		mismatch("key %u version %u: other bytes", i, ver);
}

/* key_check: mdb_get finds key i as the model has it. */
static void key_check(struct drv *d, MDB_txn *txn, unsigned i)
{
	char ks[KEYMAX];
	MDB_val k, v;
	int rc;

	if (txn == NULL)
		return;
	k.mv_data = ks;
	k.mv_size = key_str(i, ks);
	rc = mdb_get(txn, d->dbi[key_db(i)], &k, &v);
	if (rc == MDB_NOTFOUND && d->ver[i] == 0)
		return;
	if (rc == MDB_NOTFOUND)
		mismatch("key %u (version %u) not found", i, d->ver[i]);
	if (rc != MDB_SUCCESS)
		die(__LINE__, "mdb_get", rc);
	if (d->ver[i] == 0)
		mismatch("key %u found, yet deleted", i);
	val_check(d, i, &v);
}

/*
 * one_op: a random operation: three in four on a small set of keys that
 * moves every 32 commits, so that the same pages are rewritten again and
 * again, the rest anywhere.
 */
static void one_op(struct drv *d, MDB_txn *txn)
{
	unsigned hot = d->nkeys / 50 + 1, i, r;

	if (rnd(d, 4) != 0)
		i = (unsigned)((d->commits / 32 * 7 % 50) * hot +
		    rnd(d, hot)) % d->nkeys;
	else
		i = (unsigned)rnd(d, d->nkeys);
	r = (unsigned)rnd(d, 100);
	if (r < 10)
		key_check(d, txn, i);
	else if (d->ver[i] == 0 && r < 20)
		key_del(d, txn, i);
	else if (d->ver[i] != 0 && r < 40)
		key_del(d, txn, i);
	else
		key_put(d, txn, i);
}

/*
 * small_txns: n small transactions: one in 13 aborted, one in 9 with a
 * nested transaction, itself aborted one time in three.  With WRITEMAP
 * (no nested transactions) the nested operations go to the parent, or
 * to the model alone and back out when they would have been aborted.
 */
static void small_txns(struct drv *d, unsigned n)
{
	unsigned t, k, nops;
	MDB_txn *txn, *child;
	size_t mark;
	bool abort_child;

	for (t = 0; t < n; t++) {
		txn = txn_begin(d, NULL);
		nops = 1 + (unsigned)rnd(d, 12);
		for (k = 0; k < nops; k++)
			one_op(d, txn);
		if (t % 9 == 4) {
			mark = d->nundo;
			abort_child = rnd(d, 3) == 0;
			if (d->writemap)
				child = abort_child ? NULL : txn;
			else
				child = txn_begin(d, txn);
			nops = 1 + (unsigned)rnd(d, 8);
			for (k = 0; k < nops; k++)
				one_op(d, child);
			if (abort_child)
				txn_abort(d, d->writemap ? NULL : child, mark);
			else if (child != NULL && child != txn)
				E(mdb_txn_commit(child));
		}
		if (t % 13 == 7)
			txn_abort(d, txn, 0);
		else
			txn_commit(d, txn);
	}
}

/* ---- the big transactions ---- */

/* fill_all: every key, in a random order, by four transactions. */
static void fill_all(struct drv *d)
{
	unsigned *perm = malloc(d->nkeys * sizeof(*perm)), i, j, t, tmp;
	MDB_txn *txn;

	if (perm == NULL) {
		perror("lmdb_driver: malloc");
		exit(1);
	}
	for (i = 0; i < d->nkeys; i++)
		perm[i] = i;
	for (i = d->nkeys - 1; i > 0; i--) {
		j = (unsigned)rnd(d, i + 1);
		tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
	}
	for (t = 0; t < 4; t++) {
		txn = txn_begin(d, NULL);
		for (i = t * d->nkeys / 4; i < (t + 1) * d->nkeys / 4; i++)
			key_put(d, txn, perm[i]);
		txn_commit(d, txn);
	}
	free(perm);
}

/* range_del: keys [a, b) deleted with cursors, in one transaction. */
static void range_del(struct drv *d, unsigned a, unsigned b)
{
	MDB_txn *txn = txn_begin(d, NULL);
	MDB_cursor *cur;
	char ks[KEYMAX];
	unsigned db, i, n = 0;
	MDB_val k, v;
	int rc;

	for (i = a; i < b; i++)
		if (d->ver[i] != 0) {
			set_ver(d, i, 0);
			n++;
		}
	for (db = 0; db < NDB && txn != NULL; db++) {
		E(mdb_cursor_open(txn, d->dbi[db], &cur));
		for (;;) {
			k.mv_data = ks;
			k.mv_size = key_str(a, ks);
			rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
			if (rc == MDB_NOTFOUND)
				break;
			if (rc != MDB_SUCCESS)
				die(__LINE__, "mdb_cursor_get", rc);
			if (k.mv_size < 8)
				mismatch("a key of %zu bytes", k.mv_size);
			memcpy(ks, k.mv_data, 8);
			ks[8] = '\0';
			if (strtoul(ks, NULL, 10) >= b)
				break;
			E(mdb_cursor_del(cur, db == DB_DUPS ? MDB_NODUPDATA :
			    0));
			n--;
		}
		mdb_cursor_close(cur);
	}
	if (txn != NULL && n != 0)
		mismatch("%u keys of [%u, %u) were not there", n, a, b);
	txn_commit(d, txn);
}

/*
 * rewrite: every seventh key rewritten and every eleventh absent one
 * put back, in one transaction.
 */
static void rewrite(struct drv *d)
{
	MDB_txn *txn = txn_begin(d, NULL);
	unsigned i;

	for (i = 0; i < d->nkeys; i++)
		if ((d->ver[i] != 0 && i % 7 == 3) ||
		    (d->ver[i] == 0 && i % 11 == 5))
			key_put(d, txn, i);
	txn_commit(d, txn);
}

/*
 * scratch: a database filled by one transaction and dropped by the next:
 * many pages freed at once, for later transactions to reuse.
 */
static void scratch(struct drv *d)
{
	MDB_txn *txn = txn_begin(d, NULL);
	MDB_dbi dbi = 0;
	unsigned i, n = d->nkeys / 4;
	char ks[KEYMAX];
	MDB_val k, v;

	if (txn != NULL) {
		E(mdb_dbi_open(txn, "scratch", MDB_CREATE, &dbi));
		for (i = 0; i < n; i++) {
			k.mv_data = ks;
			k.mv_size = key_str(i, ks);
			v.mv_size = 1000 + i % 2000;
			val_fill(d->vbuf, v.mv_size, i, 0xffffffffu);
			v.mv_data = d->vbuf;
			E(mdb_put(txn, dbi, &k, &v, 0));
		}
	}
	txn_commit(d, txn);
	txn = txn_begin(d, NULL);
	if (txn != NULL)
		E(mdb_drop(txn, dbi, 1));
	txn_commit(d, txn);
}

/* ---- environments ---- */

/* env_open: open DIR with these flags and the named databases in it. */
static void env_open(struct drv *d, unsigned flags)
{
	MDB_txn *txn;
	unsigned db;

	if (d->dry)
		return;
	E(mdb_env_create(&d->env));
	E(mdb_env_set_maxdbs(d->env, 8));
	E(mdb_env_set_mapsize(d->env, d->mapsize));
	E(mdb_env_open(d->env, d->dir, flags | (d->writemap ? MDB_WRITEMAP :
	    0), 0644));
	E(mdb_txn_begin(d->env, NULL, 0, &txn));
	for (db = 0; db < NDB; db++)
		E(mdb_dbi_open(txn, db_names[db], MDB_CREATE |
		    (db == DB_DUPS ? MDB_DUPSORT : 0), &d->dbi[db]));
	E(mdb_dbi_open(txn, "meta", MDB_CREATE, &d->meta));
	E(mdb_txn_commit(txn));
}

/*
 * check_all: every database holds exactly the model's keys and values;
 * their checksum and counts into out (if not NULL).
 */
static void check_all(struct drv *d, MDB_txn *txn, char *out, size_t len)
{
	uint64_t sum = 0xcbf29ce484222325ull, bytes = 0;
	unsigned db, i, next, keys = 0, vals = 0, ndup, j;
	MDB_cursor *cur;
	char ks[KEYMAX], num[16];
	MDB_val k, v;
	size_t b;
	int rc;

#define SUM(p, n) do { \
	for (b = 0; b < (n); b++) \
		sum = (sum ^ ((const unsigned char *)(p))[b]) * \
		    0x100000001b3ull; \
} while (0)
	for (db = 0; db < NDB; db++) {
		E(mdb_cursor_open(txn, d->dbi[db], &cur));
		next = 0;
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
		    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP)) {
			if (k.mv_size < 8 || k.mv_size >= KEYMAX)
				mismatch("a key of %zu bytes in %s",
				    k.mv_size, db_names[db]);
			memcpy(ks, k.mv_data, 8);
			ks[8] = '\0';
			i = (unsigned)strtoul(ks, NULL, 10);
			if (i >= d->nkeys || key_str(i, ks) != k.mv_size ||
			    memcmp(ks, k.mv_data, k.mv_size) != 0 ||
			    key_db(i) != db || d->ver[i] == 0)
				mismatch("key '%.*s' in %s should not be",
				    (int)k.mv_size, (char *)k.mv_data,
				    db_names[db]);
			while (next < i && (key_db(next) != db ||
			    d->ver[next] == 0))
				next++;
			if (next != i)
				mismatch("key %u missing from %s", next,
				    db_names[db]);
			next++;
			keys++;
			SUM(k.mv_data, k.mv_size);
			if (db != DB_DUPS) {
				val_check(d, i, &v);
				SUM(v.mv_data, v.mv_size);
				bytes += v.mv_size;
				vals++;
				continue;
			}
			ndup = dup_set(d->vbuf, i, d->ver[i]);
			for (j = 0; rc == 0; j++) {
				if (j >= ndup || v.mv_size != DUPLEN ||
				    memcmp(v.mv_data, d->vbuf + j * DUPLEN,
				    DUPLEN) != 0)
					mismatch("duplicate %u of key %u", j,
					    i);
				SUM(v.mv_data, v.mv_size);
				bytes += DUPLEN;
				vals++;
				rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP);
			}
			if (rc != MDB_NOTFOUND)
				die(__LINE__, "mdb_cursor_get", rc);
			if (j != ndup)
				mismatch("key %u: %u duplicates, not %u", i, j,
				    ndup);
		}
		if (rc != MDB_NOTFOUND)
			die(__LINE__, "mdb_cursor_get", rc);
		while (next < d->nkeys && (key_db(next) != db ||
		    d->ver[next] == 0))
			next++;
		if (next < d->nkeys)
			mismatch("key %u missing from %s", next, db_names[db]);
		mdb_cursor_close(cur);
	}
#undef SUM
	k.mv_data = "commits";
	k.mv_size = 7;
	E(mdb_get(txn, d->meta, &k, &v));
	snprintf(num, sizeof(num), "%u", d->commits);
	if (v.mv_size != strlen(num) || memcmp(v.mv_data, num, v.mv_size))
		mismatch("%.*s commits counted, not %s", (int)v.mv_size,
		    (char *)v.mv_data, num);
	if (out != NULL)
		snprintf(out, len, "lmdb_driver: %u keys, %u values, %" PRIu64
		    " bytes, %u commits, checksum %016" PRIx64 "\n", keys,
		    vals, bytes, d->commits, sum);
}

/*
 * env_close: check one key in 16 against the model (a different one each
 * time: the last look checks them all), then close.
 */
static void env_close(struct drv *d)
{
	static unsigned round;
	MDB_txn *txn;
	unsigned i;

	if (d->dry)
		return;
	E(mdb_txn_begin(d->env, NULL, MDB_RDONLY, &txn));
	for (i = round++ % 16; i < d->nkeys; i += 16)
		key_check(d, txn, i);
	mdb_txn_abort(txn);
	mdb_env_close(d->env);
	d->env = NULL;
}

/* history: everything write does, or (dry) what it does to the model. */
static void history(struct drv *d)
{
	unsigned n = d->nkeys, a;

	/* 1: the bulk load, fully synced */
	env_open(d, 0);
	fill_all(d);
	env_close(d);

	/* 2: small transactions; the meta page through the data descriptor */
	env_open(d, MDB_NOMETASYNC);
	small_txns(d, 100);
	env_close(d);

	/* 3: big changes; no read-ahead on the map; the map grows */
	env_open(d, MDB_NORDAHEAD);
	a = (unsigned)rnd(d, n - n / 8);
	range_del(d, a, a + n / 8);
	rewrite(d);
	scratch(d);
	small_txns(d, 40);
	if (!d->dry)
		E(mdb_env_set_mapsize(d->env, d->mapsize * 3 / 2));
	small_txns(d, 40);
	env_close(d);
	d->mapsize = d->mapsize * 3 / 2;

	/* 4: nothing synced until the end */
	env_open(d, MDB_NOSYNC);
	small_txns(d, 100);
	if (!d->dry)
		E(mdb_env_sync(d->env, 1));
	env_close(d);
}

int main(int argc, char **argv)
{
	struct drv d;
	char out[256], path[4096];
	MDB_txn *txn;
	unsigned db;
	char *end;
	bool writing;
	int a;

	memset(&d, 0, sizeof(d));
	if (argc >= 4 && strcmp(argv[2], "write") == 0) {
		writing = true;
		d.writemap = argc == 5 && strcmp(argv[3], "writemap") == 0;
		a = d.writemap ? 4 : 3;
	} else {
		writing = false;
		a = 3;
	}
	if (argc != a + 1 || (!writing && strcmp(argv[2], "read") != 0) ||
	    (d.nkeys = (unsigned)strtoul(argv[a], &end, 10)) < 64 ||
	    *end != '\0' || d.nkeys > 10000000) {
		fprintf(stderr, "usage: lmdb_driver DIR write [writemap] "
		    "NKEYS\n       lmdb_driver DIR read NKEYS\n"
		    "(64 <= NKEYS <= 10000000)\n");
		return 2;
	}
	d.dir = argv[1];
	d.rng = SEED;
	/* a few times the data, before it grows by half */
	d.mapsize = ((size_t)d.nkeys * 8 * 1024 + 32 * MiB) / MiB * MiB;
	d.ver = calloc(d.nkeys, sizeof(*d.ver));
	d.vbuf = malloc(MAXVAL);
	if (d.ver == NULL || d.vbuf == NULL) {
		perror("lmdb_driver: malloc");
		return 1;
	}
	if (writing) {
		if (mkdir(d.dir, 0755) != 0 && errno != EEXIST) {
			perror(d.dir);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/data.mdb", d.dir);
		if (access(path, F_OK) == 0) {
			fprintf(stderr, "lmdb_driver: %s exists already\n",
			    path);
			return 1;
		}
	} else {
		d.dry = true;
	}
	history(&d);
	/* the last look, read-only: in a new environment for write */
	d.dry = false;
	E(mdb_env_create(&d.env));
	E(mdb_env_set_maxdbs(d.env, 8));
	E(mdb_env_open(d.env, d.dir, writing ? 0 : MDB_RDONLY, 0644));
	E(mdb_txn_begin(d.env, NULL, MDB_RDONLY, &txn));
	for (db = 0; db < NDB; db++)
		E(mdb_dbi_open(txn, db_names[db], 0, &d.dbi[db]));
	E(mdb_dbi_open(txn, "meta", 0, &d.meta));
	check_all(&d, txn, out, sizeof(out));
	mdb_txn_abort(txn);
	mdb_env_close(d.env);
	fputs(out, stdout);
	free(d.ver);
	free(d.vbuf);
	free(d.undo);
	return fflush(stdout) == 0 ? 0 : 1;
}
