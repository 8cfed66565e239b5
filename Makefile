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

.PHONY: build test unit demo sandbox sandbox-secure sandbox-down sandbox-fleet sandbox-fleet-down sandbox-clean bench vet docs release-check fleetsim

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

# The secured sandbox by itself (its inventory: .sandbox-secure/fleet.yaml).
sandbox-secure:
	$(SECURE_ENV) bash sandbox/up.sh

# The sandbox fleet: SANDBOX_CLUSTERS (default 2) clusters fleet-a, fleet-b, ... of 3 brokers each,
# labelled, in one inventory (.sandbox-fleet/fleet.yaml). fleet-a has the default sandbox's addresses.
sandbox-fleet:
	bash sandbox/fleet.sh up

sandbox-fleet-down:
	bash sandbox/fleet.sh down

sandbox-clean: sandbox-down
	SANDBOX_DIR=$(SANDBOX6) bash sandbox/down.sh
	SANDBOX_DIR=$(CURDIR)/.sandbox-deploy SANDBOX_IP_BASE=30 bash sandbox/down.sh
	$(SECURE_ENV) bash sandbox/down.sh
	SANDBOX_FLEET_DIR=$(CURDIR)/.sandbox-fleet bash sandbox/fleet.sh down
	$(ZK3_ENV) bash sandbox/down.sh
	$(KRAFT3_ENV) bash sandbox/down.sh
	rm -rf .sandbox/hosts .sandbox6 .sandbox-deploy .sandbox-secure .sandbox-fleet .sandbox-zk3 .sandbox-kraft3

# The demo runs on the sandbox fleet (two clusters): a fleet restart, the canary cluster first.
demo: build sandbox-fleet
	SANDBOX_DIR=$(CURDIR)/.sandbox-fleet bash sandbox/demo.sh

SANDBOX6 := $(CURDIR)/.sandbox6
# The sandbox fleet: fleet-a (127.0.0.11-13) and fleet-b (127.0.0.21-23) in one inventory.
FLEET_DIR := $(CURDIR)/.sandbox-fleet
# The secured sandbox: SASL_SSL brokers with ACLs, hosts behind a bastion sshd (127.0.0.50).
SECURE_ENV := SANDBOX_DIR=$(CURDIR)/.sandbox-secure SANDBOX_IP_BASE=50 SANDBOX_BROKERS=4 \
	SANDBOX_SECURITY=sasl_ssl SANDBOX_BASTION=1

# The Kafka 3.x phases (issue 18): 4 brokers on Kafka 3.8.1 (deployed to 3.9.1 and finalized by
# the tests, which cannot be undone: each phase's sandbox is removed before and after it), on the
# base-10 addresses once the phases before have stopped; in ZooKeeper mode with a 3-node
# ensemble on 127.0.1.11-13.
ZK3_ENV := SANDBOX_DIR=$(CURDIR)/.sandbox-zk3 SANDBOX_IP_BASE=10 SANDBOX_BROKERS=4 \
	SANDBOX_KAFKA_VERSION=3.8.1 SANDBOX_KAFKA_NEXT_VERSION=3.9.1 SANDBOX_METADATA=zookeeper
KRAFT3_ENV := SANDBOX_DIR=$(CURDIR)/.sandbox-kraft3 SANDBOX_IP_BASE=10 SANDBOX_BROKERS=4 \
	SANDBOX_KAFKA_VERSION=3.8.1 SANDBOX_KAFKA_NEXT_VERSION=3.9.1

# finalizing_phase ENV,DIR,GATE,TEST runs one e2e phase whose tests finalize a version (which
# cannot be undone) on a fresh sandbox of its own: removed first, stopped after its tests, and
# removed when they passed (kept for its logs when they failed).
define finalizing_phase
$(1) bash sandbox/down.sh && rm -rf $(2)
$(1) bash sandbox/up.sh && $(1) KFLEET_E2E=$${KFLEET_E2E:-1} $(3)=1 \
	$(GO) test -count=1 -timeout 15m -tags e2e -run $(4) -v ./sandbox/e2e/...; \
	rc=$$?; $(1) bash sandbox/down.sh; [ $$rc -ne 0 ] || rm -rf $(2); exit $$rc
endef

