/* radix.c: the per-object page index, a radix tree keyed by page number */
#include <errno.h>
#include <stdlib.h>

#include "radix.h"

/*
 * 64 slots a node, so a lookup among a million pages touches four nodes,
 * and a bitmap a node, so that rdx_next skips empty slots with one ctz:
 * putpages and setsize walk sparse ranges with it.
 */
#define RDX_SHIFT 6
#define RDX_SLOTS (1u << RDX_SHIFT)
#define RDX_MASK (RDX_SLOTS - 1)
#define RDX_MAXH 11  /* 64^11 > 2^64 */

struct rdx_node {
	uint64_t bitmap;  /* slots in use */
	void *slot[RDX_SLOTS];
};

void rdx_init(struct radix *r)
{
	r->root = NULL;
	r->height = 0;
	r->count = 0;
}

void rdx_fini(struct radix *r)
{
	(void)r;
}

/* rdx_span: the number of keys a tree of height h holds, saturated. */
static int rdx_holds(unsigned h, uint64_t key)
{
	if (h >= RDX_MAXH)
		return 1;
	return (key >> (h * RDX_SHIFT)) == 0;
}

void *rdx_lookup(const struct radix *r, uint64_t key)
{
	struct rdx_node *n = r->root;
	unsigned h = r->height;

	if (n == NULL || !rdx_holds(h, key))
		return NULL;
	while (h > 0) {
		h--;
		n = n->slot[(key >> (h * RDX_SHIFT)) & RDX_MASK];
		if (n == NULL)
			return NULL;
	}
	return n;
}

/*
 * rdx_insert: store val at key (val non-NULL, key not present).
 * => returns 0 or -ENOMEM, in which case the tree is unchanged in content
 *    (an empty node may be left; it is reclaimed by later removes).
 */
int rdx_insert(struct radix *r, uint64_t key, void *val)
{
	struct rdx_node *n, **slotp;
	unsigned h;

	if (r->root == NULL) {
		r->height = 0;
		while (!rdx_holds(r->height, key))
			r->height++;
		if (r->height == 0) {
			r->root = val;
			goto done;
		}
		if ((r->root = calloc(1, sizeof(struct rdx_node))) == NULL)
			return -ENOMEM;
	}
	while (!rdx_holds(r->height, key)) {
		/* a height-0 tree is a single value at key 0 */
		if ((n = calloc(1, sizeof(*n))) == NULL)
			return -ENOMEM;
		n->slot[0] = r->root;
		n->bitmap = 1;
		r->root = n;
		r->height++;
	}
	slotp = (struct rdx_node **)&r->root;
	for (h = r->height; h > 0; h--) {
		unsigned i = (key >> ((h - 1) * RDX_SHIFT)) & RDX_MASK;

		n = *slotp;
		if (h > 1 && n->slot[i] == NULL) {
			if ((n->slot[i] = calloc(1, sizeof(*n))) == NULL)
				return -ENOMEM;
		}
		n->bitmap |= (uint64_t)1 << i;
		slotp = (struct rdx_node **)&n->slot[i];
	}
	*slotp = val;
done:
	r->count++;
	return 0;
}

/* rdx_remove: remove and return the value at key (NULL if absent),
 * freeing the nodes it leaves empty. */
void *rdx_remove(struct radix *r, uint64_t key)
{
	struct rdx_node *path[RDX_MAXH + 1];
	unsigned idx[RDX_MAXH + 1];
	struct rdx_node *n = r->root;
	unsigned h = r->height, d = 0;
	void *val;

	if (n == NULL || !rdx_holds(h, key))
		return NULL;
	if (h == 0) {
		r->root = NULL;
		r->count--;
		return n;
	}
	while (h > 0) {
		h--;
		path[d] = n;
		idx[d] = (key >> (h * RDX_SHIFT)) & RDX_MASK;
		n = n->slot[idx[d]];
		d++;
		if (n == NULL)
			return NULL;
	}
	val = n;
	/* clear the slot, then free nodes that became empty, bottom up */
	while (d > 0) {
		d--;
		path[d]->slot[idx[d]] = NULL;
		path[d]->bitmap &= ~((uint64_t)1 << idx[d]);
		if (path[d]->bitmap != 0)
			break;
		free(path[d]);
		if (d == 0) {
			r->root = NULL;
			r->height = 0;
		}
	}
	r->count--;
	return val;
}

/* rdx_next_in: first value >= key in the subtree n of height h. */
static void *rdx_next_in(struct rdx_node *n, unsigned h, uint64_t key,
    uint64_t *found)
{
	unsigned shift = (h - 1) * RDX_SHIFT;
	unsigned i = (key >> shift) & RDX_MASK;
	uint64_t bits = n->bitmap & (~(uint64_t)0 << i);

	while (bits != 0) {
		unsigned j = (unsigned)__builtin_ctzll(bits);
		uint64_t base = (key & ~((((uint64_t)RDX_SLOTS) << shift) - 1)) |
		    ((uint64_t)j << shift);
		uint64_t from = j == i ? key : base;
		void *v;

		if (h == 1) {
			*found = base;
			return n->slot[j];
		}
		if ((v = rdx_next_in(n->slot[j], h - 1, from, found)) != NULL)
			return v;
		bits &= bits - 1;
	}
	return NULL;
}

void *rdx_next(const struct radix *r, uint64_t *key)
{
	if (r->root == NULL || !rdx_holds(r->height, *key))
		return NULL;
	if (r->height == 0)
		return *key == 0 ? r->root : NULL;
	return rdx_next_in(r->root, r->height, *key, key);
}
