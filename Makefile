# axr: the top-level build. `make help` lists the entry points.
#
#   make            build the runtime, axrgen, every service, the unit tests
#   make generate   regenerate generated/ from spec/
#   make test       install missing packages, build, run every test suite
#   make up / down  run / stop the whole platform locally (http://127.0.0.1:8080)
#   make bench      performance scenarios with same-run reference ratios
#   make soak       the platform under 10 min of mixed traffic (then ASan): RSS and fds flat
#   make fuzz       libFuzzer targets (FUZZ_SECONDS each)
#   make install    install client libraries and headers under PREFIX
#   make deps       install missing Debian packages
#   make clean      remove build output

CC        ?= gcc
FUZZ_CC   ?= clang
BUILD     ?= build
PREFIX    ?= /usr/local
FUZZ_SECONDS ?= 60
SAN       ?=

PKGS := libevent libevent_pthreads json-c libjwt hiredis libpq libprotobuf-c \
        libfyaml libsodium libpcre2-8 libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wpointer-arith -Wcast-qual
OPT  ?= -O2 -g
SANFLAGS :=
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
OPT  := -O1 -g -fno-omit-frame-pointer $(SANFLAGS)
endif
CPPFLAGS += -D_GNU_SOURCE -Iruntime -Icodegen -I. -I$(BUILD)/gen -I$(BUILD)/gen/runtime
CFLAGS   += $(OPT) $(WARN) -pthread -MMD -MP $(PKG_CFLAGS)
LDFLAGS  += $(SANFLAGS) -pthread
LDLIBS   += $(PKG_LIBS) -lm

# protoc-c output is third-party generated code: it trips -Wcast-qual and
# -Wmissing-prototypes, so it gets the warnings minus those two.
PB_CFLAGS := $(OPT) -std=c11 -Wall -Wextra -Werror -pthread -MMD -MP $(PKG_CFLAGS)

