/* t_lmdb.c: LMDB and its tools under `upager run`, against native runs */
/*
 * The driver (lmdb_driver.c) builds and changes a database many times
 * the budget; its contents are a function of NKEYS alone.  Run natively
 * and under the interposer, in both of LMDB's write modes: the same
 * output, the same dumps (mdb_dump -a, and the main database's, which
 * names every root page), the same data.mdb byte for byte; each side's
 * database reads back right on the other.  Then LMDB's tools, each once
 * natively and once under the interposer: mdb_dump, mdb_dump | mdb_load,
 * mdb_copy and mdb_copy -c (whose output file is served too, by
 * --match): the same dumps and files.  The interposer's stats show that
 * upager served every run within the budget.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#ifndef PRELOAD_LIB
#error "PRELOAD_LIB: the path of libupager-preload.so"
#endif
#ifndef LMDB_DRIVER
#error "LMDB_DRIVER: the path of lmdb_driver"
#endif
#ifndef UPAGER_CMD
#error "UPAGER_CMD: the path of the upager command"
#endif

#define NKEYS "3000"            /* a data.mdb of about 13 MiB */
#define OTHER_NKEYS "3001"      /* another model, another database */
#define BUDGET "2M"
#define BUDGET_BYTES (2 * MiB)

/* the paths of LMDB's tools */
static char mdb_dump[512], mdb_load[512], mdb_copy[512];

/* what the interposer did over all the runs under it */
static unsigned long long all_in, max_peak;
static int nruns;

/* tool_path: name's path in $PATH, else in /usr/bin, into buf. */
static void tool_path(const char *name, char *buf, size_t len)
{
	const char *p = getenv("PATH"), *q;
	size_t n;

	for (; p != NULL && *p != '\0'; p = *q != '\0' ? q + 1 : q) {
		q = p + strcspn(p, ":");
		n = (size_t)(q - p);
		snprintf(buf, len, "%.*s/%s", (int)(n != 0 ? n : 1),
		    n != 0 ? p : ".", name);
		if (access(buf, X_OK) == 0)
			return;
	}
	snprintf(buf, len, "/usr/bin/%s", name);
	if (access(buf, X_OK) != 0)
		FAIL("%s not found in $PATH nor /usr/bin (Debian: "
		    "lmdb-utils)", name);
}

/* slurp: the file's first len - 1 bytes, NUL-terminated; the count. */
static size_t slurp(const char *path, char *buf, size_t len)
{
	size_t n = disk_read(path, buf, len - 1, 0);

	buf[n] = '\0';
	return n;
}

/*
 * run: run argv, under `upager run -m BUDGET --stats [--match match]` if
 * preload; stdout into the file out, stderr into err (NUL-terminated).
 * Returns the exit status; death by a signal fails the test.
 */
static int run(const char *const *argv, bool preload, const char *match,
    const char *out, char *err, size_t errlen)
{
	const char *av[32];
	const char *errpath = tpath("stderr"), *prog = argv[0];
	int n = 0, fd, status;
	pid_t pid;

	if (preload) {
		av[n++] = UPAGER_CMD;
		av[n++] = "run";
		av[n++] = "-m";
		av[n++] = BUDGET;
		av[n++] = "--stats";
		if (match != NULL) {
			av[n++] = "--match";
			av[n++] = match;
		}
		av[n++] = "--";
	}
	while (*argv != NULL && n < 31)
		av[n++] = *argv++;
	CHECK(*argv == NULL);
	av[n] = NULL;
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) != 1)
			_exit(126);
		fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 2) != 2)
			_exit(126);
		if (preload) {
			/* sanitizer builds: the program's runtime (if any)
			 * comes after the preloaded library: fine here */
			setenv("ASAN_OPTIONS", "verify_asan_link_order=0:"
			    "detect_leaks=0", 1);
			setenv("UPAGER_PRELOAD_LIB", PRELOAD_LIB, 1);
		}
		execv(av[0], (char *const *)av);
		_exit(127);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	slurp(errpath, err, errlen);
	if (!WIFEXITED(status))
		FAIL("%s%s killed by signal %d; stderr: %s", prog,
		    preload ? " under upager run" : "", WTERMSIG(status),
		    err);
	return WEXITSTATUS(status);
}

/*
 * check_stats: the stats line the interposer printed at exit: upager
 * brought pages in, within the budget asked for.
 */
static void check_stats(const char *what, const char *err)
{
	unsigned long long pages_in, peak, budget;
	const char *s;

	if ((s = strstr(err, "upager: ")) == NULL ||
	    (s = strstr(s, "pages_in ")) == NULL ||
	    sscanf(s, "pages_in %llu", &pages_in) != 1)
		FAIL("%s: no upager stats from the interposer: '%s'", what,
		    err);
	if ((s = strstr(s, "peak_resident ")) == NULL ||
	    sscanf(s, "peak_resident %llu of %llu", &peak, &budget) != 2)
		FAIL("%s: no peak in the stats: '%s'", what, err);
	if (pages_in == 0)
		FAIL("%s: upager brought no page in: '%s'", what, err);
	CHECK_EQ(budget, BUDGET_BYTES / 4096);
	if (peak > budget)
		FAIL("%s: peak %llu over the budget %llu", what, peak, budget);
	all_in += pages_in;
	max_peak = peak > max_peak ? peak : max_peak;
	nruns++;
}

