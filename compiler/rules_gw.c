/*
 * Istio's admission rules for a Gateway (istio.md §2.7, ValidateGateway in
 * pkg/config/validation). Reports IST0106 for errors and IST0133 for
 * warnings, each at the most specific node: the offending value, or the
 * mapping that lacks a required setting. The CRD's own rules (required
 * port fields and hosts, null list items, the CEL rules "at most one of"
 * credentialName / credentialNames / tlsCertificates) are the schema
 * layer's (schema.c) and not repeated here.
 *
 * Values are read as Istio's protojson decoder reads them: proto and JSON
 * field names alike, enums by name or number, integers quoted or not, and
 * an explicit null as unset. Type errors themselves belong to the schema
 * layer; a value of the wrong type is skipped here.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "fields.h"
#include "prim.h"

#define PREFIX_UNIX "unix://"

enum tls_mode {
	TLS_PASSTHROUGH, TLS_SIMPLE, TLS_MUTUAL, TLS_AUTO_PASSTHROUGH,
	TLS_ISTIO_MUTUAL, TLS_OPTIONAL_MUTUAL, TLS_MODE_COUNT
};
static const char *const tls_mode_names[TLS_MODE_COUNT] = {
	"PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH",
	"ISTIO_MUTUAL", "OPTIONAL_MUTUAL",
};
static const char *const tls_version_names[] = {
	"TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3",
};

/* security.IsValidCipherSuite: Envoy's names, plus pass-through forms. */
bool istio_cipher_suite_valid(const char *cs)
{
	static const char *const known[] = {
		"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
		"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
		"ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
		"ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA",
		"ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
		"AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA",
		"AES256-SHA", "DES-CBC3-SHA",
	};
	if (cs[0] == '\0' || strcmp(cs, "ALL") == 0)
		return true;
	unsigned char c0 = (unsigned char)cs[0];
	bool alnum = (c0 >= '0' && c0 <= '9') || (c0 >= 'a' && c0 <= 'z') ||
		     (c0 >= 'A' && c0 <= 'Z') || c0 >= 0x80;
	if (!alnum)
		return true;   /* cipher groups and operators such as "-X", "[A|B]" */
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(cs, known[i]) == 0)
			return true;
	return false;
}

/*
 * Appends the sorted, de-duplicated strings of `items` (n of them) to a
 * Go-style list "[a b c]" allocated in `a`.
 */
static int cmp_cstr(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static const char *go_list(struct arena *a, const char **items, size_t n)
{
	qsort(items, n, sizeof(*items), cmp_cstr);
	size_t len = 3;
	for (size_t i = 0; i < n; i++)
		len += strlen(items[i]) + 1;
	char *out = arena_alloc(a, len), *w = out;
	*w++ = '[';
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(items[i], items[i - 1]) == 0)
			continue;
		if (w[-1] != '[')
			*w++ = ' ';
		size_t l = strlen(items[i]);
		memcpy(w, items[i], l);
		w += l;
	}
	*w++ = ']';
	*w = '\0';
	return out;
}

/* cipherSuites: unknown and duplicate names are warnings, not errors. */
static void check_cipher_suites(struct rule_ctx *c, const struct node *list)
{
	if (!list || list->type != NODE_SEQ || list->n == 0)
		return;
	const char **bad = arena_alloc(c->a, list->n * sizeof(*bad));
	const char **dup = arena_alloc(c->a, list->n * sizeof(*dup));
	const struct node *bad_at = NULL, *dup_at = NULL;
	size_t nbad = 0, ndup = 0;
	for (size_t i = 0; i < list->n; i++) {
		const char *cs = node_str(list->items[i]);
		if (!cs)
			continue;
		if (!istio_cipher_suite_valid(cs)) {
			if (!bad_at)
				bad_at = list->items[i];
			bad[nbad++] = cs;
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			const char *prev = node_str(list->items[j]);
			if (prev && strcmp(prev, cs) == 0) {
				if (!dup_at)
					dup_at = list->items[i];
				dup[ndup++] = cs;
				break;
			}
		}
	}
	if (nbad)
		RULE_WARN(c, bad_at, "ignoring invalid cipher suites: %s",
		             go_list(c->a, bad, nbad));
	if (ndup)
		RULE_WARN(c, dup_at, "ignoring duplicate cipher suites: %s",
		             go_list(c->a, dup, ndup));
}

