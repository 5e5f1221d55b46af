/*
 * A Gateway's TLS, as Istio converts it (pilot/pkg/config/kube/gateway/
 * conversion.go buildTLS, buildSecretReference, buildCaCertificateReference):
 * a listener's `tls` becomes the Istio server's tls settings, the
 * Gateway's `spec.tls.frontend` client validation its CA, and
 * `spec.tls.backend.clientCertificateRef` is checked for the Gateway's
 * ResolvedRefs condition.
 *
 * Which references fail, in Istio's order:
 *  - certificateRefs: more than two; then, per reference, a kind other
 *    than a core Secret, a Secret in another namespace that no
 *    ReferenceGrant allows (checked before existence, so a listener cannot
 *    learn whether another namespace's Secret exists), a Secret that does
 *    not exist, one without PEM certificate data. A listener is invalid
 *    when none of its references resolves.
 *  - frontend caCertificateRefs (the port's perPort entry, else
 *    `default`): more than one; a kind other than a core ConfigMap or
 *    Secret (InvalidCACertificateKind); another namespace without a
 *    ReferenceGrant (RefNotPermitted); a ConfigMap or Secret that does not
 *    exist or has no `ca.crt` (InvalidCACertificateRef).
 * The secret-existence rule is buildSecretReference's: the Secret is
 * looked up in the cluster and a missing one is InvalidCertificateRef.
 * Offline, the cluster is the input: meshc applies the rule when the
 * input has Secrets (a config checked without its Secrets would otherwise
 * fail every listener). ConfigMaps are looked up the same way.
 */
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "gwapi.h"
#include "onode.h"

/* Whether the base64 text decodes to something holding PEM data. */
static bool pem_in_base64(const char *s)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(s);
	char *out = xmalloc(len + 1);
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (; *s; s++) {
		const char *p = strchr(tbl, *s);
		if (!p)
			continue;
		acc = acc << 6 | (unsigned)(p - tbl);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	out[o] = 0;
	bool ok = strstr(out, "-----BEGIN") != NULL;
	free(out);
	return ok;
}

/* Whether the input has any object of kind k (the offline lookup rule above). */
static bool input_has(const struct gwapi *g, enum gwk k)
{
	return g->has[k];
}

/* A Secret's value of key, from data (base64) or stringData; *b64 says which. */
static const char *secret_value(const struct gw_obj *s, const char *key, bool *b64)
{
	const char *v = gwapi_str(node_get(s->root, "data"), key);
	*b64 = v != NULL;
	return v ? v : gwapi_str(node_get(s->root, "stringData"), key);
}

/*
 * Why Secret ns/name cannot serve a certificate (ExtractCertInfo and
 * tls.X509KeyPair), or NULL. A Secret whose data the input leaves out is
 * not checked. Returns "" when the Secret is not in the input.
 */
static const char *secret_cert_problem(struct gwapi *g, const char *ns, const char *name)
{
	struct gw_obj *s = gwapi_find(g, GWK_SECRET, ns, name);
	if (!s)
		return input_has(g, GWK_SECRET) ? "" : NULL;
	bool b64;
	const char *crt = secret_value(s, "tls.crt", &b64);
	if (!crt)
		crt = secret_value(s, "cert", &b64);
	if (crt && !(b64 ? pem_in_base64(crt) : strstr(crt, "-----BEGIN") != NULL))
		return "the certificate is malformed: tls: failed to find any PEM data in certificate input";
	return NULL;
}

/* Istio's objectReferenceString: group/kind/name.namespace, each as written. */
static const char *ref_string(struct gwapi *g, const struct node *r)
{
	const char *group = gwapi_str(r, "group"), *kind = gwapi_str(r, "kind");
	const char *name = gwapi_str(r, "name"), *ns = gwapi_str(r, "namespace");
	return arena_printf(&g->arena, "%s/%s/%s.%s", group ? group : "", kind ? kind : "",
			    name ? name : "", ns ? ns : "");
}

static bool core_kind(const struct node *r, const char *kind, bool kind_required)
{
	const char *group = gwapi_str(r, "group"), *k = gwapi_str(r, "kind");
	if (group && *group)
		return false;
	return k ? strcmp(k, kind) == 0 : !kind_required;
}

static void fail(struct gw_tls *t, const char *reason, const char *msg, const struct node *at,
		 bool ca)
{
	t->reason = reason;
	t->message = msg;
	t->at = at;
	t->not_accepted = ca || strcmp(reason, "RefNotPermitted") == 0;
}

/* The frontend validation that applies to port: its perPort entry, else default. */
static const struct node *frontend_validation(const struct gw_obj *gw, long long port)
{
	const struct node *fe = node_get(node_get(gw->spec, "tls"), "frontend");
	const struct node *pp = node_get(fe, "perPort");
	for (size_t i = 0; pp && pp->type == NODE_SEQ && i < pp->n; i++) {
		const struct node *p = node_get(pp->items[i], "port");
		if (p && p->type == NODE_INT && node_ival(p) == port)
			return node_get(node_get(pp->items[i], "tls"), "validation");
	}
	return node_get(node_get(fe, "default"), "validation");
}