# Everything: vet, unit tests, then the 3-broker sandbox and the end-to-end tests against it,
# then a 6-broker sandbox (racks a,b,c twice) for the rack-batch and reassignment scenarios (it
# takes the first one's addresses, so the 3-broker one is stopped in between), then the sandbox
# fleet (two clusters: fleet rollouts in waves, a failure and resume, windows, a held lease; it
# takes the same addresses too), then the secured sandbox (SASL_SSL, ACLs, bastion; the restart-under-load scenario runs again over it and the
# secrets scan reads everything kfleet printed), then the deploy scenario, which brings up and
# removes its own sandbox on 127.0.0.31-33 (finalize cannot be undone), then Kafka 3.x: a
# ZooKeeper-mode sandbox (deploy 3.8.1 -> 3.9.1 and finalize inter.broker.protocol.version, a
# killed broker and ZooKeeper follower in status, a broker restart and a ZooKeeper ensemble
# restart under load, a dead broker's partitions reassigned), then a KRaft one (status, restart,
# deploy and metadata.version finalize, reassignment). Each 3.x sandbox is stopped after its
# tests and removed when they passed (kept for its logs when they failed; the next run removes it
# first).
test: build vet
	$(GO) test -count=1 ./...
	bash sandbox/up.sh
	KFLEET_E2E=$${KFLEET_E2E:-1} $(GO) test -count=1 -timeout 20m -tags e2e ./sandbox/e2e/...
	bash sandbox/down.sh
	SANDBOX_DIR=$(SANDBOX6) SANDBOX_BROKERS=6 bash sandbox/up.sh
	SANDBOX_DIR=$(SANDBOX6) SANDBOX_BROKERS=6 KFLEET_E2E=$${KFLEET_E2E:-1} KFLEET_E2E_SIX=1 \
		$(GO) test -count=1 -timeout 10m -tags e2e -run TestSixBrokerRackBatches -v ./sandbox/e2e/...
	SANDBOX_DIR=$(SANDBOX6) SANDBOX_BROKERS=6 KFLEET_E2E=$${KFLEET_E2E:-1} KFLEET_E2E_SIX=1 \
		$(GO) test -count=1 -timeout 10m -tags e2e -run TestSixBrokerReassign -v ./sandbox/e2e/...
	SANDBOX_DIR=$(SANDBOX6) bash sandbox/down.sh
	bash sandbox/fleet.sh up
	SANDBOX_DIR=$(FLEET_DIR) KFLEET_E2E=$${KFLEET_E2E:-1} KFLEET_E2E_FLEET=1 \
		$(GO) test -count=1 -timeout 15m -tags e2e -run TestFleet -v ./sandbox/e2e/...
	bash sandbox/fleet.sh down
	$(SECURE_ENV) bash sandbox/up.sh
	$(SECURE_ENV) KFLEET_E2E=$${KFLEET_E2E:-1} KFLEET_E2E_SECURE=1 $(GO) test -count=1 -timeout 15m -tags e2e \
		-run 'TestSecured|TestRestartUnderLoadLosesNothing' -v ./sandbox/e2e/...
	$(SECURE_ENV) bash sandbox/down.sh
	KFLEET_E2E= KFLEET_E2E_DEPLOY=1 SANDBOX_DIR=$(CURDIR)/.sandbox-deploy SANDBOX_IP_BASE=30 \
		$(GO) test -count=1 -timeout 30m -tags e2e -run TestDeploy -v ./sandbox/e2e/...
	$(call finalizing_phase,$(ZK3_ENV),.sandbox-zk3,KFLEET_E2E_ZK,TestZooKeeperMode)
	$(call finalizing_phase,$(KRAFT3_ENV),.sandbox-kraft3,KFLEET_E2E_KRAFT3,TestKRaftThree)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# A simulated fleet for fleet-scale measurements (sandbox/fleetsim, no Kafka or SSH): FLEETSIM_CLUSTERS
# kfake clusters of 3 brokers and FLEETSIM_PARTITIONS partitions each on loopback; FLEETSIM_ARGS adds
# flags (-latency 20ms, -under-min-isr). It writes .sandbox-fleetsim/fleet.yaml, prints how to point
# kfleet at it, and serves until Ctrl-C.
FLEETSIM_CLUSTERS ?= 100
FLEETSIM_PARTITIONS ?= 1000
FLEETSIM_ARGS ?=
fleetsim:
	$(GO) build -o bin/fleetsim ./sandbox/fleetsim
	bin/fleetsim -clusters $(FLEETSIM_CLUSTERS) -partitions $(FLEETSIM_PARTITIONS) \
		-out $(CURDIR)/.sandbox-fleetsim/fleet.yaml $(FLEETSIM_ARGS)

# docs/commands/: one markdown page per command, generated from the commands' help. A unit test
# fails when it is out of date.
docs:
	rm -f docs/commands/*.md
	$(GO) run ./cmd/kfleet docs --markdown docs/commands

# goreleaser check, a snapshot release build, and the built binary's injected version.
release-check:
	bash scripts/release-check.sh