/* The node written last in the document among `n` candidates (NULLs skipped). */
static const struct node *last_written(const struct node *const *nodes, size_t n)
{
	const struct node *best = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct node *c = nodes[i];
		if (!c)
			continue;
		if (!best || c->line > best->line ||
		    (c->line == best->line && c->col > best->col))
			best = c;
	}
	return best;
}

/*
 * A server's `tls` (validateTLSOptions), plus the CRD's CEL rules on it.
 * `tls` is a mapping.
 */
static void check_server_tls(struct rule_ctx *c, const struct node *tls)
{
	const struct node *minv = field_value(tls, "minProtocolVersion");
	int min = field_enum(tls, "minProtocolVersion", tls_version_names, 5, 0);
	const struct node *ciphers = field_value(tls, "cipherSuites");
	bool has_ciphers = ciphers && ciphers->type == NODE_SEQ && ciphers->n > 0;
	if ((min == 1 || min == 2) && !has_ciphers)
		RULE_WARN(c, minv, "TLS version below TLSV1_2 require setting compatible ciphers as by default they no longer include compatible ciphers.");
	check_cipher_suites(c, ciphers);

	const struct node *mode_n = field_value(tls, "mode");
	int mode = field_enum(tls, "mode", tls_mode_names, TLS_MODE_COUNT, TLS_PASSTHROUGH);
	if (mode < 0)
		return;   /* an unknown enum value: the schema layer reports it */
	const struct node *cert = field_nonempty_str(tls, "serverCertificate");
	const struct node *key = field_nonempty_str(tls, "privateKey");
	const struct node *ca = field_nonempty_str(tls, "caCertificates");
	const struct node *crl = field_nonempty_str(tls, "caCrl");
	const struct node *cred = field_nonempty_str(tls, "credentialName");
	const struct node *creds = field_nonempty_list(tls, "credentialNames");
	const struct node *certs = field_nonempty_list(tls, "tlsCertificates");

	if (mode == TLS_ISTIO_MUTUAL) {
		if (cert)
			RULE_ERR(c, cert, "ISTIO_MUTUAL TLS cannot have associated server certificate");
		if (key)
			RULE_ERR(c, key, "ISTIO_MUTUAL TLS cannot have associated private key");
		if (ca)
			RULE_ERR(c, ca, "ISTIO_MUTUAL TLS cannot have associated CA bundle");
		if (certs)
			RULE_ERR(c, certs, "ISTIO_MUTUAL TLS cannot have associated tlsCertificates");
		if (cred)
			RULE_ERR(c, cred, "ISTIO_MUTUAL TLS cannot have associated credentialName");
		if (creds)
			RULE_ERR(c, creds, "ISTIO_MUTUAL TLS cannot have associated credentialNames");
		return;
	}
	if ((mode == TLS_PASSTHROUGH || mode == TLS_AUTO_PASSTHROUGH) &&
	    (crl || cert || key || ca || certs || cred || creds))
		RULE_WARN(c, mode_n ? mode_n : tls, "%s mode does not use certificates, they will be ignored",
		             tls_mode_names[mode]);

	/*
	 * The CRD's CEL rules reject credentialNames together with
	 * credentialName or tlsCertificates (schema layer); the API server
	 * rejects those before the webhook runs, so its message is the one a
	 * user sees. Istio's Go count covers the remaining combinations.
	 */
	bool cel = field_value(tls, "credentialNames") &&
		   (field_value(tls, "credentialName") || field_value(tls, "tlsCertificates"));
	const struct node *pair = cert && key ? last_written((const struct node *[]){ cert, key }, 2) : NULL;
	const struct node *sources[] = { pair, cred, creds, certs };
	int nsources = 0;
	for (size_t i = 0; i < 4; i++)
		nsources += sources[i] != NULL;
	if (nsources > 1 && !cel)
		RULE_ERR(c, last_written(sources, 4),
		            "only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified");

	bool file_modes = mode == TLS_SIMPLE || mode == TLS_MUTUAL || mode == TLS_OPTIONAL_MUTUAL;
	if (file_modes && (cred || creds))
		return;   /* certificates come from the credential (SDS) */
	if (file_modes) {
		const char *what = mode == TLS_SIMPLE ? "SIMPLE TLS" : "MUTUAL TLS";
		if (mode != TLS_SIMPLE && !ca)
			RULE_ERR(c, tls, "%s requires a client CA bundle", what);
		if (certs && certs->n > 2)
			RULE_WARN(c, certs, "%s can support up to 2 server certificates", what);
		if (certs) {
			for (size_t i = 0; i < certs->n; i++) {
				const struct node *tc = certs->items[i];
				if (!field_nonempty_str(tc, "serverCertificate"))
					RULE_ERR(c, tc, "%s requires a server certificate", what);
				if (!field_nonempty_str(tc, "privateKey"))
					RULE_ERR(c, tc, "%s requires a private key", what);
			}
		} else {
			if (!cert)
				RULE_ERR(c, tls, "%s requires a server certificate", what);
			if (!key)
				RULE_ERR(c, tls, "%s requires a private key", what);
		}
	}
	if (crl) {
		if (cred)
			RULE_ERR(c, crl, "CRL is not supported with credentialName. CRL has to be specified in the credential");
		if (mode == TLS_SIMPLE)
			RULE_ERR(c, crl, "CRL is not supported with SIMPLE TLS");
	}
}