/*
 * The caCertCredentialName of the frontend validation v, or NULL with
 * t's error set (buildCaCertificateReference and the grant check).
 */
static const char *frontend_ca(struct gwapi *g, struct gw_obj *gw, const struct node *v,
			       struct gw_tls *t)
{
	struct arena *a = &g->arena;
	const struct node *refs = node_get(v, "caCertificateRefs");
	if (refs->n > 1) {
		fail(t, "InvalidCACertificateRef", "only one caCertificateRef is supported", refs, true);
		return NULL;
	}
	const struct node *r = refs->items[0];
	const char *name = gwapi_str(r, "name"), *rns = gwapi_str(r, "namespace");
	const char *ns = rns ? rns : gw->ns;
	bool cm = core_kind(r, "ConfigMap", true), sec = core_kind(r, "Secret", true);
	if (!name)
		name = "";
	if (!cm && !sec) {
		fail(t, "InvalidCACertificateKind",
		     arena_printf(a, "invalid CA certificate reference %s, only secret and configmap are allowed",
				  ref_string(g, r)), r, true);
		return NULL;
	}
	if (strcmp(ns, gw->ns) != 0 &&
	    !gwapi_grant_allows(g, gw->kind_name, gw->ns, cm ? "ConfigMap" : "Secret", ns, name)) {
		fail(t, "RefNotPermitted",
		     arena_printf(a, "caCertificateRef %s/%s not accessible to a Gateway in namespace \"%s\" (missing a ReferenceGrant?)",
				  ns, name, gw->ns), r, true);
		return NULL;
	}
	/* ExtractRoot: the CA is under ca.crt (or a generic Secret's cacert). */
	enum gwk k = cm ? GWK_CONFIG_MAP : GWK_SECRET;
	struct gw_obj *o = gwapi_find(g, k, ns, name);
	const char *what = cm ? "configmap" : "secret";
	if (!o && input_has(g, k)) {
		fail(t, "InvalidCACertificateRef",
		     arena_printf(a, "invalid CA certificate reference %s, %s %s/%s not found",
				  ref_string(g, r), what, ns, name), r, true);
		return NULL;
	}
	if (o) {
		const struct node *data = node_get(o->root, "data");
		bool has = node_get(data, "ca.crt") || node_get(node_get(o->root, "stringData"), "ca.crt") ||
			   (!cm && node_get(data, "cacert"));
		if (!has && (data || node_get(o->root, "stringData"))) {
			fail(t, "InvalidCACertificateRef",
			     arena_printf(a, "invalid CA certificate reference %s, %s %s/%s has no ca.crt",
					  ref_string(g, r), what, ns, name), r, true);
			return NULL;
		}
	}
	return arena_printf(a, "%s://%s/%s-cacert", cm ? "configmap" : "kubernetes-gateway", ns, name);
}

/* The valid names of the comma-separated cipher suites s, into the sequence of key. */
static void cipher_suites(struct gwapi *g, struct node *out, const char *s, struct gw_tls *t)
{
	struct arena *a = &g->arena;
	struct node *seq = NULL;
	while (s && *s) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		char *cs = arena_strndup(a, s, n);
		if (*cs && istio_cipher_suite_valid(cs)) {
			if (!seq)
				seq = onode_child_seq(a, out, "cipherSuites");
			onode_push(a, seq, onode_str(a, cs));
		} else if (*cs && !t->bad_cipher) {
			t->bad_cipher = cs;
		}
		s = comma ? comma + 1 : NULL;
	}
}

