# The menu. Every target works on a fresh clone: tools are built from the Go module proxy into ./bin.
SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/bin

TEMPORAL_VERSION      := v1.5.1
MAILPIT_VERSION       := v1.33.1
WORKFLOWCHECK_VERSION := v0.6.0
TEMPORAL_SERVER_VERSION := v1.29.1

PROGRAM ?= Send an email to each of my contacts if I haven't emailed them this week that says 'Hello World!'

.PHONY: run stop test lint bench bench-quick eval build tools kcat obs-tools clean

## run: start the embedded stack in the background (if it is not running) and run the Hello World program
run: tools build
	@$(BIN)/eaapl dev --background
	@echo
	@echo "Running: $(PROGRAM)"
	@$(BIN)/eaapl run --same-settings "$(PROGRAM)"
	@echo
	@echo "Look at the run in the Temporal Web UI: http://127.0.0.1:8233 and at the emails in Mailpit: http://127.0.0.1:8025"
	@echo "The stack keeps running; 'make stop' stops it."

## stop: stop the background stack that `make run` started
stop: build
	@$(BIN)/eaapl dev --stop

## test: build the tools the tests need (and the headless browser), lint, then run every test (unit, replay, integration)
test: tools kcat chromium cluster-tools mail-tools obs-tools lint
	$(GO) test -count=1 -timeout 30m ./...

## cluster-tools: what the cluster test (e2e/cluster) and the compose test need: the Temporal server and its
## SQL schema tool, pinned, into ./bin, and PostgreSQL and docker-compose from Debian
cluster-tools: $(BIN)/.temporal-server-$(TEMPORAL_SERVER_VERSION)
	@missing=; ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="postgresql"; \
	command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	if [ -n "$$missing" ]; then echo "Installing$$missing from Debian ..."; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; fi

.PHONY: cluster-tools

## mail-tools: the real mail system the IMAP, SMTP and CardDAV tests run against (internal/mailtest):
## Postfix, Dovecot (IMAP and LMTP) and Radicale, from Debian. Their own services are not started here;
## the tests run each daemon in the foreground on loopback ports with throwaway configuration.
mail-tools:
	@missing=; for p in postfix:/usr/sbin/postfix dovecot-imapd:/usr/lib/dovecot/imap dovecot-lmtpd:/usr/lib/dovecot/lmtp radicale:/usr/bin/radicale; do \
		test -e $${p#*:} || missing="$$missing $${p%%:*}"; done; \
	if [ -n "$$missing" ]; then echo "Installing$$missing from Debian ..."; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; fi

.PHONY: mail-tools

# go install names the binaries after their folders (server, sql); they are renamed to say what they are.
$(BIN)/.temporal-server-$(TEMPORAL_SERVER_VERSION):
	@echo "Building the Temporal server $(TEMPORAL_SERVER_VERSION) and its SQL schema tool into bin/ (the first build takes several minutes) ..."
	rm -rf $(BIN)/.server-build
	GOBIN=$(BIN)/.server-build $(GO) install go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION) go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION)
	mv $(BIN)/.server-build/server $(BIN)/temporal-server
	mv $(BIN)/.server-build/sql $(BIN)/temporal-sql-tool
	rm -rf $(BIN)/.server-build
	@touch $@

## obs-tools: what the observability tests need: Prometheus, from Debian (e2e/prometheus_test.go scrapes a
## worker with it)
obs-tools:
	@command -v prometheus >/dev/null || { echo "Installing prometheus from Debian ..."; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends prometheus; }

## kcat: the Kafka command-line client the Kafka tests read topics with, from Debian
kcat:
	@command -v kcat >/dev/null || { echo "Installing kcat from Debian ..."; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq kcat; }

## chromium: the headless browser the web page tests (Mailpit's page, the Temporal Web UI) drive, from Debian
chromium:
	@command -v chromium >/dev/null || { echo "Installing chromium from Debian ..."; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq chromium; }

.PHONY: chromium

## bench: measure the Hello World program on the embedded stack at N=100, 1,000, 10,000 and 100,000 against a
## hand-written workflow (a), an expert's hand-written batched workflow (a') and a plain SMTP loop, with the
## Kafka bridge off and adaptive tuning off for comparison, priority, two workers and a one-email program
## through `eaapl run`; prints every target of issue 16 (met, or the distance) and writes bench/results.md.
## It takes up to ~20 minutes on a 2-core machine; run it on a quiet one. `-n 1000000` for a bigger machine.
## Flags: make bench BENCH_FLAGS="-n 100,1000 -extras=false -profile /tmp/prof" (go run ./cmd/eaapl-bench -h)
bench: tools
	$(GO) run ./cmd/eaapl-bench $(BENCH_FLAGS)

