# The two set-up commands (see README): `make demo` and `make test`.
MVN ?= mvn -B -ntp

.PHONY: deps build demo test fuzz bench bench-startup bench-converge clean format

deps:
	./scripts/install-deps.sh

# `install` packages client/ too, which makes bin/custody's class-data archive (client/target/custody.jsa)
build: deps
	$(MVN) -q -DskipTests install

demo: build
	./scripts/demo.sh

test: deps
	$(MVN) install

# The Jazzer fuzz targets in fuzzing mode, one after the other (README "Fuzzing"; `make test` only replays their
# seeds and kept findings). FUZZ_RUNS (default 1000000) and FUZZ_MAX_TIME (60m) bound each target, FUZZ_TIMEOUT
# (10 s) each input; FUZZ_TARGET=BundleFuzzTest runs one.
fuzz: build
	./scripts/fuzz.sh $(FUZZ_TARGET)

bench: build
	./scripts/bench.sh
	./scripts/bench-pkcs11-module.sh
	./client/scripts/bench-startup.sh
	./scripts/bench-converge.sh

# several custodyd publishing to one notary-server (memory and PostgreSQL): scripts/bench-converge.sh
bench-converge: build
	./scripts/bench-converge.sh

# `custody status` / `--version` start-up against `notary list` (client/scripts/bench-startup.sh [RUNS])
bench-startup: build
	./client/scripts/bench-startup.sh

clean:
	$(MVN) -q clean

# every Java source in the one house format (palantir-java-format); `make test` checks it
format:
	$(MVN) -q spotless:apply
