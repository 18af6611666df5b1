/* scan.c: an example: map a file through upager under a small budget, sum its bytes, print what the pager did */
/*
 * usage: scan FILE [BUDGET_MIB]
 * Builds against an installed upager with pkg-config only:
 *   cc scan.c $(pkg-config --cflags --libs upager) -o scan
 * Prints the byte sum computed through the view and through read(2),
 * which must agree, and the pager's counters.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <upager.h>

int main(int argc, char **argv)
{
	struct upager_config cfg;
	struct upager_stats st;
	upager_t *pg;
	upager_file_t *f;
	unsigned char *v, buf[65536];
	uint64_t viewsum = 0, readsum = 0;
	off_t size;
	ssize_t n;
	int err, fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: scan FILE [BUDGET_MIB]\n");
		return 2;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = (size_t)(argc == 3 ? atoi(argv[2]) : 4) << 20;
	if ((err = upager_create(&cfg, &pg)) != 0 ||
	    (err = upager_open(pg, argv[1], O_RDONLY, 0, &f)) != 0) {
		fprintf(stderr, "scan: %s: %s\n", argv[1], upager_strerror(err));
		return 1;
	}
	if ((size = upager_size(f)) <= 0) {
		fprintf(stderr, "scan: %s: empty\n", argv[1]);
		return 1;
	}
	err = upager_map(f, 0, (size_t)size, PROT_READ, MAP_SHARED,
	    (void **)&v);
	if (err != 0) {
		fprintf(stderr, "scan: map: %s\n", upager_strerror(err));
		return 1;
	}
	(void)upager_madvise(v, (size_t)size, MADV_SEQUENTIAL);
	for (off_t i = 0; i < size; i++)
		viewsum += v[i];
	if ((fd = open(argv[1], O_RDONLY)) < 0)
		return 1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			readsum += buf[i];
	close(fd);
	(void)upager_stats(pg, &st);
	printf("sum %" PRIu64 " (read(2): %" PRIu64 ") pages_in %" PRIu64
	    " peak_resident %" PRIu64 " of %" PRIu64 " pages\n", viewsum,
	    readsum, st.pages_in, st.peak_resident, st.budget_pages);
	(void)upager_unmap(v, (size_t)size);
	(void)upager_close(f);
	(void)upager_destroy(pg);
	return viewsum == readsum ? 0 : 3;
}
