/*
 * t_badinput.c: bad input returns a clear negative errno and changes
 * nothing (the file's contents and size, as upager and the disk see them).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

static int nchecks;

/* The reference file: its contents, in memory. */
#define REF_LEN (3 * 4096 + 1000)
static unsigned char ref[REF_LEN];
static unsigned char big[4 * REF_LEN];	/* room for any read of it */
static const char *refpath;

/*
 * UNCHANGED(f): the reference file is intact on disk and, when f is not
 * NULL, through upager (f must be readable).
 */
#define UNCHANGED(f) do { \
	DISK_EXPECT(refpath, ref, REF_LEN); \
	if ((f) != NULL) { \
		CHECK_EQ(upager_size(f), REF_LEN); \
		CHECK_EQ(upager_pread((f), big, sizeof(big), 0), REF_LEN); \
		CHECK_MEM(big, ref, REF_LEN); \
	} \
	nchecks++; \
} while (0)

/* REJECT(call, err): the call fails with exactly -err. */
#define REJECT(call, err) do { \
	CHECK_EQ((call), -(err)); \
	nchecks++; \
} while (0)

static void test_create(void)
{
	struct upager_config cfg;
	upager_t *pg = NULL;
	long ps = sysconf(_SC_PAGESIZE);

	CHECK(ps > 0);
	memset(&cfg, 0, sizeof(cfg));
	REJECT(upager_create(NULL, &pg), EINVAL);
	CHECK(pg == NULL);
	REJECT(upager_create(&cfg, NULL), EINVAL);
	REJECT(upager_create(NULL, NULL), EINVAL);

	cfg.budget = 1;
	REJECT(upager_create(&cfg, &pg), EINVAL);
	cfg.budget = (size_t)ps;
	REJECT(upager_create(&cfg, &pg), EINVAL);
	cfg.budget = 64 * (size_t)ps - 1;
	REJECT(upager_create(&cfg, &pg), EINVAL);
	cfg.budget = 63 * (size_t)ps;
	REJECT(upager_create(&cfg, &pg), EINVAL);
	CHECK(pg == NULL);
	cfg.budget = 64 * (size_t)ps;		/* the least */
	CHECK_EQ(upager_create(&cfg, &pg), 0);
	CHECK(pg != NULL);
	CHECK_EQ(upager_destroy(pg), 0);
	pg = NULL;
	cfg.budget = 64 * (size_t)ps + 100;	/* rounded down */
	CHECK_EQ(upager_create(&cfg, &pg), 0);
	CHECK(pg != NULL);
	{
		struct upager_stats st;

		CHECK_EQ(upager_stats(pg, &st), 0);
		CHECK_EQ(st.budget_pages, 64);
		CHECK_EQ(st.page_size, ps);
	}
	CHECK_EQ(upager_destroy(pg), 0);
	pg = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.cluster = 1000;
	REJECT(upager_create(&cfg, &pg), EINVAL);
	cfg.cluster = (size_t)ps + 1;
	REJECT(upager_create(&cfg, &pg), EINVAL);
	memset(&cfg, 0, sizeof(cfg));
	cfg.readahead = 12345;
	REJECT(upager_create(&cfg, &pg), EINVAL);
	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = 0x80;
	REJECT(upager_create(&cfg, &pg), EINVAL);
	cfg.flags = UPAGER_NODIRECT | UPAGER_THREADIO | 0x4u;
	REJECT(upager_create(&cfg, &pg), EINVAL);
	cfg.flags = ~0u;
	REJECT(upager_create(&cfg, &pg), EINVAL);
	CHECK(pg == NULL);
	cfg.flags = UPAGER_NODIRECT;
	CHECK_EQ(upager_create(&cfg, &pg), 0);
	CHECK_EQ(upager_destroy(pg), 0);
	cfg.flags = UPAGER_NODIRECT | UPAGER_THREADIO;
	CHECK_EQ(upager_create(&cfg, &pg), 0);
	CHECK_EQ(upager_destroy(pg), 0);
}

