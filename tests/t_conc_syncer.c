/* t_conc_syncer.c: the syncer writes back old dirty pages, from pwrite and views */
/*
 *   UPAGER_STRESS_SECONDS=S   stress mode: repeat it until S seconds have
 *                             passed (unset: once)
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sys.h"
#include "testlib.h"

/*
 * disk_has: wait, at most ten seconds, for the file on disk to hold buf
 * at off.  The syncer runs every few tens of milliseconds here, so the
 * bound is generous; what is tested is that it happens without any sync.
 */
static bool disk_has(const char *path, const void *buf, size_t len, off_t off)
{
	char *got = xmalloc(len);
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	bool ok = false;
	int i;

	for (i = 0; i < 500 && !ok; i++) {
		if (disk_read(path, got, len, off) == len &&
		    memcmp(got, buf, len) == 0)
			ok = true;
		else
			nanosleep(&ts, NULL);
	}
	free(got);
	return ok;
}

/* run_once: all of it, once. */
static void run_once(void)
{
	const char *p = tpath("syncer");
	char buf[3 * 4096], *v;
	upager_t *pg = mkpager_cfg(1 << 20, 0, 0, 0, 100);
	upager_file_t *f;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i;

	memset(buf, 'a', sizeof(buf));
	f = uopen(pg, p, O_RDWR | O_CREAT);
	/* pwrite: on disk after the delay, with no sync called */
	CHECK_EQ(upager_pwrite(f, buf, sizeof(buf), 0), sizeof(buf));
	CHECK(disk_has(p, buf, sizeof(buf), 0));
	/* a write through a view: found and written the same way */
	CHECK_OK(upager_map(f, 0, sizeof(buf), PROT_READ | PROT_WRITE,
	    MAP_SHARED, (void **)&v));
	memset(v + 4096, 'v', 100);
	memset(buf + 4096, 'v', 100);
	CHECK(disk_has(p, buf, sizeof(buf), 0));
	/* a failing write-back: kept dirty, reported once by the next sync,
	 * written once the fault is gone */
	sys_fault_set(SYS_PWRITE, &(struct sys_fault){ .err = EIO });
	CHECK_EQ(upager_pwrite(f, "zz", 2, 8192), 2);
	for (i = 0; i < 500 && sys_fault_hits(SYS_PWRITE) == 0; i++)
		nanosleep(&ts, NULL);
	CHECK(sys_fault_hits(SYS_PWRITE) > 0);
	sys_fault_clear(SYS_NKIND);
	CHECK_EQ(upager_sync(f, 0, 0, 0), -EIO);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	memcpy(buf + 8192, "zz", 2);
	CHECK(disk_has(p, buf, sizeof(buf), 0));
	CHECK_OK(upager_unmap(v, sizeof(buf)));
	CHECK_OK(upager_close(f));
	CHECK_OK(upager_destroy(pg));
	CHECK(unlink(p) == 0);
}

int main(void)
{
	double t0 = mono_now(), stress = 0;
	const char *s;
	int iter = 0;

	/* stress: again and again, for that long */
	if ((s = env_value("UPAGER_STRESS_SECONDS")) != NULL)
		stress = strtod(s, NULL);
	do {
		run_once();
		iter++;
	} while (mono_now() - t0 < stress);
	rm_test_dir();
	printf("t_conc_syncer: ok, %d round(s) in %.1f s\n", iter,
	    mono_now() - t0);
	return 0;
}
