/* bench_programs.c: unmodified programs (LMDB, SQLite) timed natively and under `upager run`, side by side */
/*
 * Two workloads, each run natively, under `upager run` with a budget
 * larger than the database (the cost of the interposer and the pager),
 * and under `upager run` with a budget of --budget-pct of the database
 * (25 by default: the cost of the budget too), rotating which goes
 * first, --runs times:
 *   lmdb:   lmdb_driver's read phase (every key of a database it wrote
 *           once before the runs, checked against its model);
 *   sqlite: the sqlite3 shell running tests/sqlite_script.sql on a new
 *           database (builds, changes, VACUUMs and queries it).
 * Every side finds the files in the kernel's page cache, as a program
 * run twice does; under the budget, what upager evicts and reads again
 * comes from there when the kernel still has it, else from the disk.
 * Prints each side's median with min and max, and native time / upager
 * time (1.0: as fast as the kernel).
 *
 * usage: bench_programs [--runs N] [--keys N] [--budget-pct P] [--dir D]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef LMDB_DRIVER
#error "LMDB_DRIVER: the path of lmdb_driver"
#endif
#ifndef UPAGER_CMD
#error "UPAGER_CMD: the path of the upager command"
#endif
#ifndef PRELOAD_LIB
#error "PRELOAD_LIB: the path of libupager-preload.so"
#endif
#ifndef SQLITE_SCRIPT
#error "SQLITE_SCRIPT: the path of tests/sqlite_script.sql"
#endif

#define MAXRUNS 64

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "bench_programs: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * timed: run argv with stdin from in (or /dev/null) and stdout to
 * /dev/null, under `upager run -m budget` when budget is not NULL; the
 * seconds it took.  A failing run ends the benchmark: a figure of a
 * program that did not do its work means nothing.
 */
static double timed(const char *const argv[], const char *in,
    const char *budget)
{
	const char *av[32];
	int n = 0, status, fd;
	double t0;
	pid_t pid;

	if (budget != NULL) {
		av[n++] = UPAGER_CMD;
		av[n++] = "run";
		av[n++] = "-m";
		av[n++] = budget;
		av[n++] = "--";
	}
	for (int i = 0; argv[i] != NULL && n < 31; i++)
		av[n++] = argv[i];
	av[n] = NULL;
	t0 = now();
	if ((pid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if ((fd = open(in != NULL ? in : "/dev/null", O_RDONLY)) < 0)
			_exit(126);
		dup2(fd, 0);
		if ((fd = open("/dev/null", O_WRONLY)) < 0)
			_exit(126);
		dup2(fd, 1);
		setenv("UPAGER_PRELOAD_LIB", PRELOAD_LIB, 1);
		execvp(av[0], (char *const *)av);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die("%s failed", budget != NULL ? "a run under upager" :
		    "a native run");
	return now() - t0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* fsize: a file's size in bytes, or 0 */
static off_t fsize(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

/* budget_of: pct % of bytes, in KiB for -m, at least 256 KiB */
static void budget_of(off_t bytes, int pct, char *buf, size_t len)
{
	long long k = (long long)bytes * pct / 100 / 1024;

	snprintf(buf, len, "%lldK", k < 256 ? 256 : k);
}

/* report: one line per side: its median, min, max and native / it */
static void report(const char *name, const char *what, double *t[3],
    const char *budget[3], int runs)
{
	double m[3];
	int k;

	for (k = 0; k < 3; k++)
		m[k] = median(t[k], runs);
	for (k = 0; k < 3; k++)
		printf("%-7s %-30s %-14s %8.3f s (%.3f-%.3f) %7.2f\n", name,
		    what, k == 0 ? "native" : budget[k], m[k], t[k][0],
		    t[k][runs - 1], m[0] / m[k]);
}

/*
 * bench: time argv (stdin from in) natively and under each budget,
 * runs times, rotating which goes first; before each run, fresh() if
 * not NULL.
 */
static void bench(const char *const argv[], const char *in,
    const char *budget[3], double *t[3], int runs, void (*fresh)(void))
{
	for (int i = 0; i < runs; i++)
		for (int j = 0; j < 3; j++) {
			int k = (i + j) % 3;

			if (fresh != NULL)
				fresh();
			t[k][i] = timed(argv, in, budget[k]);
		}
}

/* rm_db: remove an SQLite database and what it leaves beside it */
static void rm_db(const char *db)
{
	static const char *const sfx[] = { "", "-journal", "-wal", "-shm" };
	char p[4096];

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", db, sfx[i]);
		(void)unlink(p);
	}
}

static char db[4096];

static void fresh_db(void)
{
	rm_db(db);
}

int main(int argc, char **argv)
{
	double nat[MAXRUNS], big[MAXRUNS], small[MAXRUNS];
	double *t[3] = { nat, big, small };
	char dir[4000], lmdb[4096], data[4200], bbig[32], bsmall[32];
	const char *budget[3] = { NULL, bbig, bsmall };
	char keys[32] = "60000", what[128];
	const char *base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	int runs = 5, pct = 25, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (strcmp(argv[i], "--keys") == 0 && i + 1 < argc)
			snprintf(keys, sizeof(keys), "%s", argv[++i]);
		else if (strcmp(argv[i], "--budget-pct") == 0 && i + 1 < argc)
			pct = atoi(argv[++i]);
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			base = argv[++i];
		else
			die("usage: bench_programs [--runs N] [--keys N] "
			    "[--budget-pct P] [--dir D]%s", "");
	}
	if (runs < 1 || runs > MAXRUNS || pct < 1 || pct > 100 ||
	    atoi(keys) < 1)
		die("bad --runs, --keys or --budget-pct%s", "");
	snprintf(dir, sizeof(dir), "%.3900s/bench_programs.%d", base,
	    (int)getpid());
	if (mkdir(dir, 0755) != 0)
		die("mkdir %s", dir);
	snprintf(lmdb, sizeof(lmdb), "%s/lmdb", dir);
	snprintf(data, sizeof(data), "%s/data.mdb", lmdb);
	snprintf(db, sizeof(db), "%s/sqlite.db", dir);

	printf("%-7s %-30s %-14s %-26s %s\n", "program", "workload",
	    "side (-m)", "median (min-max)", "native/side");
	/* LMDB: the database is written once; each run reads all of it */
	{
		const char *w[] = { LMDB_DRIVER, lmdb, "write", keys, NULL };
		const char *r[] = { LMDB_DRIVER, lmdb, "read", keys, NULL };

		(void)timed(w, NULL, NULL);
		budget_of(fsize(data), 200, bbig, sizeof(bbig));
		budget_of(fsize(data), pct, bsmall, sizeof(bsmall));
		bench(r, NULL, budget, t, runs, NULL);
		snprintf(what, sizeof(what), "read %s keys, %lld MiB", keys,
		    (long long)fsize(data) >> 20);
		report("lmdb", what, t, budget, runs);
	}
	/* SQLite: each run builds its database anew */
	{
		const char *s[] = { "sqlite3", db, NULL };

		fresh_db();
		(void)timed(s, SQLITE_SCRIPT, NULL);
		budget_of(fsize(db), 200, bbig, sizeof(bbig));
		budget_of(fsize(db), pct, bsmall, sizeof(bsmall));
		bench(s, SQLITE_SCRIPT, budget, t, runs, fresh_db);
		snprintf(what, sizeof(what), "sqlite_script.sql, %lld MiB",
		    (long long)fsize(db) >> 20);
		report("sqlite", what, t, budget, runs);
	}
	fresh_db();
	{
		char cmd[4100];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			die("could not remove %s", dir);
	}
	return 0;
}
