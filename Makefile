# Mina Engagemang. `make run` builds bin/me and starts it on the demo
# configuration (SQLite, config/demo.yaml); `make test` runs every test.
# Both check what they need first (Go, a C compiler, libxml2's headers)
# and, on Debian as root, install what is missing.

GO       ?= go
SERVICES := portal catalog etjanst
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)

export CGO_ENABLED := 1

.PHONY: run test build generate bench bench-go prereq check-generated clean

# run builds bin/me and runs it, so that a second `make run` starts at
# once and `bin/me` is there for the README's next steps.
run: build
	@echo "starting: bin/me serve --config config/demo.yaml"
	@bin/me serve --config config/demo.yaml

test:
	@./.ci/prereq test
	@files=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null | grep -v '^generated/')); \
		if [ -n "$$files" ]; then echo "gofmt would change (run gofmt -w): $$files"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) test -count=1 ./...

build: prereq
	@echo "building (the first build compiles SQLite and libxml2: a few minutes)…"
	@$(GO) build -ldflags '$(LDFLAGS)' -o bin/me ./cmd/me

# generated/ comes from wsdl/ and xsd/: gowsdl (pinned in go.mod as a tool)
# writes types and clients, then megen fixes gowsdl's known defects, moves
# the shared schemas' types into generated/common and writes the server
# interfaces. Never edit generated/ by hand.
generate:
	@rm -rf generated/common
	@for s in $(SERVICES); do \
		rm -rf generated/$$s && \
		$(GO) tool gowsdl -p $$s -d generated -o $$s.go wsdl/$$s.wsdl >/dev/null || exit 1; \
	done
	@$(GO) run ./cmd/megen -dir generated $(SERVICES:%=wsdl/%.wsdl)

# The real `me serve` on SQLite and PostgreSQL under load, beside the
# /healthz floor and the node soap peer (cmd/mebench/peer, npm): one table,
# written into docs/performance.md. BENCH_SCALE=1m for a million cases.
bench: build
	@command -v npm >/dev/null && npm ci --prefix cmd/mebench/peer --no-audit --no-fund --loglevel=error >/dev/null || echo "bench: no npm; the node soap peer is left out"
	$(GO) run ./cmd/mebench -me bin/me -out docs/performance.md

# Go's benchmark harness, in process: for profiling one path (-cpuprofile).
bench-go: prereq
	$(GO) test -run '^$$' -bench . -benchmem ./...

prereq:
	@./.ci/prereq

clean:
	rm -rf bin data
