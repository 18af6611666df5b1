/* fuzz_main.c: feeds files to the fuzz harness without libFuzzer (the t_fuzz_corpus test) */
/*
 *   fuzz_corpus [FILE|DIR]...   every file given, and every file of each
 *                               directory in name order; with none, the
 *                               corpus (FUZZ_CORPUS, set by cmake/fuzz.cmake)
 *
 * A failing input aborts inside the harness, which prints what failed and
 * the calls that led there; this prints each file's name first.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef FUZZ_CORPUS
#define FUZZ_CORPUS "tests/fuzz/corpus"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* run_file: one input; returns 1 (counted), or 0 for a file unreadable */
static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n = -1;
	int ran = 0;

	if (fp != NULL && fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL &&
	    fread(buf, 1, (size_t)n, fp) == (size_t)n) {
		fprintf(stderr, "fuzz_corpus: %s (%ld bytes)\n", path, n);
		LLVMFuzzerTestOneInput(buf, (size_t)n);
		ran = 1;
	} else {
		fprintf(stderr, "fuzz_corpus: cannot read %s\n", path);
	}
	free(buf);
	if (fp != NULL)
		fclose(fp);
	return ran;
}

/* run_path: a file, or every regular file of a directory in name order;
 * returns the inputs run, or -1 if one could not be read */
static int run_path(const char *path)
{
	struct dirent **ents = NULL;
	struct stat st;
	char sub[4096];
	int n, i, ran = 0;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		n = scandir(path, &ents, NULL, alphasort);
		for (i = 0; i < n; i++) {
			snprintf(sub, sizeof(sub), "%s/%s", path,
			    ents[i]->d_name);
			if (ran >= 0 && stat(sub, &st) == 0 &&
			    S_ISREG(st.st_mode))
				ran = run_file(sub) ? ran + 1 : -1;
			free(ents[i]);
		}
		free(ents);
		if (n < 0)
			ran = -1;
	} else {
		ran = run_file(path) ? 1 : -1;
	}
	return ran;
}

/* main: run what the command line names, or the corpus; fail if an
 * input could not be read or there was none */
int main(int argc, char **argv)
{
	int i, n, total = 0, bad = 0;

	for (i = 1; i < argc || (argc == 1 && i == 1); i++) {
		n = run_path(argc > 1 ? argv[i] : FUZZ_CORPUS);
		if (n < 0)
			bad = 1;
		else
			total += n;
	}
	fprintf(stderr, "fuzz_corpus: %d inputs passed\n", total);
	return bad || total == 0 ? 1 : 0;
}
