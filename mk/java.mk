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
# reactive-streams and jackson). Maven Central cannot be reached from here, Debian does
# not package the first three, and the 4.1.63 jars are minimized to the generator's own
# needs (no com/azure/core classes). @autorest/java up to 4.1.30 shipped its generator as
# an unminimized jar-with-dependencies, which carries azure-core 1.49.1, azure-json 1.1.0,
# reactor-core and reactive-streams and jackson, unrelocated (4.1.39 onwards are
# minimized). package.json pins that release under the alias autorest-java-libs. The
# target takes from its javagen jar only those libraries' packages (JAVA_LIB_PACKAGES,
# not the generator's own guava, javaparser, ...) into $(JAVA_OUT)/azure-libs, and javac
# compiles against that. azure-core 1.49.1 is older than the 1.57.1 that 4.1.63 generates
# for, so an API the generated code takes from a newer azure-core fails the compile; it
# cannot make it pass wrongly.
#
# javac must run: a missing library on JAVA_CLASSPATH fails the target, as does any
# compile error.

CI_TARGETS += spec-java

# The spec documents to generate from, one Java package each (io.csconnect.<file name>).
JAVA_SPECS    ?= gen/openapi/openapi.yaml gen/openapi/datecheck.yaml
JAVA_OUT      ?= build/java
JAVAC         ?= javac
JAVAP         ?= javap
JAR           ?= jar
# @autorest/java 4.1.30's jar-with-dependencies (see above), pinned in package-lock.json,
# and the packages of it that are azure-core and its dependencies.
JAVA_LIBS_JAR ?= $(CURDIR)/node_modules/autorest-java-libs/javagen/target/azure-autorest-javagen-jar-with-dependencies.jar
JAVA_LIB_PACKAGES := com/azure/core com/azure/json com/azure/xml reactor org/reactivestreams \
	com/fasterxml/jackson org/slf4j
JAVA_CLASSPATH ?= $(abspath $(JAVA_OUT))/azure-libs

# class:library pairs the generated code cannot compile without.
JAVA_REQUIRED := com.azure.core.http.rest.RestProxy:azure-core \
	com.azure.core.http.HttpPipeline:azure-core \
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
spec-java: deps-npm ## AutoRest (@autorest/java, offline) generates Java from each of JAVA_SPECS; javac compiles it (against npm-pinned azure-core); any error fails.
	@command -v java >/dev/null || { echo "spec-java: java is missing (make deps installs it)"; exit 1; }
	@[ -f '$(JAVA_LIBS_JAR)' ] || { echo "spec-java: $(JAVA_LIBS_JAR) is missing (make deps-npm installs it)"; exit 1; }
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
	@mkdir -p $(JAVA_OUT)/azure-libs && cd $(JAVA_OUT)/azure-libs && $(JAR) xf '$(abspath $(JAVA_LIBS_JAR))' $(JAVA_LIB_PACKAGES)
	@missing=; for pair in $(JAVA_REQUIRED); do \
		$(JAVAP) -cp '$(JAVA_CLASSPATH)' $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}($${pair%%:*})"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "spec-java: the classpath lacks$$missing (JAVA_CLASSPATH=$(JAVA_CLASSPATH))"; \
		echo "spec-java: they come from $(JAVA_LIBS_JAR) (autorest-java-libs, @autorest/java 4.1.30)"; \
		exit 1; \
	fi
	@find $(JAVA_OUT) -path $(JAVA_OUT)/azure-libs -prune -o -name '*.java' -print | sort > $(JAVA_OUT)/sources.txt; \
	echo "==> javac ($$(wc -l < $(JAVA_OUT)/sources.txt) files) against $(JAVA_CLASSPATH)"; \
	if ! $(JAVAC) -Xlint:all -proc:none -d $(JAVA_OUT)/classes -cp '$(JAVA_CLASSPATH)' @$(JAVA_OUT)/sources.txt \
		> $(JAVA_OUT)/javac.log 2>&1; then \
		cat $(JAVA_OUT)/javac.log; echo "spec-java: javac failed on the generated Java (log: $(JAVA_OUT)/javac.log)"; \
		! grep -q 'variable host is already defined' $(JAVA_OUT)/javac.log || \
			echo "spec-java: a path or operation with servers of its own makes @autorest/java add a second client parameter named host beside the document's: give that host a spec document of its own"; \
		exit 1; \
	fi; \
	cat $(JAVA_OUT)/javac.log; \
	echo "spec-java: javac compiled the generated Java of $(JAVA_SPECS) ($$(find $(JAVA_OUT)/classes -name '*.class' | wc -l) classes)"