/*
 * step: run argv (as run does) and require success; under the
 * interposer, check its stats as well.
 */
static void step(const char *what, const char *const *argv, bool preload,
    const char *match, const char *out)
{
	static char err[16384];
	int st = run(argv, preload, match, out, err, sizeof(err));

	if (st != 0)
		FAIL("%s%s: exit status %d; stderr: %s", what,
		    preload ? " under upager run" : "", st, err);
	if (preload)
		check_stats(what, err);
}

/* same_file: the two files hold the same bytes, else fail, saying what. */
static void same_file(const char *what, const char *a, const char *b)
{
	enum { CHUNK = 1 << 20 };
	static unsigned char x[CHUNK], y[CHUNK];
	int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
	off_t off = 0;
	size_t na, nb, i;

	if (fa < 0 || fb < 0)
		FAIL("%s: cannot open %s or %s", what, a, b);
	do {
		na = fd_pread_full(fa, x, CHUNK, off);
		nb = fd_pread_full(fb, y, CHUNK, off);
		i = mem_diff(x, y, na < nb ? na : nb);
		if (i < na || i < nb)
			FAIL("%s: %s and %s differ at byte %lld%s", what, a, b,
			    (long long)off + (long long)i, i == na || i == nb ?
			    " (one ends there)" : "");
		off += (off_t)na;
	} while (na == CHUNK);
	CHECK_EQ(close(fa), 0);
	CHECK_EQ(close(fb), 0);
}

/* path: name in the test directory, into buf (PATH_LEN bytes). */
#define PATH_LEN 512
static char *path(char *buf, const char *name)
{
	snprintf(buf, PATH_LEN, "%s/%s", test_dir(), name);
	return buf;
}

/* data_mdb: env's data file, into buf (DATA_LEN bytes). */
#define DATA_LEN (PATH_LEN + 16)
static char *data_mdb(char *buf, const char *env)
{
	snprintf(buf, DATA_LEN, "%s/data.mdb", env);
	return buf;
}

/* dump: mdb_dump [-a] of env into file out, natively. */
static void dump(const char *env, bool all, const char *out)
{
	const char *av_all[] = { mdb_dump, "-a", env, NULL };
	const char *av_main[] = { mdb_dump, env, NULL };

	step("mdb_dump", all ? av_all : av_main, false, NULL, out);
}

/*
 * same_result: a tool's result under the interposer (env pe) holds the
 * databases dumped in want, and the same bytes as natively (env ne).
 */
static void same_result(const char *what, const char *want, const char *ne,
    const char *pe)
{
	char got[PATH_LEN], fn[DATA_LEN], fp[DATA_LEN];

	dump(pe, true, path(got, "x.dump"));
	same_file(what, want, got);
	same_file(what, data_mdb(fn, ne), data_mdb(fp, pe));
}

/* mkenv: a new directory for an environment, into buf. */
static char *mkenv(char *buf, const char *name)
{
	CHECK_EQ(mkdir(path(buf, name), 0755), 0);
	return buf;
}

static void note_dir(int sig)
{
	(void)sig;
	abort_note("t_lmdb: the files are left in %s\n", test_dir());
}

