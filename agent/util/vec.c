/*
 * vec.c — see vec.h.
 */
#include "vec.h"
#include "err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int vec_reserve_(void *arrp, size_t n, size_t *cap, size_t elem, size_t first)
{
	void *old, *grown;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : (first ? first : 8);
	if (ncap <= n)
		ncap = n + 1;
	if (ncap > SIZE_MAX / elem)
		return KAIRN_ENOMEM;
	memcpy(&old, arrp, sizeof(old));
	grown = realloc(old, ncap * elem);
	if (!grown)
		return KAIRN_ENOMEM;
	memcpy(arrp, &grown, sizeof(grown));
	*cap = ncap;
	return 0;
}
