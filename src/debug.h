/* debug.h: internal hooks the tests use (not part of the public API) */
#ifndef UPAGER_DEBUG_H
#define UPAGER_DEBUG_H

#include "upager.h"

/*
 * dbg_check_pager: validate every object of the pager and every page of
 * each (index, flags, queues, counts, bytes past EOF are zero).  Returns 0,
 * or prints what is wrong to stderr and returns -EUCLEAN.  Takes the locks
 * itself: call it with no upager call running in another thread.
 */
int dbg_check_pager(upager_t *pg);

#endif /* UPAGER_DEBUG_H */
