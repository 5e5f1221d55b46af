# The embedded schemas (included by the Makefile). schemas/*.json are the
# committed schema data (regenerate the CRD ones with schemas/extract.py);
# $(B)/schemagen, a host program linked with jansson, turns them into
# static C tables in $(B)/schema_tables.c, compiled into libmeshc.

HOSTCC ?= $(CC)

# This file is included before the Makefile's first rule: keep `all` the
# default goal rather than the first rule below.
ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := all
endif
SCHEMA_JSON = $(sort $(wildcard schemas/*.json))
GEN_SRCS += $(B)/schema_tables.c

# schemagen links the CEL parser to reject a rule meshc could not evaluate.
$(B)/schemagen: schemas/schemagen.c compiler/cel_parse.c compiler/cel.h
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=c11 -D_GNU_SOURCE $(WARN) $(JANSSON_CFLAGS) $(CFLAGS) -o $@ schemas/schemagen.c compiler/cel_parse.c $(JANSSON_LIBS)

$(B)/schema_tables.c: $(B)/schemagen $(SCHEMA_JSON)
	$(B)/schemagen $@ $(SCHEMA_JSON)

$(B)/schema_tables.o: $(B)/schema_tables.c compiler/schema.h
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<
