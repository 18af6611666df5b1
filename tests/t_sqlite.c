/*
 * t_sqlite.c: the sqlite3 shell on a memory-mapped database under `upager
 * run`, against the same run natively.  sqlite_script.sql builds a database
 * of 17 MiB with mmap_size larger than the file: SQLite reads pages through
 * a MAP_SHARED mapping it grows with mremap, writes with pwrite, extends
 * and shrinks the file with ftruncate and locks it with fcntl.  The script
 * runs natively and under `upager run` with a budget of 4 MiB, each on a
 * new file; then a second invocation reopens each database, changes it and
 * checks it again.  After each step both runs printed the same lines
 * (integrity_check's "ok" among them), the two files dump the same and hold
 * the same bytes, and the interposer's stats show that upager served the
 * run within the budget.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#ifndef PRELOAD_LIB
#error "PRELOAD_LIB: the path of libupager-preload.so"
#endif
#ifndef UPAGER_CMD
#error "UPAGER_CMD: the path of the upager command"
#endif
#ifndef SQLITE_SCRIPT
#error "SQLITE_SCRIPT: the path of sqlite_script.sql"
#endif

#define BUDGET "4M"
#define BUDGET_PAGES 1024       /* 4 MiB of 4 KiB pages */
#define MMAP_LINE "1073741824\n"

/*
 * The second invocation: the mapping again, writes that grow the file
 * (new rows, longer blobs) and free pages in it, the check, and what it
 * reads after.  Of the blobs only their lengths, which SQLite reads
 * without their overflow pages: every page read is slow under a budget
 * this small, and the dumps compare the blobs anyway.
 */
static const char reopen_sql[] =
    "PRAGMA mmap_size = 1073741824;\n"
    "BEGIN;\n"
    "INSERT INTO kv (id, k, v, n) SELECT id + 300000, 'again' || k,\n"
    "    v || '!', n * 2 FROM kv WHERE id % 4 = 0;\n"
    "UPDATE blobs SET data = data || X'00ff' || zeroblob(id)\n"
    "    WHERE id % 3 = 0;\n"
    "DELETE FROM events WHERE id % 5 = 0;\n"
    "COMMIT;\n"
    "PRAGMA integrity_check;\n"
    "PRAGMA page_count;\n"
    "PRAGMA freelist_count;\n"
    "SELECT 'kv', count(*), sum(n),\n"
    "    hex(sha3_query('SELECT * FROM kv ORDER BY id', 256)) FROM kv;\n"
    "SELECT 'blobs', count(*), sum(length(data)), max(id) FROM blobs;\n"
    "SELECT 'events', count(*), sum(amount) FROM events;\n";

static const char *sqlite3_bin;

/* on_abort: keep the files for a look, and say where they are. */
static void on_abort(int sig)
{
	(void)sig;
	abort_note("t_sqlite: the databases, outputs and dumps are in %s\n",
	    test_dir());
}

/* tfile: a name in the test directory, for good (tpath's ring is 8). */
static const char *tfile(const char *name)
{
	static char bufs[16][512];
	static int next;

	CHECK(next < 16);
	snprintf(bufs[next], sizeof(bufs[0]), "%s/%s", test_dir(), name);
	return bufs[next++];
}

/* find_sqlite3: the shell's path, from $PATH, else /usr/bin. */
static const char *find_sqlite3(void)
{
	static char buf[4096];
	const char *p = getenv("PATH"), *end;
	size_t n;

	for (; p != NULL && *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		end = p + strcspn(p, ":");
		n = (size_t)(end - p);
		if (n == 0 || n + sizeof("/sqlite3") > sizeof(buf))
			continue;
		memcpy(buf, p, n);
		strcpy(buf + n, "/sqlite3");
		if (access(buf, X_OK) == 0)
			return buf;
	}
	if (access("/usr/bin/sqlite3", X_OK) == 0)
		return "/usr/bin/sqlite3";
	FAIL("no sqlite3 in $PATH or /usr/bin (Debian package sqlite3)");
}

/* redirect: open path as descriptor fd, in a child about to exec. */
static void redirect(const char *path, int flags, int fd)
{
	int t = open(path, flags, 0644);

	if (t < 0 || dup2(t, fd) < 0)
		_exit(126);
	close(t);
}

/*
 * run_sqlite: `sqlite3 -bail DB [ARG]` with stdin from input (or
 * /dev/null), stdout into out and stderr into err; under `upager run`
 * with the budget if preload.  Returns its exit status.
 */
