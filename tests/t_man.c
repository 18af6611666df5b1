/*
 * t_man.c: the manual pages upager(1) and upager(3) render without a
 * warning: groff with every warning on (-ww), and man -l as a reader
 * would run it.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "testlib.h"

#ifndef MAN_DIR
#error "MAN_DIR: where upager.1 and upager.3 are"
#endif

/* render: run cmd with its stderr to a file; it must exit 0 and say
 * nothing there, and its stdout must not be empty */
static void render(const char *what, const char *cmd)
{
	char line[4096], err[1024], out[1024];
	struct stat st;
	FILE *f;

	snprintf(err, sizeof(err), "%s", tpath("stderr"));
	snprintf(out, sizeof(out), "%s", tpath("stdout"));
	snprintf(line, sizeof(line), "%s > '%s' 2> '%s'", cmd, out, err);
	if (system(line) != 0)
		FAIL("%s: failed: %s", what, line);
	CHECK(stat(out, &st) == 0);
	if (st.st_size == 0)
		FAIL("%s: printed nothing", what);
	CHECK(stat(err, &st) == 0);
	if (st.st_size != 0) {
		CHECK((f = fopen(err, "r")) != NULL);
		line[fread(line, 1, sizeof(line) - 1, f)] = '\0';
		fclose(f);
		FAIL("%s: warnings: %s", what, line);
	}
}

int main(void)
{
	static const char *const pages[] = { "upager.1", "upager.3" };
	char cmd[2048], what[64];

	for (size_t i = 0; i < 2; i++) {
		snprintf(what, sizeof(what), "groff -ww %s", pages[i]);
		snprintf(cmd, sizeof(cmd), "groff -ww -man -Tutf8 '%s/%s'",
		    MAN_DIR, pages[i]);
		render(what, cmd);
		snprintf(what, sizeof(what), "man -l %s", pages[i]);
		snprintf(cmd, sizeof(cmd), "MANROFFOPT=-ww MANWIDTH=80 "
		    "MAN_KEEP_FORMATTING=0 man -l '%s/%s'", MAN_DIR, pages[i]);
		render(what, cmd);
	}
	rm_test_dir();
	printf("t_man: ok\n");
	return 0;
}
