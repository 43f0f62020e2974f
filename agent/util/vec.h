/*
 * vec.h — growing the plain arrays modules keep as (items, n, cap):
 *
 *     if (vec_reserve(s->items, s->n, s->cap, 64))
 *             return KAIRN_ENOMEM;
 *     s->items[s->n++] = x;
 *
 * vec_reserve makes room for one more element: when n == cap it doubles cap
 * (to `first` for an empty array) and reallocs. On failure the array and cap
 * are unchanged, so the caller's cleanup still frees what it holds.
 * cap must be a size_t lvalue; arr any object-pointer lvalue.
 */
#ifndef KAIRN_UTIL_VEC_H
#define KAIRN_UTIL_VEC_H

#include <stddef.h>

/* 0 or KAIRN_ENOMEM. arrp points at the caller's T * (read and written with
 * memcpy, so any object pointer type works without aliasing games). */
int vec_reserve_(void *arrp, size_t n, size_t *cap, size_t elem, size_t first);

#define vec_reserve(arr, n, cap, first) vec_reserve_(&(arr), (n), &(cap), sizeof(*(arr)), (first))

#endif