static int run_sqlite(const char *db, const char *input, const char *arg,
    bool preload, const char *out, const char *err)
{
	const char *argv[16];
	int n = 0, status;
	pid_t pid;

	if (preload) {
		argv[n++] = UPAGER_CMD;
		argv[n++] = "run";
		argv[n++] = "-m";
		argv[n++] = BUDGET;
		argv[n++] = "--stats";
		argv[n++] = "--";
	}
	argv[n++] = sqlite3_bin;
	argv[n++] = "-bail";
	argv[n++] = db;
	if (arg != NULL)
		argv[n++] = arg;
	argv[n] = NULL;
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		redirect(input != NULL ? input : "/dev/null", O_RDONLY, 0);
		redirect(out, O_WRONLY | O_CREAT | O_TRUNC, 1);
		redirect(err, O_WRONLY | O_CREAT | O_TRUNC, 2);
		if (preload) {
			/* sanitizer builds: the preloaded library brings its
			 * runtime into a program built without one */
			setenv("ASAN_OPTIONS", "verify_asan_link_order=0:"
			    "detect_leaks=0", 1);
			setenv("UPAGER_PRELOAD_LIB", PRELOAD_LIB, 1);
		}
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status))
		FAIL("sqlite3 on %s%s: killed by signal %d", db,
		    preload ? " under upager run" : "", WTERMSIG(status));
	return WEXITSTATUS(status);
}

/* slurp: a whole file, NUL-terminated; its length into *len. */
static char *slurp(const char *path, size_t *len)
{
	size_t size = (size_t)disk_size(path);
	char *b = xmalloc(size + 1);

	*len = disk_read(path, b, size + 1, 0);
	CHECK_EQ(*len, size);
	b[size] = '\0';
	return b;
}

/* line_at: the line of b holding offset off, as "%.*s" arguments. */
static int line_at(const char *b, size_t len, size_t off, const char **s)
{
	size_t a = off, e = off;

	while (a > 0 && b[a - 1] != '\n')
		a--;
	while (e < len && b[e] != '\n')
		e++;
	/* a dump line can be a megabyte of hex: a window is enough */
	if (off - a > 60)
		a = off - 60;
	*s = b + a;
	return (int)(e - a < 160 ? e - a : 160);
}

/*
 * same_text: files a and b hold the same bytes; else fail with the first
 * line where they part.
 */
static void same_text(const char *what, const char *a, const char *b)
{
	size_t la, lb, d;
	char *x = slurp(a, &la), *y = slurp(b, &lb);
	const char *sx, *sy;
	int nx, ny;

	d = mem_diff(x, y, la < lb ? la : lb);
	if (d == la && la == lb) {
		free(x);
		free(y);
		return;
	}
	nx = line_at(x, la, d, &sx);
	ny = line_at(y, lb, d, &sy);
	FAIL("%s: they differ at byte %zu (sizes %zu, %zu):\n"
	    "  native:  '%.*s'\n"
	    "  upager:  '%.*s'", what, d, la, lb, nx, sx, ny, sy);
}

/*
 * same_db: the two databases hold the same bytes.  SQLite writes the same
 * pages for the same statements, so this holds beyond an equal dump: the
 * free pages and the header's counters too.
 */
static void same_db(const char *a, const char *b)
{
	size_t la, lb, d;
	char *x = slurp(a, &la), *y = slurp(b, &lb);

	if (la != lb)
		FAIL("the databases differ in size: native %zu, upager %zu",
		    la, lb);
	/* else the budget would not make upager evict and read again */
	if (lb < 4 * (size_t)BUDGET_PAGES * 4096)
		FAIL("the database is %zu bytes: not 4 budgets", lb);
	if ((d = mem_diff(x, y, la)) != la)
		FAIL("the databases differ at byte %zu (page %zu, offset %zu)"
		    " though they dump the same", d, d / 4096 + 1, d % 4096);
	free(x);
	free(y);
}

/*
 * check_stats: the stats line `upager run --stats` left in err: upager
 * served the run (pages came in through it), never above the budget.
 * Returns pages_in.
 */
static unsigned long long check_stats(const char *err)
{
	unsigned long long pages_in, peak, budget;
	size_t len;
	char *e = slurp(err, &len);
	const char *s;

	if ((s = strstr(e, "upager: ")) == NULL ||
	    (s = strstr(s, "pages_in ")) == NULL ||
	    sscanf(s, "pages_in %llu", &pages_in) != 1)
		FAIL("no upager stats from the interposer: '%s'", e);
	if ((s = strstr(e, "peak_resident ")) == NULL ||
	    sscanf(s, "peak_resident %llu of %llu", &peak, &budget) != 2)
		FAIL("no peak in the stats: '%s'", e);
	CHECK_EQ(budget, BUDGET_PAGES);
	if (peak > budget)
		FAIL("peak_resident %llu over the budget %llu", peak, budget);
	/* the file is several budgets and read whole: pages went and came */
	if (pages_in <= budget)
		FAIL("pages_in %llu: no more than the budget", pages_in);
	free(e);
	return pages_in;
}