static void test_null_handles(upager_t *pg, upager_file_t *f)
{
	struct upager_stats st;
	upager_file_t *g = NULL;
	unsigned char b[16];
	const char *newp = tpath("never");

	REJECT(upager_destroy(NULL), EINVAL);
	REJECT(upager_open(NULL, refpath, O_RDONLY, 0, &g), EINVAL);
	REJECT(upager_open(pg, NULL, O_RDONLY, 0, &g), EINVAL);
	REJECT(upager_open(pg, refpath, O_RDONLY, 0, NULL), EINVAL);
	CHECK(g == NULL);
	/* a rejected open creates nothing and truncates nothing */
	REJECT(upager_open(pg, newp, O_RDWR | O_CREAT, 0644, NULL), EINVAL);
	REJECT(upager_open(NULL, newp, O_RDWR | O_CREAT, 0644, &g), EINVAL);
	CHECK(access(newp, F_OK) != 0);
	REJECT(upager_open(pg, refpath, O_RDWR | O_TRUNC, 0, NULL), EINVAL);
	UNCHANGED(f);
	REJECT(upager_close(NULL), EINVAL);
	REJECT(upager_pread(NULL, b, sizeof(b), 0), EINVAL);
	REJECT(upager_pwrite(NULL, b, sizeof(b), 0), EINVAL);
	REJECT(upager_truncate(NULL, 0), EINVAL);
	REJECT(upager_size(NULL), EINVAL);
	REJECT(upager_sync(NULL, 0, 0, 0), EINVAL);
	REJECT(upager_sync_all(NULL), EINVAL);
	REJECT(upager_stats(NULL, &st), EINVAL);
	REJECT(upager_stats(pg, NULL), EINVAL);
	UNCHANGED(f);
}

static void test_ranges(upager_t *pg, upager_file_t *f)
{
	unsigned char b[256];

	memset(b, 0x77, sizeof(b));
	/* negative offsets */
	REJECT(upager_pread(f, b, 10, -1), EINVAL);
	REJECT(upager_pread(f, b, 0, -1), EINVAL);
	REJECT(upager_pread(f, b, 10, INT64_MIN), EINVAL);
	REJECT(upager_pwrite(f, b, 10, -1), EINVAL);
	REJECT(upager_pwrite(f, b, 10, -4096), EINVAL);
	REJECT(upager_pwrite(f, b, 0, -1), EINVAL);
	REJECT(upager_pwrite(f, b, 10, INT64_MIN), EINVAL);
	REJECT(upager_sync(f, -1, 0, 0), EINVAL);
	REJECT(upager_sync(f, INT64_MIN, 10, 0), EINVAL);
	REJECT(upager_sync(f, 0, -1, 0), EINVAL);
	UNCHANGED(f);
	/* off + len overflows */
	REJECT(upager_pread(f, b, 100, INT64_MAX - 10), EINVAL);
	REJECT(upager_pwrite(f, b, 100, INT64_MAX - 10), EINVAL);
	REJECT(upager_pwrite(f, b, 100, INT64_MAX), EINVAL);
	REJECT(upager_pread(f, big, SIZE_MAX, 0), EINVAL);
	REJECT(upager_pread(f, big, SIZE_MAX, 1), EINVAL);
	REJECT(upager_pwrite(f, b, SIZE_MAX, 0), EINVAL);
	REJECT(upager_pwrite(f, b, (size_t)INT64_MAX, 4096), EINVAL);
	REJECT(upager_sync(f, INT64_MAX - 10, 100, 0), EINVAL);
	REJECT(upager_sync(f, 1, INT64_MAX, 0), EINVAL);
	UNCHANGED(f);
	/* no overflow, but past the largest file offset */
	REJECT(upager_pwrite(f, b, 100, INT64_MAX - 200), EFBIG);
	REJECT(upager_pwrite(f, b, 1, (off_t)1 << 62), EFBIG);
	UNCHANGED(f);
	/* NULL buffers */
	REJECT(upager_pread(f, NULL, 10, 0), EINVAL);
	REJECT(upager_pwrite(f, NULL, 10, 0), EINVAL);
	REJECT(upager_pwrite(f, NULL, 1, REF_LEN), EINVAL);
	CHECK_EQ(upager_pread(f, NULL, 0, 0), 0);
	CHECK_EQ(upager_pwrite(f, NULL, 0, 0), 0);
	CHECK_EQ(upager_pwrite(f, b, 0, 100000), 0);	/* extends nothing */
	UNCHANGED(f);
	/* negative sizes */
	REJECT(upager_truncate(f, -1), EINVAL);
	REJECT(upager_truncate(f, INT64_MIN), EINVAL);
	UNCHANGED(f);
	/* unknown sync flags; nothing is written */
	{
		unsigned char old = ref[5];

		ref[5] ^= 0xFF;
		CHECK_EQ(upager_pwrite(f, &ref[5], 1, 5), 1);
		REJECT(upager_sync(f, 0, 0, 0x4), EINVAL);
		REJECT(upager_sync(f, 0, 0, -1), EINVAL);
		REJECT(upager_sync(f, 0, 0, INT_MIN), EINVAL);
		REJECT(upager_sync(f, 0, 0, UPAGER_SYNC_WAIT | 0x100), EINVAL);
		CHECK_EQ(upager_pread(f, big, 1, 5), 1);
		CHECK_EQ(big[0], ref[5]);
		ref[5] = old;
		UNCHANGED(NULL);	/* the disk has the old byte */
		CHECK_EQ(upager_pwrite(f, &ref[5], 1, 5), 1);
		CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
		UNCHANGED(f);
	}
	PCHECK(pg);
}

