/*
 * t_budget.c: a file 8 times the budget, scanned in order and read at
 * random, through views and through upager_pread: the resident frame
 * count and the process's shared memory (RssShmem: every frame mapped,
 * counted once per mapping) never exceed the budget plus one cluster,
 * sampled all along; every byte read is checked.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "debug.h"
#include "testlib.h"

#define BUDGET (4u << 20)
#define FILESIZE (8 * (size_t)BUDGET)
#define CLUSTER (64u << 10)
#define SAMPLE 16          /* pages between samples */

static uint64_t max_frames, max_rss;

/* rss_shmem: RssShmem of this process, bytes. */
static uint64_t rss_shmem(void)
{
	char line[256];
	uint64_t kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "RssShmem: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return kb << 10;
}

/* sample: both measures within the budget plus one cluster. */
static void sample(upager_t *pg, const char *what, size_t at)
{
	struct upager_stats st = stats(pg);
	uint64_t rss = rss_shmem();

	if (st.resident > max_frames)
		max_frames = st.resident;
	if (rss > max_rss)
		max_rss = rss;
	if (st.resident * PG > BUDGET + CLUSTER || rss > BUDGET + CLUSTER)
		FAIL("%s at %zu: %lu frames resident, RssShmem %lu bytes, "
		    "budget %u + cluster %u", what, at,
		    (unsigned long)st.resident, (unsigned long)rss, BUDGET,
		    CLUSTER);
}

/* pick: the page the i-th step reads: i, or one at random (xorshift). */
static size_t pick(uint64_t *x, size_t i, bool random)
{
	if (!random)
		return i;
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (size_t)(*x % (FILESIZE / PG));
}

static void scan_view(upager_t *pg, upager_file_t *f,
    const unsigned char *exp, bool random)
{
	size_t npages = FILESIZE / PG, i;
	unsigned char *v;
	uint64_t x = 88172645463325252ull;

	CHECK_OK(upager_map(f, 0, FILESIZE, PROT_READ, MAP_SHARED,
	    (void **)&v));
	for (i = 0; i < npages; i++) {
		size_t pgno = pick(&x, i, random);

		CHECK_MEM(v + pgno * PG, exp + pgno * PG, PG);
		if (i % SAMPLE == 0)
			sample(pg, random ? "random view" : "view scan", pgno);
	}
	CHECK_OK(upager_unmap(v, FILESIZE));
}

static void scan_pread(upager_t *pg, upager_file_t *f,
    const unsigned char *exp, bool random)
{
	size_t npages = FILESIZE / PG, i;
	unsigned char buf[4096];
	uint64_t x = 2463534242ull;

	for (i = 0; i < npages; i++) {
		size_t pgno = pick(&x, i, random);

		UREAD(f, buf, PG, (off_t)(pgno * PG));
		CHECK_MEM(buf, exp + pgno * PG, PG);
		if (i % SAMPLE == 0)
			sample(pg, random ? "random pread" : "pread scan",
			    pgno);
	}
}

int main(void)
{
	unsigned char *exp;
	const char *path;
	upager_t *pg;
	upager_file_t *f;
	int k;

	pg = mkpager_cfg(BUDGET, CLUSTER, 0, 0, QUIET_SYNCER);
	set_page_size(pg);
	CHECK(PG == 4096);
	exp = xmalloc(FILESIZE);
	fill(exp, FILESIZE, 0, 3);
	path = tpath("big");
	disk_write(path, exp, FILESIZE, 0, 0);
	f = uopen(pg, path, O_RDONLY);
	for (k = 0; k < 2; k++) {
		scan_view(pg, f, exp, k == 1);
		scan_pread(pg, f, exp, k == 1);
	}
	CHECK_OK(dbg_check_pager(pg));
	CHECK_OK(upager_close(f));
	CHECK_OK(upager_destroy(pg));
	printf("t_budget: ok (peak %lu frames of %u, RssShmem %lu KiB)\n",
	    (unsigned long)max_frames, (unsigned)(BUDGET / PG),
	    (unsigned long)(max_rss >> 10));
	free(exp);
	rm_test_dir();
	return 0;
}