/*
 * same_output: both runs exited 0, printed the same lines, mmap_size
 * took (the first line) and integrity_check said "ok".  The native run
 * printed nothing on stderr.
 */
static void same_output(const char *what, int st_n, int st_p,
    const char *out_n, const char *err_n, const char *out_p,
    const char *err_p)
{
	size_t len;
	char *o, *e;

	if (st_n != 0) {
		e = slurp(err_n, &len);
		FAIL("%s: native sqlite3 exited %d: '%s'", what, st_n, e);
	}
	if (st_p != 0) {
		e = slurp(err_p, &len);
		FAIL("%s: sqlite3 under upager run exited %d: '%s'", what,
		    st_p, e);
	}
	e = slurp(err_n, &len);
	if (len != 0)
		FAIL("%s: native sqlite3 said '%s'", what, e);
	free(e);
	o = slurp(out_n, &len);
	if (strncmp(o, MMAP_LINE, strlen(MMAP_LINE)) != 0)
		FAIL("%s: mmap_size did not take: '%.40s'", what, o);
	if (strstr(o, "\nok\n") == NULL)
		FAIL("%s: no 'ok' from integrity_check: '%s'", what, o);
	free(o);
	same_text(what, out_n, out_p);
}

/* differ: files a and b do not hold the same bytes. */
static bool differ(const char *a, const char *b)
{
	size_t la, lb;
	char *x = slurp(a, &la), *y = slurp(b, &lb);
	bool d = la != lb || memcmp(x, y, la) != 0;

	free(x);
	free(y);
	return d;
}

/* dump: `sqlite3 DB .dump` natively, into out. */
static void dump(const char *db, const char *out)
{
	static const char *err;
	size_t len;
	char *e;

	if (err == NULL)
		err = tfile("dump.err");
	if (run_sqlite(db, NULL, ".dump", false, out, err) != 0) {
		e = slurp(err, &len);
		FAIL(".dump of %s failed: '%s'", db, e);
	}
}

int main(void)
{
	const char *db_n = tfile("native.db"), *db_p = tfile("upager.db");
	const char *out_n = tfile("native.out"), *out_p = tfile("upager.out");
	const char *err_n = tfile("native.err"), *err_p = tfile("upager.err");
	const char *dump_n = tfile("native.dump");
	const char *dump_p = tfile("upager.dump");
	const char *dump_n1 = tfile("native-1.dump");
	unsigned long long in1, in2;
	int st_n, st_p;
	size_t size1, size2;

	at_abort(on_abort);
	sqlite3_bin = find_sqlite3();

	/* the script, each on a new database */
	st_n = run_sqlite(db_n, SQLITE_SCRIPT, NULL, false, out_n, err_n);
	st_p = run_sqlite(db_p, SQLITE_SCRIPT, NULL, true, out_p, err_p);
	same_output("the script's output", st_n, st_p, out_n, err_n, out_p,
	    err_p);
	in1 = check_stats(err_p);
	dump(db_n, dump_n1);
	dump(db_p, dump_p);
	same_text("the dumps after the script", dump_n1, dump_p);
	same_db(db_n, db_p);
	size1 = (size_t)disk_size(db_p);

	/* reopen: more writes, the check, the content */
	st_n = run_sqlite(db_n, NULL, reopen_sql, false, out_n, err_n);
	st_p = run_sqlite(db_p, NULL, reopen_sql, true, out_p, err_p);
	same_output("the reopened run's output", st_n, st_p, out_n, err_n,
	    out_p, err_p);
	in2 = check_stats(err_p);
	dump(db_n, dump_n);
	dump(db_p, dump_p);
	same_text("the dumps after the reopened run", dump_n, dump_p);
	same_db(db_n, db_p);
	/* the second run changed the content, and a dump shows it */
	CHECK(differ(dump_n1, dump_n));
	size2 = (size_t)disk_size(db_p);

	rm_test_dir();
	printf("t_sqlite: ok (database %zu then %zu bytes; budget %s; "
	    "pages_in %llu, %llu)\n", size1, size2, BUDGET, in1, in2);
	return 0;
}