/* ValidateUnixAddress on the path after `unix://`; NULL when valid. */
static const char *unix_address_error(struct arena *a, const char *path)
{
	size_t len = strlen(path);
	if (len == 0)
		return "unix address must not be empty";
	if (path[0] == '@')
		return NULL;
	if (path[0] != '/' || path[len - 1] == '/')
		return arena_printf(a, "%s is not an absolute path to a file", path);
	return NULL;
}

/*
 * One server's port (validateServerPort). Returns true when the port is
 * valid, which gates the TLS-presence rules as in Istio.
 */
static bool check_server_port(struct rule_ctx *c, const struct node *port,
			      const char *bind)
{
	/*
	 * `port` and its name, number and protocol are required by the CRD:
	 * when one is missing the schema layer reports it, and here it only
	 * makes the port invalid (as Go's checks of the empty value would).
	 */
	if (!port || port->type != NODE_MAP)
		return false;
	bool ok = true;
	const struct node *proto_n = field_value(port, "protocol");
	const char *proto = node_str(proto_n);
	if (prim_protocol_parse(proto ? proto : "") == PROTO_UNSUPPORTED) {
		if (proto)
			RULE_ERR(c, proto_n, "invalid protocol \"%s\", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP",
			            proto);
		ok = false;
	}
	const struct node *num_n = field_value(port, "number");
	long long number = field_int(port, "number");
	if (!num_n && !prim_has_prefix(bind, PREFIX_UNIX)) {
		ok = false;
	} else if (number > 0 || !prim_has_prefix(bind, PREFIX_UNIX)) {
		const char *e = prim_check_port(c->a, number);
		if (e) {
			RULE_ERR(c, num_n, "%s", e);
			ok = false;
		}
	}
	const struct node *tp = field_value(port, "targetPort");
	if (field_int(port, "targetPort") > 0) {
		RULE_ERR(c, tp, "targetPort has no impact on Gateways");
		ok = false;
	}
	const struct node *name = field_value(port, "name");
	if (!name) {
		ok = false;
	} else if (node_str(name) && name->len == 0) {
		RULE_ERR(c, name, "port name must be set");
		ok = false;
	}
	return ok;
}

