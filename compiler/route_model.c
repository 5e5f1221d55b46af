/*
 * The route model's containers: find-or-create for listeners, virtual
 * hosts and clusters through one string-keyed hash map, and growable
 * route lists. See route_model.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "route_model.h"

struct rm_map {
	const char **keys;
	void **vals;
	size_t n, cap;               /* cap: a power of two */
};

/* The slot hash of key s. */
static size_t key_hash(const char *s)
{
	return (size_t)hash_bytes(s, strlen(s));
}

static void map_grow(struct rm_map *mp)
{
	size_t cap = mp->cap ? mp->cap * 2 : 256;
	const char **keys = xcalloc(cap, sizeof(*keys));
	void **vals = xcalloc(cap, sizeof(*vals));
	for (size_t i = 0; i < mp->cap; i++) {
		if (!mp->keys[i])
			continue;
		size_t j = key_hash(mp->keys[i]) & (cap - 1);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = mp->keys[i];
		vals[j] = mp->vals[i];
	}
	free(mp->keys);
	free(mp->vals);
	mp->keys = keys;
	mp->vals = vals;
	mp->cap = cap;
}

/* The slot of key: its value, or where it goes (*found false). */
static size_t map_slot(struct rm_map *mp, const char *key, bool *found)
{
	if ((mp->n + 1) * 2 > mp->cap)
		map_grow(mp);
	size_t j = key_hash(key) & (mp->cap - 1);
	while (mp->keys[j] && strcmp(mp->keys[j], key) != 0)
		j = (j + 1) & (mp->cap - 1);
	*found = mp->keys[j] != NULL;
	return j;
}

void route_model_init(struct route_model *m, const char *domain)
{
	memset(m, 0, sizeof(*m));
	arena_init(&m->arena);
	m->domain = arena_strdup(&m->arena, domain ? domain : "cluster.local");
	m->index = xcalloc(1, sizeof(*m->index));
}

void route_model_release(struct route_model *m)
{
	for (size_t i = 0; i < m->n_listeners; i++)
		free(m->listeners[i]->vhosts);
	free(m->listeners);
	free(m->clusters);
	free(m->gateways);
	if (m->index) {
		free(m->index->keys);
		free(m->index->vals);
		free(m->index);
	}
	arena_release(&m->arena);
	memset(m, 0, sizeof(*m));
}

/* Writes address p as 2 * sizeof(uintptr_t) hex digits (a key part
 * that names one model object). */
static void put_address(char *dst, const void *p)
{
	uintptr_t v = (uintptr_t)p;
	for (size_t i = 0; i < 2 * sizeof(uintptr_t); i++)
		dst[i] = "0123456789abcdef"[(v >> (4 * (2 * sizeof(uintptr_t) - 1 - i))) & 15];
}

/* The model's one copy of a gateway name, under key "G\x01NAME": a
 * workload's listeners share it (the name joins every Gateway merged on
 * the workload, so one copy per listener grew with their square). */
const char *route_model_gateway_name(struct route_model *m, const char *gateway)
{
	size_t lg = strlen(gateway);
	char buf[512], *heap = NULL;
	char *key = lg + 3 <= sizeof(buf) ? buf : (heap = xmalloc(lg + 3));
	key[0] = 'G';
	key[1] = '\x01';
	memcpy(key + 2, gateway, lg + 1);
	bool found;
	size_t j = map_slot(m->index, key, &found);
	if (!found) {
		char *copy = arena_strdup(&m->arena, key);
		m->index->keys[j] = copy;
		m->index->vals[j] = copy + 2;
		m->index->n++;
	}
	free(heap);
	return m->index->vals[j];
}

struct rm_listener *route_model_listener(struct route_model *m,
					 const char *gateway, unsigned port,
					 const char *sni)
{
	return route_model_listener_of(m, route_model_gateway_name(m, gateway), port, sni);
}

struct rm_listener *route_model_listener_of(struct route_model *m, const char *g,
					    unsigned port, const char *sni)
{
	/* The key is "L\x01", the gateway name's copy's address in hex,
	 * "\x01PORT\x01SNI"; a listener per gateway port, a few per port
	 * when TLS servers are chosen by SNI. g is that copy, so a long
	 * merged name is neither hashed nor compared here. */
	char buf[512], *heap = NULL, num[16];
	size_t nn = 0;
	unsigned pv = port;
	do {
		num[sizeof(num) - 1 - nn++] = (char)('0' + pv % 10);
		pv /= 10;
	} while (pv);
	const size_t lg = 2 * sizeof(uintptr_t);
	size_t ls = sni ? strlen(sni) : 0;
	size_t len = 2 + lg + 1 + nn + 1 + ls;
	char *key = len < sizeof(buf) ? buf : (heap = xmalloc(len + 1));
	key[0] = 'L';
	key[1] = '\x01';
	put_address(key + 2, g);
	key[2 + lg] = '\x01';
	memcpy(key + 3 + lg, num + sizeof(num) - nn, nn);
	key[3 + lg + nn] = '\x01';
	if (ls)
		memcpy(key + 4 + lg + nn, sni, ls);
	key[len] = 0;
	bool found;
	size_t j = map_slot(m->index, key, &found);
	if (found) {
		free(heap);
		return m->index->vals[j];
	}
	struct rm_listener *l = arena_alloc(&m->arena, sizeof(*l));
	l->gateway = g;
	l->port = port;
	l->sni = sni ? arena_strdup(&m->arena, sni) : NULL;
	l->l4 = route_list_new(m);
	m->index->keys[j] = arena_strdup(&m->arena, key);
	m->index->vals[j] = l;
	m->index->n++;
	free(heap);
	GROW(m->listeners, m->n_listeners, m->cap_listeners);
	m->listeners[m->n_listeners++] = l;
	return l;
}

