/*
 * benchlat.h: per-thread latency histograms for Custody's C benches (signbench.c, signclient.c).
 *
 * Linear buckets of LAT_BUCKET_US microseconds up to LAT_MAX_US; slower calls land in the last
 * bucket. Each thread fills its own histogram (no sharing on the hot path); the main thread merges
 * them and reads percentiles. Recording is one clock_gettime and one increment per call.
 */
#ifndef CUSTODY_BENCHLAT_H
#define CUSTODY_BENCHLAT_H

#include <stdlib.h>
#include <time.h>

#define LAT_BUCKET_US 2
#define LAT_MAX_US 200000
#define LAT_BUCKETS (LAT_MAX_US / LAT_BUCKET_US + 1)

struct lat_hist {
    unsigned long long *count; /* LAT_BUCKETS entries */
    unsigned long long n;
};

static inline int lat_init(struct lat_hist *h)
{
    h->n = 0;
    h->count = calloc(LAT_BUCKETS, sizeof *h->count);
    return h->count == NULL ? -1 : 0;
}

static inline void lat_free(struct lat_hist *h)
{
    free(h->count);
    h->count = NULL;
}

static inline long long lat_ns_between(const struct timespec *a, const struct timespec *b)
{
    return (long long) (b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec);
}

static inline void lat_add(struct lat_hist *h, long long ns)
{
    long long b = ns / 1000 / LAT_BUCKET_US;
    if (b < 0) {
        b = 0;
    }
    if (b >= LAT_BUCKETS) {
        b = LAT_BUCKETS - 1;
    }
    h->count[b]++;
    h->n++;
}

static inline void lat_merge(struct lat_hist *into, const struct lat_hist *from)
{
    for (long i = 0; i < LAT_BUCKETS; i++) {
        into->count[i] += from->count[i];
    }
    into->n += from->n;
}

/* The latency in microseconds below which a fraction p (0..1) of the calls fell (bucket upper edge). */
static inline double lat_percentile_us(const struct lat_hist *h, double p)
{
    unsigned long long want, seen = 0;
    if (h->n == 0) {
        return 0.0;
    }
    want = (unsigned long long) (p * (double) h->n);
    if (want < 1) {
        want = 1;
    }
    for (long i = 0; i < LAT_BUCKETS; i++) {
        seen += h->count[i];
        if (seen >= want) {
            return (double) ((i + 1) * LAT_BUCKET_US);
        }
    }
    return (double) LAT_MAX_US;
}

#endif