RUNTIME_SRC := $(sort $(wildcard runtime/*.c))
RUNTIME_OBJ := $(RUNTIME_SRC:%.c=$(BUILD)/obj/%.o)
# The runtime's own protobuf messages (the bus Event envelope...).
RUNTIME_PROTO   := $(sort $(wildcard runtime/proto/*.proto))
RUNTIME_PROTO_C := $(RUNTIME_PROTO:runtime/proto/%.proto=$(BUILD)/gen/runtime/%.pb-c.c)
RUNTIME_PROTO_O := $(RUNTIME_PROTO_C:%.c=%.o)
CODEGEN_SRC := $(sort $(filter-out codegen/main.c,$(wildcard codegen/*.c)))
CODEGEN_OBJ := $(CODEGEN_SRC:%.c=$(BUILD)/obj/%.o)

# Protos for unit tests (hand-written fixtures) are compiled by protoc-c.
TEST_PROTO    := $(sort $(wildcard tests/unit/proto/*.proto))
TEST_PROTO_C  := $(TEST_PROTO:tests/unit/proto/%.proto=$(BUILD)/gen/tests/%.pb-c.c)
TEST_PROTO_OBJ:= $(TEST_PROTO_C:%.c=%.o)

UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# A service is a folder under services/ (hand-written main) or generated/
# (a spec turned into code by axrgen); its binary links its own sources, its
# handlers, its generated code and the protoc-c output of its .proto.
SPECS        := $(sort $(filter-out spec/common.yaml,$(wildcard spec/*.yaml)))
GEN_SERVICES := $(sort $(patsubst generated/%/,%,$(dir $(wildcard generated/*/*.proto))))
SERVICES  := $(sort $(notdir $(wildcard services/*)) $(GEN_SERVICES))
SVC_BIN   := $(SERVICES:%=$(BUILD)/bin/axr-%)
# Handlers may exist before their service has a main (unit-tested cores).
ALL_SVC   := $(sort $(SERVICES) $(notdir $(wildcard handlers/*)))

TOOL_SRC  := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN  := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

FUZZ_SRC  := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN  := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: all help deps generate test unit asan-unit up down bench soak fuzz install clean check-drift clients itests
.DEFAULT_GOAL := all

AXRGEN := $(if $(wildcard codegen/main.c),$(BUILD)/bin/axrgen)
all: $(BUILD)/libaxr.a $(AXRGEN) $(SVC_BIN) unit $(TOOL_BIN) clients

help:
	@sed -n '3,13p' Makefile | sed 's/^# //'

deps:
	@sh scripts/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(RUNTIME_OBJ): | $(RUNTIME_PROTO_C)

$(BUILD)/gen/runtime/%.pb-c.c $(BUILD)/gen/runtime/%.pb-c.h: runtime/proto/%.proto
	@mkdir -p $(dir $@)
	protoc-c --proto_path=runtime/proto --c_out=$(BUILD)/gen/runtime $<

$(BUILD)/gen/runtime/%.pb-c.o: $(BUILD)/gen/runtime/%.pb-c.c
	$(CC) $(CPPFLAGS) $(PB_CFLAGS) -c $< -o $@

$(BUILD)/libaxr.a: $(RUNTIME_OBJ) $(RUNTIME_PROTO_O)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libaxrgen.a: $(CODEGEN_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/axrgen: $(BUILD)/obj/codegen/main.o $(BUILD)/libaxrgen.a $(BUILD)/libaxr.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/gen/tests/%.pb-c.c $(BUILD)/gen/tests/%.pb-c.h: tests/unit/proto/%.proto
	@mkdir -p $(dir $@)
	protoc-c --proto_path=tests/unit/proto --c_out=$(BUILD)/gen/tests $<

.SECONDARY: $(TEST_PROTO_C) $(TEST_PROTO_OBJ) $(RUNTIME_PROTO_C) $(RUNTIME_PROTO_O)

$(BUILD)/gen/tests/%.pb-c.o: $(BUILD)/gen/tests/%.pb-c.c
	$(CC) $(CPPFLAGS) $(PB_CFLAGS) -c $< -o $@

unit: $(UNIT_BIN)

# Small C programs the script tests drive (raw sockets, clients).
$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libaxr.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libaxr.a $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(TEST_PROTO_OBJ) $(BUILD)/libaxrgen.a $(BUILD)/libaxr.a | $(TEST_PROTO_C)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -I$(BUILD)/gen/tests $(CFLAGS) $(LDFLAGS) -o $@ $< $(TEST_PROTO_OBJ) \
		$(BUILD)/libaxrgen.a $(BUILD)/libaxr.a $(LDLIBS) -lcmocka

# Services ---------------------------------------------------------------
define SERVICE_RULES
$(1)_SRC := $$(sort $$(filter-out generated/$(1)/$(1)_client.c,\
	$$(wildcard services/$(1)/*.c handlers/$(1)/*.c generated/$(1)/*.c)))
$(1)_PB  := $$(if $$(wildcard generated/$(1)/$(1).proto),$(BUILD)/gen/$(1)/$(1).pb-c.c)
$(1)_OBJ := $$($(1)_SRC:%.c=$(BUILD)/obj/%.o) $$($(1)_PB:%.c=%.o)
$(BUILD)/obj/services/$(1)/%.o $(BUILD)/obj/handlers/$(1)/%.o $(BUILD)/obj/generated/$(1)/%.o: CPPFLAGS += -I$(BUILD)/gen/$(1) -Igenerated/$(1)
$$(filter-out $$($(1)_PB:%.c=%.o),$$($(1)_OBJ)): | $$($(1)_PB)
$(BUILD)/gen/$(1)/$(1).pb-c.c $(BUILD)/gen/$(1)/$(1).pb-c.h: generated/$(1)/$(1).proto
	@mkdir -p $$(dir $$@)
	protoc-c --proto_path=generated/$(1) --c_out=$(BUILD)/gen/$(1) $$<
$(BUILD)/gen/$(1)/$(1).pb-c.o: $(BUILD)/gen/$(1)/$(1).pb-c.c
	$$(CC) $$(CPPFLAGS) $$(PB_CFLAGS) -c $$< -o $$@
$(BUILD)/bin/axr-$(1): $$($(1)_OBJ) $(BUILD)/libaxr.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
# tests/unit/<svc>/test_*.c: unit tests of a service's handlers, linked
# with everything of the service but its main().
$(1)_TEST_SRC := $$(sort $$(wildcard tests/unit/$(1)/test_*.c))
$(1)_TEST_BIN := $$($(1)_TEST_SRC:tests/unit/$(1)/%.c=$(BUILD)/tests/$(1)_%)
$(1)_LIB_OBJ  := $$(filter-out %_main.o $(BUILD)/obj/services/%,$$($(1)_OBJ))
unit: $$($(1)_TEST_BIN)
$(BUILD)/tests/$(1)_%: tests/unit/$(1)/%.c $$($(1)_LIB_OBJ) $(BUILD)/libaxr.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CPPFLAGS) -I$(BUILD)/gen/$(1) -Igenerated/$(1) -Ihandlers/$(1) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$< \
		$$($(1)_LIB_OBJ) $(BUILD)/libaxr.a $$(LDLIBS) -lcmocka
endef
$(foreach s,$(ALL_SVC),$(eval $(call SERVICE_RULES,$(s))))

# Client libraries -------------------------------------------------------
# libaxr-client.a: the client runtime (runtime/client*.c) and the runtime
# files it pulls in (docs/clients.md), nothing of the server. Per generated
# service, libaxr-<svc>-client.a: its typed stubs (_client.c), operation
# descriptors (_ops.c), validation tables (_schema.c), entities (_entities.c)
# and protoc-c output; each also as a .so; headers in $(BUILD)/include/<svc>/ and
# pkg-config files in $(BUILD)/lib/pkgconfig/ (@PREFIX@ is filled in by
# scripts/install.sh).
CLIENT_RT_NAMES := arena buf codec codec_out codec_text err format http json log regex schema utf8 \
                   validate validate_param validate_value
CLIENT_RT_OBJ   := $(sort $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard runtime/client*.c)) \
                   $(CLIENT_RT_NAMES:%=$(BUILD)/obj/runtime/%.o))
CLIENT_PKGS     := libevent json-c libprotobuf-c libpcre2-8
CLIENT_SERVICES := $(sort $(patsubst generated/%/,%,$(dir $(wildcard generated/*/*_client.c))))
CLIENT_LIBS     := $(BUILD)/lib/libaxr-client.a $(BUILD)/lib/pkgconfig/axr-client.pc \
                   $(CLIENT_SERVICES:%=$(BUILD)/lib/libaxr-%-client.a) \
                   $(CLIENT_SERVICES:%=$(BUILD)/lib/pkgconfig/axr-%-client.pc) \
                   $(CLIENT_SERVICES:%=$(BUILD)/include/%/.stamp) \
                   $(BUILD)/lib/libaxr-client.so $(CLIENT_SERVICES:%=$(BUILD)/lib/libaxr-%-client.so)
