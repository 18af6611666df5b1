/* radix.h: the per-object page index, a radix tree keyed by page number */
#ifndef UPAGER_RADIX_H
#define UPAGER_RADIX_H

#include <stdint.h>

struct radix {
	void *root;
	unsigned height;  /* 0: empty; a tree of height h holds keys < 64^h */
	uint64_t count;
};

void rdx_init(struct radix *r);
void rdx_fini(struct radix *r);  /* the tree must be empty */
void *rdx_lookup(const struct radix *r, uint64_t key);
int rdx_insert(struct radix *r, uint64_t key, void *val);  /* 0, -ENOMEM */
void *rdx_remove(struct radix *r, uint64_t key);
/* rdx_next: the first value at a key >= *key, its key in *key; or NULL. */
void *rdx_next(const struct radix *r, uint64_t *key);

#endif /* UPAGER_RADIX_H */