struct rm_vhost *route_model_vhost(struct route_model *m, struct rm_listener *l,
				   const char *host)
{
	/* The key is "V\x01", the listener's address in hex, "\x01" and the
	 * host in lower case, built by hand (this runs once per route host).
	 * Lower case as the stored name is: hosts differing only in case are
	 * one virtual host (DNS names are case-insensitive), and the table
	 * lists each name once. */
	char buf[512], *heap = NULL;
	size_t lh = strlen(host), len = 2 + 2 * sizeof(uintptr_t) + 1 + lh;
	char *key = len < sizeof(buf) ? buf : (heap = xmalloc(len + 1));
	key[0] = 'V';
	key[1] = '\x01';
	put_address(key + 2, l);
	key[2 + 2 * sizeof(uintptr_t)] = '\x01';
	for (size_t i = 0; i < lh; i++) {
		char c = host[i];
		key[3 + 2 * sizeof(uintptr_t) + i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	key[len] = 0;
	bool found;
	size_t j = map_slot(m->index, key, &found);
	if (found) {
		free(heap);
		return m->index->vals[j];
	}
	struct rm_vhost *v = arena_alloc(&m->arena, sizeof(*v));
	/* The key ends with the lower-case host: the name is its tail. */
	char *k = arena_strdup(&m->arena, key);
	v->host = k + 3 + 2 * sizeof(uintptr_t);
	v->routes = route_list_new(m);
	m->index->keys[j] = k;
	m->index->vals[j] = v;
	m->index->n++;
	free(heap);
	GROW(l->vhosts, l->n_vhosts, l->cap_vhosts);
	l->vhosts[l->n_vhosts++] = v;
	return v;
}

/* A new cluster under key "C\x01NAME" in index slot j (map_slot said
 * absent): named, numbered and listed; the caller fills the rest. */
static struct rm_cluster *cluster_add(struct route_model *m, size_t j, const char *key)
{
	struct rm_cluster *c = arena_alloc(&m->arena, sizeof(*c));
	char *k = arena_strdup(&m->arena, key);
	c->name = k + 2;
	c->id = (unsigned)m->n_clusters;
	m->index->keys[j] = k;
	m->index->vals[j] = c;
	m->index->n++;
	GROW(m->clusters, m->n_clusters, m->cap_clusters);
	m->clusters[m->n_clusters++] = c;
	return c;
}

struct rm_cluster *route_model_cluster(struct route_model *m, const char *host,
				       const char *subset, unsigned port)
{
	/* The key is "C\x01" and the cluster name, built by hand (this runs
	 * once per destination, and printf is the slow part of it). */
	char buf[512], *heap = NULL, num[16];
	size_t nn = 0;
	unsigned pv = port;
	do {
		num[sizeof(num) - 1 - nn++] = (char)('0' + pv % 10);
		pv /= 10;
	} while (pv && nn < sizeof(num));
	const char *sub = subset ? subset : "";
	size_t ls = strlen(sub), lh = strlen(host);
	size_t len = 11 + nn + 1 + ls + 1 + lh;
	char *key = len < sizeof(buf) ? buf : (heap = xmalloc(len + 1));
	memcpy(key, "C\x01outbound|", 11);
	memcpy(key + 11, num + sizeof(num) - nn, nn);
	key[11 + nn] = '|';
	memcpy(key + 12 + nn, sub, ls);
	key[12 + nn + ls] = '|';
	memcpy(key + 13 + nn + ls, host, lh);
	key[len] = 0;
	bool found;
	size_t j = map_slot(m->index, key, &found);
	if (found) {
		free(heap);
		return m->index->vals[j];
	}
	struct rm_cluster *c = cluster_add(m, j, key);
	free(heap);
	c->host = c->name + (len - 2 - lh);   /* the name ends with the host */
	c->subset = subset && *subset ? arena_strdup(&m->arena, subset) : NULL;
	c->port = port;
	return c;
}

struct rm_cluster *route_model_unknown_cluster(struct route_model *m)
{
	static const char key[] = "C\001" MRT_CLUSTER_UNKNOWN;
	bool found;
	size_t j = map_slot(m->index, key, &found);
	if (found)
		return m->index->vals[j];
	struct rm_cluster *c = cluster_add(m, j, key);
	c->host = "";
	return c;
}

struct rm_route_list *route_list_new(struct route_model *m)
{
	return arena_alloc(&m->arena, sizeof(struct rm_route_list));
}

void route_list_add(struct route_model *m, struct rm_route_list *l,
		    struct rm_route *r)
{
	if (l->n == l->cap) {
		/* Arena arrays: the old one is simply abandoned (at most 2x). */
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct rm_route **a = arena_alloc_raw(&m->arena, cap * sizeof(*a));
		if (l->n)
			memcpy(a, l->routes, l->n * sizeof(*a));
		l->routes = a;
		l->cap = cap;
	}
	l->routes[l->n++] = r;
}