## bench-quick: check the benchmark itself in a few minutes (N=100 and 1,000, one run each, 5 one-email runs);
## it writes $$TMPDIR/eaapl-bench-quick.md, not bench/results.md: its figures are not for keeping.
bench-quick: tools
	$(GO) run ./cmd/eaapl-bench -quick $(BENCH_FLAGS)

## eval: measure the planners on the evaluation set (eval/testdata): the rule-based planner's share always,
## the LLM planner's when OPENAI_API_KEY (or OPENAI_BASE_URL) is set. It costs tokens, so make test does not run it.
## Flags: make eval EVAL_FLAGS=-v prints every program.
eval:
	$(GO) run ./cmd/eaapl-eval $(EVAL_FLAGS)

## lint: gofmt, vet, workflowcheck (workflow code must be deterministic), and no adapter in the workflows
## package (the interpreter links no Kafka, SMTP or model client)
lint: $(BIN)/workflowcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(BIN)/workflowcheck ./workflows/...
	@adapters="$$($(GO) list -deps ./workflows | grep -E 'franz-go|kfake|go-openai|go-mail')"; \
	test -z "$$adapters" || { echo "./workflows must import no adapter, but it links:"; echo "$$adapters"; exit 1; }

## build: build bin/eaapl
build:
	$(GO) build -o $(BIN)/eaapl ./cmd/eaapl

## tools: the Temporal CLI (dev server) and Mailpit with its web page, pinned, into ./bin
tools: $(BIN)/.temporal-$(TEMPORAL_VERSION) $(BIN)/.mailpit-ui-$(MAILPIT_VERSION)

$(BIN)/.temporal-$(TEMPORAL_VERSION):
	@echo "Building the Temporal CLI $(TEMPORAL_VERSION) into bin/ (the first build takes about 5 minutes) ..."
	GOBIN=$(BIN) $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_VERSION)
	@touch $@

# Mailpit with its web page: `go install` alone builds it without the page's assets (server/ui/dist comes
# from an npm build that the module does not ship), so its web UI is blank. The module's source is copied
# to a build folder, its front end built with npm (the registry's packages pinned by its package-lock.json),
# and the binary built there (a folder of its own under bin/, so two builds do not meet) and moved into bin/
# in one step, since bin/ may be shared with running stacks.
# Where the registry lacks a version its lock pins (some registries serve only part of npm), the fallback
# installs the front end's own packages by range and, of the build tools, only these; sass-embedded is
# pinned to a release whose builds for every platform are served, and rapidoc (the API docs page) to the
# major version served where 12 is not.
MAILPIT_NPM_BUILD := esbuild@^0.28.0 esbuild-plugin-vue-next@^0.1.4 esbuild-sass-plugin@^3.0.0 @vue/compiler-sfc@^3.2.37 sass-embedded@1.105.0
MAILPIT_RAPIDOC   := ^9.3.8
$(BIN)/.mailpit-ui-$(MAILPIT_VERSION):
	@command -v npm >/dev/null || { echo "Mailpit's web page is built with npm: install Node.js and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	@echo "Building Mailpit $(MAILPIT_VERSION) with its web page into bin/ (npm and go; a few minutes the first time) ..."
	@mkdir -p $(BIN)
	set -e; build=$$(mktemp -d $(BIN)/.mailpit-build.XXXXXX); trap 'rm -rf "$$build"' EXIT; \
	src=$$($(GO) mod download -json github.com/axllent/mailpit@$(MAILPIT_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	test -n "$$src" || { echo "go mod download gave no source folder for Mailpit"; exit 1; }; \
	cp -r "$$src" "$$build/src"; chmod -R u+w "$$build/src"; cd "$$build/src"; \
	npm ci --no-audit --no-fund --loglevel=error || { \
		echo "npm ci could not install Mailpit's locked packages; installing what its build needs by version range"; \
		rm -rf node_modules package-lock.json; npm pkg delete devDependencies; \
		npm pkg set dependencies.rapidoc=$(MAILPIT_RAPIDOC); \
		npm install --no-audit --no-fund --loglevel=error $(MAILPIT_NPM_BUILD); }; \
	npm run build; \
	test -s server/ui/dist/app.js || { echo "Mailpit's npm build made no server/ui/dist/app.js"; exit 1; }; \
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X github.com/axllent/mailpit/config.Version=$(MAILPIT_VERSION)" -o "$$build/mailpit" .; \
	mv -f "$$build/mailpit" $(BIN)/mailpit
	@touch $@

$(BIN)/workflowcheck:
	GOBIN=$(BIN) $(GO) install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)

## clean: remove the built binaries and the dev stack's data
clean:
	rm -rf $(BIN) .eaapl
