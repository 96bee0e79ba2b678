# AutoRest Java (issue 12, "Non-Go teams"): generate a Java client from each spec
# document with AutoRest and the classic @autorest/java generator, then compile it with
# javac.
#
# Everything AutoRest loads comes from node_modules/ (pinned in package-lock.json):
# --version points the CLI at the installed @autorest/core and each --use at an installed
# extension, so nothing is downloaded at run time. Where the recipe can make a network
# namespace of its own (root, or unprivileged user namespaces), AutoRest runs inside one
# with no interface but loopback, so an attempted download fails the target rather than
# passing quietly.
#
# @autorest/java 4.1.63 asks for @autorest/modelerfour 4.26.2, which the npm registry
# here does not serve; the pinned 4.27.3 is passed with --use and is the one loaded.
#
# The generated code needs azure-core, azure-json and reactor-core (and, through them,
# reactive-streams and jackson). Debian packages reactive-streams and jackson (mk/deps.sh
# installs them) but not the other three, the @autorest/java jars do not contain them
# (they are minimized to the generator's own needs), and Maven Central cannot be reached
# from here. So javac runs when JAVA_CLASSPATH provides every library (drop the jars into
# lib/java/ or set JAVA_CLASSPATH); otherwise the target says exactly which are missing
# and, unless JAVA_REQUIRE_COMPILE=1, stops after the generation step.

CI_TARGETS += spec-java

# The spec documents to generate from, one Java package each (io.csconnect.<file name>).
JAVA_SPECS    ?= openapi.yaml
JAVA_OUT      ?= build/java
JAVAC         ?= javac
JAVAP         ?= javap
JAVA_LIB_DIR  ?= lib/java
# Debian's jars (mk/deps.sh) and every jar in JAVA_LIB_DIR.
JAVA_CLASSPATH ?= /usr/share/java/reactive-streams.jar:/usr/share/java/jackson-core.jar:/usr/share/java/jackson-databind.jar:/usr/share/java/jackson-annotations.jar:/usr/share/java/slf4j-api.jar:$(JAVA_LIB_DIR)/*
JAVA_REQUIRE_COMPILE ?=

# class:library pairs the generated code cannot compile without.
JAVA_REQUIRED := com.azure.core.http.rest.RestProxy:azure-core \
	com.azure.json.JsonSerializable:azure-json \
	reactor.core.publisher.Mono:reactor-core \
	org.reactivestreams.Publisher:reactive-streams \
	com.fasterxml.jackson.core.JsonParser:jackson-core

# A private network namespace for AutoRest when the system allows one.
JAVA_OFFLINE := $(shell unshare -n true 2>/dev/null && echo 'unshare -n' || { unshare -rn true 2>/dev/null && echo 'unshare -rn'; })

AUTOREST := $(NPX)/autorest \
	--version=$(CURDIR)/node_modules/@autorest/core \
	--use=$(CURDIR)/node_modules/@autorest/modelerfour \
	--use=$(CURDIR)/node_modules/@autorest/java \
	--java --skip-upgrade-check --verbose=false

.PHONY: spec-java
spec-java: deps-npm ## AutoRest (@autorest/java, offline) generates Java from each of JAVA_SPECS; javac compiles it when JAVA_CLASSPATH has azure-core, azure-json, reactor-core.
	@command -v java >/dev/null || { echo "spec-java: java is missing (make deps installs it)"; exit 1; }
	@rm -rf $(JAVA_OUT) && mkdir -p $(JAVA_OUT)
	@$(if $(JAVA_OFFLINE),echo "spec-java: AutoRest runs with no network ($(JAVA_OFFLINE))",echo "spec-java: no private network namespace here; AutoRest runs with the machine's network")
	@set -e; for spec in $(JAVA_SPECS); do \
		name=$$(basename "$$spec" | sed 's/\.[^.]*$$//; s/[^A-Za-z0-9]//g' | tr 'A-Z' 'a-z'); \
		echo "==> autorest --java $$spec -> $(JAVA_OUT)/$$name (package io.csconnect.$$name)"; \
		log=$(JAVA_OUT)/$$name.autorest.log; \
		case "$$spec" in /*) input=$$spec;; *) input=$(CURDIR)/$$spec;; esac; \
		if ! $(JAVA_OFFLINE) $(AUTOREST) --input-file=$$input \
			--output-folder=$(abspath $(JAVA_OUT))/$$name --namespace=io.csconnect.$$name > $$log 2>&1; then \
			grep -E '^(error|fatal)|Exception' $$log | head -20; echo "spec-java: AutoRest failed on $$spec (full log: $$log)"; \
			! grep -q 'Unknown wire type TokenCredential' $$log || \
				echo "spec-java: @autorest/java turns a string with 'format: password' into a credential it cannot serialize: drop that format"; \
			! grep -q 'must match pattern "^3\\.0' $$log || echo "spec-java: AutoRest reads OpenAPI 3.0 documents only"; \
			exit 1; \
		fi; \
		grep -E '^warning' $$log || true; \
		n=$$(find $(JAVA_OUT)/$$name -name '*.java' | wc -l); \
		[ "$$n" -gt 0 ] || { echo "spec-java: AutoRest wrote no Java for $$spec (log: $$log)"; exit 1; }; \
		echo "    $$n Java files"; \
	done
	@missing=; for pair in $(JAVA_REQUIRED); do \
		$(JAVAP) -cp '$(JAVA_CLASSPATH)' $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "spec-java: javac NOT run: the classpath lacks$$missing (JAVA_CLASSPATH=$(JAVA_CLASSPATH))."; \
		echo "spec-java: azure-core, azure-json and reactor-core come from Maven Central only (no Debian or npm package ships them);"; \
		echo "spec-java: put their jars in $(JAVA_LIB_DIR)/ or set JAVA_CLASSPATH to compile."; \
		[ -z "$(JAVA_REQUIRE_COMPILE)" ] || exit 1; exit 0; \
	fi; \
	find $(JAVA_OUT) -name '*.java' > $(JAVA_OUT)/sources.txt; \
	echo "==> javac ($$(wc -l < $(JAVA_OUT)/sources.txt) files)"; \
	$(JAVAC) -Xlint:all -proc:none -d $(JAVA_OUT)/classes -cp '$(JAVA_CLASSPATH)' @$(JAVA_OUT)/sources.txt && \
		echo "spec-java: javac compiled the generated Java for $(JAVA_SPECS)"