clients: $(CLIENT_LIBS)

# The shared libraries link position-independent copies of the same objects
# ($(BUILD)/pic/, a tree of its own).
$(BUILD)/pic/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -c $< -o $@
$(BUILD)/pic/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PB_CFLAGS) -fPIC -c $< -o $@
$(CLIENT_RT_OBJ:$(BUILD)/obj/%=$(BUILD)/pic/obj/%): | $(RUNTIME_PROTO_C)
-include $(shell find $(BUILD)/pic -name "*.d" 2>/dev/null)
$(BUILD)/lib/libaxr-client.so: $(CLIENT_RT_OBJ:$(BUILD)/obj/%=$(BUILD)/pic/obj/%)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libaxr-client.so -o $@ $^ $(LDFLAGS) $(shell pkg-config --libs $(CLIENT_PKGS)) -lm

$(BUILD)/lib/libaxr-client.a: $(CLIENT_RT_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/lib/pkgconfig/axr-client.pc: Makefile
	@mkdir -p $(dir $@)
	printf '%s\n' 'prefix=@PREFIX@' 'includedir=$${prefix}/include/axr' 'libdir=$${prefix}/lib' '' \
		'Name: axr-client' 'Description: the axr HTTP client runtime (typed operation calls)' \
		'Version: 0.1.0' 'Requires: $(CLIENT_PKGS)' 'Cflags: -I$${includedir}' \
		'Libs: -L$${libdir} -laxr-client -lm -pthread' >$@

define CLIENT_RULES
$(1)_CLIENT_OBJ := $(BUILD)/obj/generated/$(1)/$(1)_client.o $(BUILD)/obj/generated/$(1)/$(1)_ops.o \
	$(BUILD)/obj/generated/$(1)/$(1)_schema.o $(BUILD)/obj/generated/$(1)/$(1)_entities.o \
	$(BUILD)/gen/$(1)/$(1).pb-c.o
$(BUILD)/obj/generated/$(1)/$(1)_client.o: | $(BUILD)/gen/$(1)/$(1).pb-c.c
$(BUILD)/lib/libaxr-$(1)-client.a: $$($(1)_CLIENT_OBJ)
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
$(BUILD)/pic/obj/generated/$(1)/%.o: CPPFLAGS += -I$(BUILD)/gen/$(1) -Igenerated/$(1)
$(BUILD)/pic/obj/generated/$(1)/$(1)_client.o: | $(BUILD)/gen/$(1)/$(1).pb-c.c
$(BUILD)/lib/libaxr-$(1)-client.so: $$($(1)_CLIENT_OBJ:$(BUILD)/%=$(BUILD)/pic/%) $(BUILD)/lib/libaxr-client.so
	@mkdir -p $$(dir $$@)
	$$(CC) -shared -Wl,-soname,libaxr-$(1)-client.so -o $$@ $$(filter %.o,$$^) $$(LDFLAGS) -L$(BUILD)/lib \
		-laxr-client $$(shell pkg-config --libs libprotobuf-c)
$(BUILD)/lib/pkgconfig/axr-$(1)-client.pc: Makefile
	@mkdir -p $$(dir $$@)
	printf '%s\n' 'prefix=@PREFIX@' 'includedir=$$$${prefix}/include/axr' 'libdir=$$$${prefix}/lib' '' \
		'Name: axr-$(1)-client' 'Description: generated C client of the $(1) service' \
		'Version: 0.1.0' 'Requires: axr-client' 'Cflags: -I$$$${includedir}/$(1)' \
		'Libs: -L$$$${libdir} -laxr-$(1)-client' >$$@
$(BUILD)/include/$(1)/.stamp: generated/$(1)/$(1)_client.h generated/$(1)/$(1)_ops.h \
		generated/$(1)/$(1)_schema.h $(BUILD)/gen/$(1)/$(1).pb-c.h
	@mkdir -p $$(dir $$@)
	cp $$^ $$(dir $$@) && touch $$@
endef
$(foreach s,$(CLIENT_SERVICES),$(eval $(call CLIENT_RULES,$(s))))

# The axr command-line tool (tools/axr/): every generated service's client
# route table linked in (nothing is loaded at run time); the list of services
# is made here and rewritten only when it changes.
AXR_CLI_SRC := $(sort $(wildcard tools/axr/*.c))
AXR_CLI_OBJ := $(AXR_CLI_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/axr_cli_services.o
.PHONY: FORCE
$(BUILD)/gen/axr_cli_services.c: FORCE
	@mkdir -p $(dir $@)
	@{ echo '/* axr_cli_services.c: made by the Makefile: the services axr is linked with. */'; \
	  echo '#include "axr_cli.h"'; \
	  for s in $(CLIENT_SERVICES); do echo "#include \"$$s/$${s}_ops.h\""; done; \
	  echo 'const axr_cli_service_t axr_cli_services[] = {'; \
	  for s in $(CLIENT_SERVICES); do p=$$(echo "$$s" | tr - _); P=$$(echo "$$p" | tr a-z A-Z); \
	    echo "	{.name = \"$$s\", .routes = $${p}_client_routes, .n_routes = $${P}_CLIENT_ROUTE_COUNT},"; done; \
	  echo '	{.name = NULL},'; echo '};'; } >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@
$(BUILD)/obj/gen/axr_cli_services.o: $(BUILD)/gen/axr_cli_services.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itools/axr -Igenerated $(CFLAGS) -c $< -o $@
$(BUILD)/obj/tools/axr/%.o: CPPFLAGS += -Itools/axr
$(BUILD)/bin/axr: $(AXR_CLI_OBJ) $(CLIENT_SERVICES:%=$(BUILD)/lib/libaxr-%-client.a) $(BUILD)/lib/libaxr-client.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs $(CLIENT_PKGS)) -lm
clients: $(if $(AXR_CLI_SRC),$(BUILD)/bin/axr)

# Integration programs (tests/integration/*.c): C programs that drive running
# services through the generated clients, as a client developer would; each
# links every generated client library and is run by a tests/**/*.test.sh
# that starts what it needs. They print "ok - " / "not ok - " lines.
ITEST_SRC := $(sort $(wildcard tests/integration/*.c))
ITEST_BIN := $(ITEST_SRC:tests/integration/%.c=$(BUILD)/itests/%)
$(BUILD)/itests/%: tests/integration/%.c $(wildcard tests/integration/*.h) \
		$(CLIENT_SERVICES:%=$(BUILD)/lib/libaxr-%-client.a) $(BUILD)/lib/libaxr-client.a \
		$(CLIENT_SERVICES:%=$(BUILD)/include/%/.stamp)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/integration $(CLIENT_SERVICES:%=-I$(BUILD)/include/%) $(CFLAGS) $(LDFLAGS) \
		-o $@ $< $(CLIENT_SERVICES:%=$(BUILD)/lib/libaxr-%-client.a) $(BUILD)/lib/libaxr-client.a \
		$(shell pkg-config --libs $(CLIENT_PKGS)) -lm
itests: $(ITEST_BIN)
clients: itests

# Sanitizer build of the unit tests, in its own tree.
asan-unit:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SAN=1 unit

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory asan-unit
	@AXR_BUILD=$(BUILD) sh tests/run

up: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/up.sh

down:
	@sh scripts/down.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@sh tests/bench/run.sh

# The whole platform under SOAK_SECONDS (600) of mixed traffic, then the same
# with every service built with ASan+UBSan (tests/soak/run.sh; SOAK_SAN_SECONDS
# for the second run).
soak: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SAN=1 $(SERVICES:%=$(BUILD)/asan/bin/axr-%)
	@AXR_BUILD=$(BUILD) sh tests/soak/run.sh
	@AXR_BUILD=$(BUILD) SOAK_SAN=1 SOAK_SECONDS=$${SOAK_SAN_SECONDS:-$${SOAK_SECONDS:-600}} sh tests/soak/run.sh

# Fuzzing: clang + libFuzzer, every target links the runtime and generator.
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -Iruntime -Icodegen -I. -I$(BUILD)/gen/runtime $(PKG_CFLAGS)
# The runtime and generator are built once more with clang and the
# sanitizers (in their own tree), and every fuzz target links those archives.
FUZZ_LIBDIR := $(BUILD)/fuzzlib
FUZZ_LIBS   := $(FUZZ_LIBDIR)/libaxrgen.a $(FUZZ_LIBDIR)/libaxr.a
.PHONY: fuzz-libs
fuzz-libs:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_LIBDIR) CC=$(FUZZ_CC) WARN=-std=c11 \
		OPT="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
		$(FUZZ_LIBS)
$(FUZZ_LIBS): fuzz-libs
$(BUILD)/fuzz/%: fuzz/%.c $(FUZZ_LIBS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -I$(FUZZ_LIBDIR)/gen/runtime -o $@ $< $(FUZZ_LIBS) $(PKG_LIBS) -lm -pthread

fuzz: deps $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
		n=$${f##*/fuzz_}; mkdir -p $(BUILD)/fuzz/corpus-$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(BUILD)/fuzz/corpus-$$n $$( [ -d fuzz/corpus/$$n ] && echo fuzz/corpus/$$n ) \
			2>$(BUILD)/fuzz/$$n.log || { tail -30 $(BUILD)/fuzz/$$n.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units' $(BUILD)/fuzz/$$n.log; \
	done

install: all clients
	@sh scripts/install.sh "$(PREFIX)" "$(BUILD)"

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/gen $(BUILD)/tests $(BUILD)/tools $(BUILD)/itests -name "*.d" 2>/dev/null)

# Regenerate generated/ (and the gateway's routing blocks) from spec/.
generate: $(BUILD)/bin/axrgen
	$(BUILD)/bin/axrgen generate --out generated --gateway gateway $(SPECS)
	sh k8s/render.sh