/* One entry of `servers` (validateServer); `server` is a mapping. */
static void check_server(struct rule_ctx *c, const struct node *server,
			 bool gw_semantics)
{
	const struct node *hosts = field_value(server, "hosts");
	/* A missing `hosts` is the schema layer's (required); an empty one is Go's. */
	if (hosts && hosts->type == NODE_SEQ && hosts->n == 0) {
		RULE_ERR(c, hosts, "server config must contain at least one host");
	} else if (hosts && hosts->type == NODE_SEQ) {
		for (size_t i = 0; i < hosts->n; i++) {
			const char *h = node_str(hosts->items[i]);
			if (!h)
				continue;
			/* `~/host` is reserved for gateways generated from the Gateway API. */
			const char *checked = h;
			if (gw_semantics && prim_has_prefix(h, "~/"))
				checked = arena_printf(c->a, "*/%s", h + 2);
			const char *e = prim_check_gateway_host(c->a, checked);
			rule_check(c, hosts->items[i], e);
		}
	}

	const struct node *bind_n = field_value(server, "bind");
	const char *bind = node_str(bind_n) ? bind_n->text : "";
	const struct node *port = field_value(server, "port");
	bool port_ok = check_server_port(c, port, bind);

	if (prim_has_prefix(bind, PREFIX_UNIX)) {
		const char *e = unix_address_error(c->a, bind + strlen(PREFIX_UNIX));
		rule_check(c, bind_n, e);
		if (port && port->type == NODE_MAP && field_int(port, "number") != 0)
			RULE_ERR(c, field_value(port, "number"), "port number must be 0 for unix domain socket");
	} else if (bind[0] != '\0' && !prim_is_ip(bind)) {
		RULE_ERR(c, bind_n, "%s is not a valid IP", bind);
	}

	const struct node *tls = field_value(server, "tls");
	if (tls && tls->type != NODE_MAP)
		tls = NULL;
	if (tls)
		check_server_tls(c, tls);

	if (!port_ok)
		return;
	const char *proto = node_str(field_value(port, "protocol"));
	enum prim_protocol p = prim_protocol_parse(proto ? proto : "");
	if (prim_protocol_is_tls(p) && !tls) {
		RULE_ERR(c, server, "server must have TLS settings for HTTPS/TLS protocols");
	} else if (!prim_protocol_is_tls(p) && tls) {
		if (prim_protocol_is_http(p)) {
			int mode = field_enum(tls, "mode", tls_mode_names, TLS_MODE_COUNT, TLS_PASSTHROUGH);
			bool passthrough = mode == TLS_PASSTHROUGH || mode == TLS_AUTO_PASSTHROUGH;
			if (!passthrough || field_nonempty_str(tls, "caCertificates") ||
			    field_nonempty_str(tls, "privateKey") || field_nonempty_str(tls, "serverCertificate"))
				RULE_ERR(c, tls, "server cannot have TLS settings for plain text HTTP ports");
		} else {
			RULE_ERR(c, tls, "server cannot have TLS settings for non HTTPS/TLS ports");
		}
	}
}

void rules_gateway(struct diag_list *d, const struct resource *r,
		   const struct meshc_options *opt)
{
	(void)opt;
	struct rule_ctx rc = RULE_CTX(d, r), *c = &rc;
	field_check_metadata(c);
	const char *sem = resource_annotation(r, "internal.istio.io/gateway-semantics");
	bool gw_semantics = sem && strcmp(sem, "gateway") == 0;

	if (c->r->name && !gw_semantics && !prim_is_dns1123_label(c->r->name))
		RULE_ERR(c, node_get(c->r->metadata, "name"), "invalid gateway name: \"%s\"", c->r->name);

	const struct node *spec = c->r->spec;
	const struct node *servers = field_value(spec, "servers");
	if (!servers || (servers->type == NODE_SEQ && servers->n == 0)) {
		RULE_ERR(c, servers ? servers : spec ? spec : c->r->root, "gateway must have at least one server");
		return;
	}
	if (servers->type != NODE_SEQ)
		return;

	/* Port names are unique over all servers; the second use is reported. */
	const char **seen = arena_alloc(c->a, servers->n * sizeof(*seen));
	size_t nseen = 0;
	for (size_t i = 0; i < servers->n; i++) {
		const struct node *s = servers->items[i];
		if (!s || s->type != NODE_MAP)
			continue;   /* null items: the schema layer */
		check_server(c, s, gw_semantics);

		const struct node *port = field_value(s, "port");
		if (!port || port->type != NODE_MAP)
			continue;
		const struct node *name_n = field_value(port, "name");
		const char *name = node_str(name_n);
		if (name && name[0]) {
			bool dup = false;
			for (size_t j = 0; j < nseen && !dup; j++)
				dup = strcmp(seen[j], name) == 0;
			if (dup)
				RULE_ERR(c, name_n, "port names in servers must be unique: duplicate name %s", name);
			else
				seen[nseen++] = name;
		}
		const char *proto = node_str(field_value(port, "protocol"));
		const struct node *tls = field_value(s, "tls");
		if (!prim_protocol_is_http(prim_protocol_parse(proto ? proto : "")) &&
		    field_true(tls, "httpsRedirect"))
			RULE_WARN(c, field_value(tls, "httpsRedirect"), "tls.httpsRedirect should only be used with http servers");
	}
}
