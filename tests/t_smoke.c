/* t_smoke.c: one of each call, the first thing to break when the core does */
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include "check.h"
#include "debug.h"
#include "sys.h"
#include "upager.h"

/*
 * check_engine: the I/O engine is the one asked for: UPAGER_IOENGINE is
 * set by each CTest variant (io_uring or threads), so that a variant
 * cannot pass on the other engine; UPAGER_THREADIO gives the threads,
 * and so does a kernel whose io_uring fails (injected ENOSYS, EPERM).
 */
static void check_engine(void)
{
	const char *want = getenv("UPAGER_IOENGINE");
	struct upager_config cfg = { .budget = 1 << 20 };
	struct upager_stats st;
	bool threads = want != NULL && strcmp(want, "threads") == 0;
	upager_t *pg;
	int err;

	CHECK_OK(upager_create(&cfg, &pg));
	CHECK_OK(upager_stats(pg, &st));
	if (threads)
		CHECK_EQ(st.io_engine, UPAGER_ENGINE_THREADS);
	else if (want != NULL && strcmp(want, "io_uring") == 0)
		CHECK_EQ(st.io_engine, UPAGER_ENGINE_URING);
	else
		CHECK(st.io_engine == UPAGER_ENGINE_URING ||
		    st.io_engine == UPAGER_ENGINE_THREADS);
	CHECK_OK(upager_destroy(pg));

	cfg.flags = UPAGER_THREADIO;
	CHECK_OK(upager_create(&cfg, &pg));
	CHECK_OK(upager_stats(pg, &st));
	CHECK_EQ(st.io_engine, UPAGER_ENGINE_THREADS);
	CHECK_OK(upager_destroy(pg));

	cfg.flags = 0;
	for (err = 0; err < 2; err++) {
		sys_fault_set(SYS_URING, &(struct sys_fault){
		    .err = err == 0 ? ENOSYS : EPERM });
		CHECK_OK(upager_create(&cfg, &pg));
		/* (not even tried when the variant asks for threads) */
		CHECK_EQ(sys_fault_hits(SYS_URING), threads ? 0 : 1);
		sys_fault_clear(SYS_NKIND);
		CHECK_OK(upager_stats(pg, &st));
		CHECK_EQ(st.io_engine, UPAGER_ENGINE_THREADS);
		CHECK_OK(upager_destroy(pg));
	}
}

int main(void)
{
	struct upager_config cfg = { .budget = 1 << 20 };
	struct upager_stats st;
	char path[512], buf[10000], out[10000];
	upager_t *pg;
	upager_file_t *f;
	int i, fd;

	snprintf(path, sizeof(path), "%s/smoke", test_dir());
	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (char)(i * 7 + 1);
	CHECK_OK(upager_create(&cfg, &pg));
	CHECK_OK(upager_open(pg, path, O_RDWR | O_CREAT, 0644, &f));
	CHECK_EQ(upager_size(f), 0);
	CHECK_EQ(upager_pwrite(f, buf, sizeof(buf), 5000), sizeof(buf));
	CHECK_EQ(upager_size(f), 15000);
	CHECK_EQ(upager_pread(f, out, sizeof(out), 5000), sizeof(out));
	CHECK_MEM(out, buf, sizeof(buf));
	CHECK_EQ(upager_pread(f, out, 100, 0), 100);
	for (i = 0; i < 100; i++)
		CHECK_EQ(out[i], 0);
	CHECK_OK(upager_sync(f, 0, 0, UPAGER_SYNC_WAIT));
	CHECK_OK(dbg_check_pager(pg));
	/* on disk */
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, out, sizeof(out), 5000), sizeof(out));
	CHECK_MEM(out, buf, sizeof(buf));
	close(fd);
	CHECK_OK(upager_truncate(f, 6000));
	CHECK_EQ(upager_pread(f, out, sizeof(out), 5000), 1000);
	CHECK_OK(upager_truncate(f, 9000));
	CHECK_EQ(upager_pread(f, out, sizeof(out), 5000), 4000);
	CHECK_MEM(out, buf, 1000);
	for (i = 1000; i < 4000; i++)
		CHECK_EQ(out[i], 0);
	CHECK_OK(dbg_check_pager(pg));
	/* a file grown by truncate, then read from 0 with read-ahead: the
	 * frames behind the read-ahead must exist (they once did not) */
	CHECK_OK(upager_truncate(f, 1 << 20));
	CHECK_EQ(upager_pread(f, out, 100, 0), 100);
	CHECK_EQ(upager_pread(f, out, sizeof(out), 1 << 19), sizeof(out));
	for (i = 0; i < (int)sizeof(out); i++)
		CHECK_EQ(out[i], 0);
	CHECK_OK(dbg_check_pager(pg));
	CHECK_OK(upager_stats(pg, &st));
	CHECK(st.resident > 0 && st.resident <= st.budget_pages);
	CHECK_OK(upager_close(f));
	CHECK_OK(upager_destroy(pg));
	unlink(path);
	rmdir(test_dir());
	check_engine();
	printf("t_smoke: ok\n");
	return 0;
}
