/* t_radix.c: the page index against a plain array, keys dense and sparse */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "radix.h"

#define N 200000

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

int main(void)
{
	static char present[N];
	struct radix r;
	uint64_t k, i, n = 0;
	void *v;

	rdx_init(&r);
	/* random inserts and removes in [0, N), checked by lookup */
	for (i = 0; i < 4 * N; i++) {
		k = rnd() % N;
		if (present[k]) {
			CHECK(rdx_remove(&r, k) == (void *)(uintptr_t)(k + 1));
			present[k] = 0;
			n--;
		} else {
			CHECK_OK(rdx_insert(&r, k, (void *)(uintptr_t)(k + 1)));
			present[k] = 1;
			n++;
		}
		CHECK_EQ(r.count, n);
	}
	for (k = 0; k < N; k++)
		CHECK(rdx_lookup(&r, k) ==
		    (present[k] ? (void *)(uintptr_t)(k + 1) : NULL));
	/* rdx_next walks exactly the present keys, in order */
	for (k = 0, i = 0; (v = rdx_next(&r, &k)) != NULL; k++, i++) {
		CHECK(k < N && present[k]);
		CHECK(v == (void *)(uintptr_t)(k + 1));
		while (i < k)
			CHECK(!present[i++]);
	}
	/* huge keys grow the tree; the small ones stay reachable */
	CHECK_OK(rdx_insert(&r, UINT64_MAX, (void *)1));
	CHECK_OK(rdx_insert(&r, (uint64_t)1 << 40, (void *)2));
	k = N;
	CHECK(rdx_next(&r, &k) == (void *)2 && k == (uint64_t)1 << 40);
	k++;
	CHECK(rdx_next(&r, &k) == (void *)1 && k == UINT64_MAX);
	CHECK(rdx_remove(&r, UINT64_MAX) == (void *)1);
	CHECK(rdx_remove(&r, (uint64_t)1 << 40) == (void *)2);
	for (k = 0; k < N; k++)
		if (present[k])
			CHECK(rdx_remove(&r, k) != NULL);
	CHECK_EQ(r.count, 0);
	CHECK(r.root == NULL);
	k = 0;
	CHECK(rdx_next(&r, &k) == NULL);
	rdx_fini(&r);
	printf("t_radix: ok\n");
	return 0;
}