static void test_access_modes(upager_t *pg)
{
	upager_file_t *r = uopen(pg, refpath, O_RDONLY);
	upager_file_t *w = uopen(pg, refpath, O_WRONLY);
	unsigned char b[16];

	memset(b, 0x55, sizeof(b));
	REJECT(upager_pwrite(r, b, sizeof(b), 0), EBADF);
	REJECT(upager_pwrite(r, b, sizeof(b), REF_LEN), EBADF);
	REJECT(upager_truncate(r, 0), EBADF);
	REJECT(upager_truncate(r, REF_LEN), EBADF);
	REJECT(upager_truncate(r, 2 * REF_LEN), EBADF);
	UNCHANGED(r);
	REJECT(upager_pread(w, b, sizeof(b), 0), EBADF);
	REJECT(upager_pread(w, b, sizeof(b), REF_LEN + 1), EBADF);
	CHECK_EQ(upager_size(w), REF_LEN);
	/* a sync of a clean or read-only file is harmless */
	CHECK_EQ(upager_sync(r, 0, 0, 0), 0);
	CHECK_EQ(upager_sync(w, 0, 0, UPAGER_SYNC_WAIT), 0);
	UNCHANGED(r);
	/* a write-only handle can still write partial pages */
	ref[PG + 1] ^= 0x5A;
	CHECK_EQ(upager_pwrite(w, &ref[PG + 1], 1, (off_t)PG + 1), 1);
	CHECK_EQ(upager_sync(w, 0, 0, 0), 0);
	UNCHANGED(r);
	CHECK_EQ(upager_close(w), 0);
	CHECK_EQ(upager_close(r), 0);
	PCHECK(pg);
}