struct node *gwapi_listener_tls(struct gwapi *g, struct gw_obj *gw, const struct node *l,
				struct gw_tls *t)
{
	struct arena *a = &g->arena;
	memset(t, 0, sizeof(*t));
	const struct node *tls = node_get(l, "tls");
	if (!tls || tls->type != NODE_MAP)
		return NULL;
	const struct node *pn = node_get(l, "port");
	long long port = pn && pn->type == NODE_INT ? node_ival(pn) : 0;
	struct node *out = onode_map(a);
	const struct node *opts = node_get(tls, "options");
	cipher_suites(g, out, gwapi_str(opts, "gateway.istio.io/tls-cipher-suites"), t);
	t->options = opts;
	const char *mode = gwapi_str(tls, "mode");
	if (mode && strcmp(mode, "Passthrough") == 0)
		return out;   /* PASSTHROUGH is the zero value Istio leaves out */
	onode_set(a, out, "mode", onode_str(a, "SIMPLE"));
	const char *tm = gwapi_str(opts, "gateway.istio.io/tls-terminate-mode");
	if (tm && (strcmp(tm, "MUTUAL") == 0 || strcmp(tm, "OPTIONAL_MUTUAL") == 0)) {
		onode_set(a, out, "mode", onode_str(a, tm));
	} else if (tm && strcmp(tm, "ISTIO_SIMPLE") == 0) {
		onode_set(a, out, "credentialName", onode_str(a, "builtin://"));
		return out;
	} else if (tm && strcmp(tm, "ISTIO_MUTUAL") == 0) {
		onode_set(a, out, "mode", onode_str(a, "ISTIO_MUTUAL"));
		return out;
	}
	const struct node *refs = node_get(tls, "certificateRefs");
	size_t nrefs = refs && refs->type == NODE_SEQ ? refs->n : 0;
	if (nrefs > 2) {
		fail(t, "InvalidCertificateRef", "TLS mode can only support up to 2 server certificates",
		     refs, false);
		return out;
	}
	const char *creds[2];
	size_t nvalid = 0;
	char *err = NULL;
	const char *err_reason = NULL;
	const struct node *err_at = NULL;
	for (size_t i = 0; i < nrefs; i++) {
		const struct node *r = refs->items[i];
		const char *name = gwapi_str(r, "name"), *rns = gwapi_str(r, "namespace");
		const char *ns = rns ? rns : gw->ns;
		char *e = NULL;
		const char *er = "InvalidCertificateRef";
		if (!name)
			name = "";
		if (!core_kind(r, "Secret", false)) {
			e = arena_printf(a, "invalid certificate reference %s, only secret is allowed",
					 ref_string(g, r));
		} else if (strcmp(ns, gw->ns) != 0 &&
			   !gwapi_grant_allows(g, gw->kind_name, gw->ns, "Secret", ns, name)) {
			er = "RefNotPermitted";
			e = arena_printf(a, "certificateRef %s/%s not accessible to a Gateway in namespace \"%s\" (missing a ReferenceGrant?)",
					 name, ns, gw->ns);
		} else {
			const char *p = secret_cert_problem(g, ns, name);
			if (p && !*p)
				e = arena_printf(a, "invalid certificate reference %s, secret %s/%s not found",
						 ref_string(g, r), ns, name);
			else if (p)
				e = arena_printf(a, "invalid certificate reference %s, %s", ref_string(g, r), p);
		}
		if (e) {
			err = err ? arena_printf(a, "%s; %s", err, e) : e;
			if (!err_reason) {
				err_reason = er;
				err_at = r;
			}
			continue;
		}
		creds[nvalid++] = arena_printf(a, "kubernetes-gateway://%s/%s", ns, name);
	}
	if (nvalid == 0) {
		if (err)
			fail(t, err_reason, err, err_at, false);
		return out;
	}
	if (nvalid == 1) {
		onode_set(a, out, "credentialName", onode_str(a, creds[0]));
	} else {
		struct node *cn = onode_child_seq(a, out, "credentialNames");
		for (size_t i = 0; i < nvalid; i++)
			onode_push(a, cn, onode_str(a, creds[i]));
	}

	/* Client certificate validation: MUTUAL against the Gateway's CA. */
	const struct node *v = frontend_validation(gw, port);
	const struct node *carefs = node_get(v, "caCertificateRefs");
	if (carefs && carefs->type == NODE_SEQ && carefs->n > 0) {
		const char *ca = frontend_ca(g, gw, v, t);
		if (!ca)
			return out;
		const char *vm = gwapi_str(v, "mode");
		const char *cur = gwapi_str(out, "mode");
		if (vm && strcmp(vm, "AllowInsecureFallback") == 0)
			onode_set(a, out, "mode", onode_str(a, "OPTIONAL_MUTUAL"));
		else if (strcmp(cur, "SIMPLE") == 0)
			onode_set(a, out, "mode", onode_str(a, "MUTUAL"));
		onode_set(a, out, "caCertCredentialName", onode_str(a, ca));
		onode_set(a, out, "insecureSkipVerify", onode_bool(a, false));
	}
	return out;
}

const char *gwapi_client_cert_error(struct gwapi *g, struct gw_obj *gw, const char **reason,
				    const struct node **at)
{
	struct arena *a = &g->arena;
	const struct node *r = node_get(node_get(node_get(gw->spec, "tls"), "backend"),
					"clientCertificateRef");
	*at = r;
	*reason = "InvalidClientCertificateRef";
	if (!r || r->type != NODE_MAP)
		return NULL;
	const char *name = gwapi_str(r, "name"), *rns = gwapi_str(r, "namespace");
	const char *ns = rns ? rns : gw->ns;
	if (!name)
		name = "";
	if (!core_kind(r, "Secret", false))
		return arena_printf(a, "invalid clientCertificateRef %s, only secret is allowed",
				    ref_string(g, r));
	if (strcmp(ns, gw->ns) != 0 && !gwapi_grant_allows(g, gw->kind_name, gw->ns, "Secret", ns, name)) {
		*reason = "RefNotPermitted";
		return arena_printf(a, "clientCertificateRef %s/%s not accessible to a Gateway in namespace \"%s\" (missing a ReferenceGrant?)",
				    name, ns, gw->ns);
	}
	const char *p = secret_cert_problem(g, ns, name);
	if (p && !*p)
		return arena_printf(a, "invalid clientCertificateRef %s, secret %s/%s not found",
				    ref_string(g, r), ns, name);
	if (p)
		return arena_printf(a, "invalid clientCertificateRef %s, %s", ref_string(g, r), p);
	return NULL;
}
