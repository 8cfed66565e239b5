# kfleet: build, test, demo and the local sandbox fleet.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -X main.version=$(VERSION) \
           -X main.commit=$(COMMIT) \
           -X main.date=$(DATE)
KFLEET := bin/kfleet
SANDBOX_INVENTORY := .sandbox/fleet.yaml

.PHONY: build test unit e2e demo sandbox sandbox-down sandbox-clean bench vet fmt

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(KFLEET) ./cmd/kfleet

vet:
	$(GO) vet ./...

unit:
	$(GO) test -count=1 ./...

sandbox:
	bash sandbox/up.sh

sandbox-down:
	bash sandbox/down.sh

sandbox-clean: sandbox-down
	rm -rf .sandbox/hosts

demo: build sandbox
	bash sandbox/demo.sh

# Everything: vet, unit tests, then the sandbox and the end-to-end tests against it.
test: build vet
	$(GO) test -count=1 ./...
	bash sandbox/up.sh
	KFLEET_E2E=$${KFLEET_E2E:-1} $(GO) test -count=1 -timeout 20m -tags e2e ./sandbox/e2e/...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