int main(void)
{
	char nd[PATH_LEN], nw[PATH_LEN], pd[PATH_LEN], pw[PATH_LEN];
	char o_nd[PATH_LEN], o_x[PATH_LEN], d_nd[PATH_LEN], d_x[PATH_LEN];
	char a[PATH_LEN], b[PATH_LEN], fa[DATA_LEN], fb[DATA_LEN];
	char want[256], got[256], err[4096];
	const char *const wr_nd[] = { LMDB_DRIVER, path(nd, "nd"), "write",
	    NKEYS, NULL };
	const char *const wr_nw[] = { LMDB_DRIVER, path(nw, "nw"), "write",
	    "writemap", NKEYS, NULL };
	const char *const wr_pd[] = { LMDB_DRIVER, path(pd, "pd"), "write",
	    NKEYS, NULL };
	const char *const wr_pw[] = { LMDB_DRIVER, path(pw, "pw"), "write",
	    "writemap", NKEYS, NULL };
	const char *av[8];
	const char *const *reads[] = { wr_pd, wr_pw, wr_nd };

	at_abort(note_dir);
	tool_path("mdb_dump", mdb_dump, sizeof(mdb_dump));
	tool_path("mdb_load", mdb_load, sizeof(mdb_load));
	tool_path("mdb_copy", mdb_copy, sizeof(mdb_copy));

	/* the driver, natively: both modes make the same contents */
	path(o_nd, "nd.out");
	path(o_x, "x.out");
	step("lmdb_driver write", wr_nd, false, NULL, o_nd);
	slurp(o_nd, want, sizeof(want));
	CHECK(strncmp(want, "lmdb_driver: ", 13) == 0);
	step("lmdb_driver write writemap", wr_nw, false, NULL, o_x);
	slurp(o_x, got, sizeof(got));
	if (strcmp(want, got) != 0)
		FAIL("native outputs differ: default '%s', writemap '%s'",
		    want, got);
	/* a database at least four times the budget */
	CHECK(disk_size(data_mdb(fa, nd)) >= 4 * (off_t)BUDGET_BYTES);

	/* the driver's checks are not vacuous: another model fails them */
	av[0] = LMDB_DRIVER;
	av[1] = nd;
	av[2] = "read";
	av[3] = OTHER_NKEYS;
	av[4] = NULL;
	CHECK_EQ(run(av, false, NULL, o_x, err, sizeof(err)), 3);

	/* the driver under the interposer, both modes */
	step("lmdb_driver write", wr_pd, true, NULL, o_x);
	slurp(o_x, got, sizeof(got));
	if (strcmp(want, got) != 0)
		FAIL("outputs differ: native '%s', preloaded '%s'", want, got);
	step("lmdb_driver write writemap", wr_pw, true, NULL, o_x);
	slurp(o_x, got, sizeof(got));
	if (strcmp(want, got) != 0)
		FAIL("writemap outputs differ: native '%s', preloaded '%s'",
		    want, got);

	/* the read phase: upager's databases natively, a native one
	 * through upager */
	for (int i = 0; i < 3; i++) {
		av[1] = reads[i][1];
		av[3] = NKEYS;
		step("lmdb_driver read", av, i == 2, NULL, o_x);
		slurp(o_x, got, sizeof(got));
		if (strcmp(want, got) != 0)
			FAIL("lmdb_driver read %s%s: '%s', not '%s'", av[1],
			    i == 2 ? " under upager run" : "", got, want);
	}

	/* the same databases, the same trees, the same files */
	dump(nd, true, path(d_nd, "nd.dump"));
	CHECK(disk_size(d_nd) >= 2 * (off_t)BUDGET_BYTES);
	for (int i = 0; i < 3; i++) {
		const char *env = i == 0 ? nw : i == 1 ? pd : pw;

		dump(env, true, path(d_x, "x.dump"));
		same_file("mdb_dump -a", d_nd, d_x);
	}
	dump(nd, false, path(fa, "a.main"));
	dump(pd, false, path(fb, "b.main"));
	same_file("mdb_dump of the main database (default mode)", fa, fb);
	dump(nw, false, fa);
	dump(pw, false, fb);
	same_file("mdb_dump of the main database (writemap)", fa, fb);
	same_file("data.mdb (default mode)", data_mdb(fa, nd),
	    data_mdb(fb, pd));
	same_file("data.mdb (writemap)", data_mdb(fa, nw), data_mdb(fb, pw));

	/* mdb_dump under the interposer */
	av[0] = mdb_dump;
	av[1] = "-a";
	av[2] = nd;
	av[3] = NULL;
	step("mdb_dump -a", av, true, NULL, path(d_x, "x.dump"));
	same_file("mdb_dump -a under upager run", d_nd, d_x);

	/* mdb_load of the dump, once each way */
	for (int i = 0; i < 2; i++) {
		av[0] = mdb_load;
		av[1] = "-f";
		av[2] = d_nd;
		av[3] = mkenv(i == 0 ? a : b, i == 0 ? "ln" : "lp");
		av[4] = NULL;
		step("mdb_load", av, i == 1, NULL, o_x);
	}
	same_result("mdb_load under upager run", d_nd, a, b);

	/*
	 * mdb_copy and mdb_copy -c of the default mode's database, once
	 * each way; the compacting one under the interposer also serves
	 * the copy it writes (O_DIRECT, set by fcntl).
	 */
	for (int c = 0; c < 2; c++) {
		for (int i = 0; i < 2; i++) {
			int n = 0;

			av[n++] = mdb_copy;
			if (c == 1)
				av[n++] = "-c";
			av[n++] = nd;
			av[n++] = mkenv(i == 0 ? a : b, c == 0 ?
			    (i == 0 ? "cn" : "cp") : (i == 0 ? "kn" : "kp"));
			av[n] = NULL;
			step(c == 0 ? "mdb_copy" : "mdb_copy -c", av, i == 1,
			    c == 1 ? "*/data.mdb" : NULL, o_x);
		}
		same_result(c == 0 ? "mdb_copy under upager run" :
		    "mdb_copy -c under upager run", d_nd, a, b);
	}

	rm_test_dir();
	want[strcspn(want, "\n")] = '\0';
	printf("t_lmdb: ok (%s; %d runs under upager: pages_in %llu, "
	    "peak %llu of %zu pages)\n", want + 13, nruns, all_in, max_peak,
	    BUDGET_BYTES / 4096);
	return 0;
}