static void test_open_errors(upager_t *pg)
{
	upager_file_t *g = NULL;
	const char *missing = tpath("missing");
	const char *sub = tpath("subdir");
	const char *lnk = tpath("link");
	const char *fifo = tpath("fifo");
	struct upager_stats st;
	int fd;

	CHECK(mkdir(sub, 0755) == 0);
	REJECT(upager_open(pg, sub, O_RDONLY, 0, &g), EISDIR);
	REJECT(upager_open(pg, sub, O_RDWR, 0, &g), EISDIR);
	REJECT(upager_open(pg, test_dir(), O_RDONLY, 0, &g), EISDIR);
	REJECT(upager_open(pg, missing, O_RDONLY, 0, &g), ENOENT);
	REJECT(upager_open(pg, missing, O_RDWR, 0, &g), ENOENT);
	REJECT(upager_open(pg, "", O_RDONLY, 0, &g), ENOENT);
	CHECK(access(missing, F_OK) != 0);
	REJECT(upager_open(pg, refpath, O_RDWR | O_CREAT | O_EXCL, 0644, &g),
	    EEXIST);
	REJECT(upager_open(pg, refpath,
	    O_RDWR | O_CREAT | O_EXCL | O_TRUNC, 0644, &g), EEXIST);
	UNCHANGED(NULL);
	/* unknown flags, and a bad access mode */
	REJECT(upager_open(pg, refpath, O_RDWR | O_APPEND, 0, &g), EINVAL);
	REJECT(upager_open(pg, refpath, O_RDWR | O_DIRECT, 0, &g), EINVAL);
	REJECT(upager_open(pg, refpath, O_RDWR | O_SYNC, 0, &g), EINVAL);
	REJECT(upager_open(pg, refpath, O_RDONLY | O_PATH, 0, &g), EINVAL);
	REJECT(upager_open(pg, refpath, O_RDWR | O_NONBLOCK, 0, &g), EINVAL);
	REJECT(upager_open(pg, refpath, O_ACCMODE, 0, &g), EINVAL);
	REJECT(upager_open(pg, refpath, O_RDWR | 0x40000000, 0, &g), EINVAL);
	REJECT(upager_open(pg, refpath, -1, 0, &g), EINVAL);
	REJECT(upager_open(pg, missing, O_RDWR | O_CREAT | O_APPEND, 0644,
	    &g), EINVAL);
	REJECT(upager_open(pg, sub, O_RDWR | O_TMPFILE, 0644, &g), EINVAL);
	CHECK(access(missing, F_OK) != 0);
	UNCHANGED(NULL);
	/* O_TRUNC needs write access; the file is not truncated */
	REJECT(upager_open(pg, refpath, O_RDONLY | O_TRUNC, 0, &g), EINVAL);
	REJECT(upager_open(pg, refpath, O_RDONLY | O_CREAT | O_TRUNC, 0644,
	    &g), EINVAL);
	UNCHANGED(NULL);
	/* not regular files */
	REJECT(upager_open(pg, "/dev/null", O_RDONLY, 0, &g), ENODEV);
	REJECT(upager_open(pg, "/dev/null", O_RDWR, 0, &g), ENODEV);
	REJECT(upager_open(pg, "/dev/zero", O_RDONLY, 0, &g), ENODEV);
	CHECK(mkfifo(fifo, 0644) == 0);
	fd = open(fifo, O_RDWR);	/* so that no open of it blocks */
	CHECK(fd >= 0);
	REJECT(upager_open(pg, fifo, O_RDWR, 0, &g), ENODEV);
	REJECT(upager_open(pg, fifo, O_RDONLY, 0, &g), ENODEV);
	CHECK(close(fd) == 0);
	/* O_NOFOLLOW on a symbolic link */
	CHECK(symlink(refpath, lnk) == 0);
	REJECT(upager_open(pg, lnk, O_RDONLY | O_NOFOLLOW, 0, &g), ELOOP);
	g = uopen(pg, lnk, O_RDONLY);
	UNCHANGED(g);
	CHECK_EQ(upager_close(g), 0);
	g = NULL;
	/* accepted flags are accepted */
	g = uopen(pg, refpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	UNCHANGED(g);
	CHECK_EQ(upager_close(g), 0);
	CHECK_EQ(upager_stats(pg, &st), 0);
	CHECK(st.objects <= 1);	/* only the reference file */
	PCHECK(pg);
}

static void test_strerror(void)
{
	const int errs[] = { 0, EIO, -EIO, ENOSPC, -ENOSPC, EINVAL, -EINVAL,
	    EBADF, -EBADF, ENODEV, -ENODEV, EFBIG, -EFBIG, -EUCLEAN, 4095,
	    -4095, 9999, -9999, INT_MAX, INT_MIN, INT_MIN + 1 };

	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		const char *s = upager_strerror(errs[i]);

		CHECK(s != NULL);
		CHECK(s[0] != '\0');
		nchecks++;
	}
	CHECK(strcmp(upager_strerror(-EIO), upager_strerror(EIO)) == 0);
	CHECK(strcmp(upager_strerror(-EIO), upager_strerror(-ENOSPC)) != 0);
}

int main(void)
{
	upager_t *pg;
	upager_file_t *f;

	refpath = tpath("ref");
	fill(ref, REF_LEN, 0, 1);
	disk_write(refpath, ref, REF_LEN, 0, O_TRUNC);

	test_create();

	pg = mkpager_quiet(0);		/* no write-back by age */
	set_page_size(pg);
	CHECK(PG < REF_LEN);
	f = uopen(pg, refpath, O_RDWR);
	UNCHANGED(f);
	test_null_handles(pg, f);
	test_ranges(pg, f);
	UNCHANGED(f);
	CHECK_EQ(upager_close(f), 0);
	test_access_modes(pg);
	test_open_errors(pg);
	UNCHANGED(NULL);
	PCHECK(pg);
	CHECK_EQ(upager_destroy(pg), 0);
	UNCHANGED(NULL);
	test_strerror();

	rm_test_dir();
	printf("t_badinput: %d checks passed\n", nchecks);
	return 0;
}
