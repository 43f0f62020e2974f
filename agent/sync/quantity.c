/*
 * quantity.c — the quantity grammar of k8s.io/apimachinery resource.Quantity:
 *   <sign><digits>[.<digits>][<suffix>]  with suffix one of
 *   binary Ki Mi Gi Ti Pi Ei, decimal n u m "" k M G T P E, or e<int>/E<int>.
 * Values are held as __int128 nano-units: 1Ei = 2^60 * 10^9 fits easily.
 */
#include "quantity.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define NANO ((__int128)1000000000)
static const __int128 QMAX = ((__int128)1) << 120;

static int pow10_scale(int exp10, __int128 *num, __int128 *den)
{
	*num = 1;
	*den = 1;
	if (exp10 > 30 || exp10 < -30)
		return -1;
	for (int i = 0; i < exp10; i++)
		*num *= 10;
	for (int i = 0; i > exp10; i--)
		*den *= 10;
	return 0;
}

/* Multiplier for a suffix as num/den; -1 if unknown. */
static int suffix_scale(const char *s, __int128 *num, __int128 *den)
{
	static const struct { const char *sfx; int bin; int exp; } tab[] = {
		{ "Ki", 1, 10 }, { "Mi", 1, 20 }, { "Gi", 1, 30 }, { "Ti", 1, 40 }, { "Pi", 1, 50 },
		{ "Ei", 1, 60 }, { "n", 0, -9 }, { "u", 0, -6 }, { "m", 0, -3 }, { "", 0, 0 },
		{ "k", 0, 3 }, { "M", 0, 6 }, { "G", 0, 9 }, { "T", 0, 12 }, { "P", 0, 15 },
		{ "E", 0, 18 },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(s, tab[i].sfx) != 0)
			continue;
		if (tab[i].bin) {
			*num = ((__int128)1) << tab[i].exp;
			*den = 1;
			return 0;
		}
		return pow10_scale(tab[i].exp, num, den);
	}
	if (s[0] == 'e' || s[0] == 'E') {
		const char *p = s + 1;
		int sign = 1, exp = 0;

		if (*p == '+' || *p == '-')
			sign = *p++ == '-' ? -1 : 1;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			exp = exp * 10 + (*p - '0');
			if (exp > 100)
				return -1;
		}
		if (*p)
			return -1;
		return pow10_scale(sign * exp, num, den);
	}
	return -1;
}

int quantity_parse(const char *s, __int128 *nanos)
{
	__int128 mant = 0, frac_den = 1, num, den, v;
	int sign = 1, digits = 0;
	const char *p = s;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (; isdigit((unsigned char)*p); p++, digits++) {
		mant = mant * 10 + (*p - '0');
		if (mant > QMAX)
			return -1;
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, digits++) {
			if (frac_den > QMAX / 10)
				return -1;
			mant = mant * 10 + (*p - '0');
			frac_den *= 10;
			if (mant > QMAX)
				return -1;
		}
	}
	if (digits == 0 || suffix_scale(p, &num, &den))
		return -1;
	/* value = mant / frac_den * num / den, in nano-units, rounded up. */
	if (mant != 0 && num > QMAX / mant)
		return -1;
	v = mant * num;
	if (v > QMAX / NANO)
		return -1;
	v *= NANO;
	den *= frac_den;
	v = (v + den - 1) / den;
	*nanos = sign * v;
	return 0;
}

int quantity_of_json(const cJSON *v, __int128 *nanos)
{
	char buf[64];

	if (cJSON_IsString(v))
		return quantity_parse(v->valuestring, nanos);
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		/* Integers print exactly; other doubles with the 15 digits a double
		 * holds, so 0.1 stays "0.1" and equals "100m". */
		if (d == (double)(long long)d && d < 9007199254740992.0 && d > -9007199254740992.0)
			snprintf(buf, sizeof(buf), "%lld", (long long)d);
		else
			snprintf(buf, sizeof(buf), "%.15g", d);
		return quantity_parse(buf, nanos);
	}
	return -1;
}
