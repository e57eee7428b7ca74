# The two set-up commands (see README): `make demo` and `make test`.
MVN ?= mvn -B -ntp

.PHONY: deps build demo test bench clean

deps:
	./scripts/install-deps.sh

build: deps
	$(MVN) -q -DskipTests install

demo: build
	./scripts/demo.sh

test: deps
	$(MVN) install

bench: build
	./scripts/bench.sh

clean:
	$(MVN) -q clean
