# samlab — the two commands a newcomer needs:
#   make run    runs the headline scenario (cert rotation → Response signature invalid → fix)
#   make test   installs what the tests need when missing, then runs every test
GO      ?= go
BIN     := bin/samlab
PKGS    := ./...
export GOFLAGS := -buildvcs=false

.PHONY: all build run test deps tools vet fmt-check lint fuzz bench mutate screenshots clean ci-suite

all: build

build:
	$(GO) build -o $(BIN) ./cmd/samlab

run: build
	./$(BIN) scenario run cert-rotation

# deps installs the external tools the tests drive (Debian packages, as root),
# and downloads Go modules through the module proxy.
deps:
	@./.ci/deps.sh
	$(GO) mod download

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# lint: gofmt, go vet, staticcheck (pinned, run through the module proxy)
# and a go.mod/go.sum that `go mod tidy` would leave unchanged.
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint: fmt-check vet
	$(STATICCHECK) $(PKGS)
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1; }

# test runs every unit test and ginkgo suite with the race detector, then
# each fuzz target for a fixed number of inputs (CI_FUZZTIME), so the
# fuzzers' seed corpora and a few thousand mutations run on every change.
# A count budget rather than a duration: Go 1.26's fuzz coordinator can end a
# timed run with a bare "context deadline exceeded" under CPU load
# (golang/go#75804), which would fail CI with no failing input.
CI_FUZZTIME ?= 2000x
CI_FUZZMINIMIZETIME ?= 200x
test: deps lint
	$(GO) test -race -count=1 -timeout 20m $(PKGS)
	$(MAKE) --no-print-directory ci-suite
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(CI_FUZZTIME) FUZZMINIMIZETIME=$(CI_FUZZMINIMIZETIME)

# fuzz runs each fuzz target for FUZZTIME (package:target pairs below);
# minimizing each new input is capped at FUZZMINIMIZETIME. Each target's seed
# corpus is its f.Add seeds (built from documents the real IdP signed) plus
# <package>/testdata/fuzz/<target>/, a sample of the inputs earlier long runs
# found interesting; a crash found later goes there as a regression. Plain
# `go test` runs every corpus entry too.
FUZZTIME ?= 10s
FUZZMINIMIZETIME ?= 5s
FUZZ_TARGETS := \
	./sp/sts/sessiontoken:FuzzOpen \
	./sp/sts:FuzzExplain \
	./internal/xmlsec:FuzzParseXML \
	./internal/xmlsec:FuzzFastRead \
	./internal/xmlsec:FuzzCanonicalize \
	./internal/xmlsec:FuzzCanonicalizeInclusive \
	./scenarios:FuzzAssumeRoleWithSAML \
	./scenarios:FuzzSignatureWrapping \
	./metadata:FuzzParse \
	./scenarios:FuzzParse \
	./scenarios:FuzzMigrate \
	./sp/awsapi:FuzzQueryDecode \
	./sp/awsapi:FuzzRouter \
	./sp/awsapi:FuzzParseForm \
	./sp/awsapi:FuzzAccountOfAccessKeyID \
	./sp/sts:FuzzAssumeRoleParams \
	./sp/iam:FuzzValidateInput \
	./sp/iam:FuzzSimulate \
	./sp/iam:FuzzParsePermissionsPolicy \
	./sp/signin:FuzzSafeDestination \
	./idp:FuzzLoadUsers \
	./scenarios/labweb:FuzzIsBrowserPageRequest \
	./idp:FuzzAuthnRequest \
	./idp:FuzzRedirectSignature \
	./idp:FuzzParseLoginForm \
	./idp/idpclient:FuzzRoles \
	./internal/awsconfig:FuzzSetProfile \
	./certs:FuzzLoadCA \
	./idp/oidc:FuzzAuthorizationRequest \
	./idp/oidc:FuzzTokenRequest \
	./sp/policy:FuzzParse \
	./internal/capture:FuzzResponses \
	./internal/capture:FuzzProviderMetadata \
	./sp/sts/webidentity:FuzzParse \
	./sp/awsapi:FuzzDecodeJSON \
	./sp/cognito:FuzzOperations \
	./sp/cognito:FuzzRoleMappings \
	./sp/iam:FuzzPasswordPolicy \
	./sp/awsapi:FuzzAppendXMLText \
	./sp/sts:FuzzPlainText \
	./sp/sts:FuzzUTF16Len \
	./scenarios:FuzzIDPAdminChange

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test $$pkg -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME); \
	done

# ci-suite runs examples/ci-suite, a module outside this one (it reaches
# samlab through a replace directive and its exported API only): the scenario
# library, the example's own YAML and Go scenarios, under ginkgo -p with a
# JUnit report in bin/ci-suite/. ginkgo is the module's `tool`, at the
# version go.mod pins. -mod=mod lets its go.sum follow samlab's own go.mod.
ci-suite:
	cd examples/ci-suite && GOFLAGS="$(GOFLAGS) -mod=mod" $(GO) tool ginkgo -p --junit-report=junit.xml --output-dir=$(CURDIR)/bin/ci-suite ./...

# mutate runs mutation testing (go-gremlins/gremlins, pinned and installed
# into bin/) over the security-critical packages (the XML signature verifier among them), each with its own tests:
# every mutant must fail a test of its package. Each package must reach
# MUTATE_EFFICACY percent efficacy and MUTATE_COVERAGE percent mutator
# coverage, leaving out the mutants listed in MUTATE_EQUIVALENT (scored by
# internal/mutscore, since gremlins has no exclusion list). It takes tens of
# minutes on two cores: run it on every change to these packages, not in CI.
# MUTATE_TIMEOUT_COEFFICIENT multiplies the time of the package's first,
# cached-build test run: a mutant's run must rebuild the package, so a small
# coefficient reports mutants as timed out on a busy machine. A package may
# set its own (see mutate_coefficient below).
# MUTATE_MUTATORS adds INVERT_LOGICAL (&& <-> ||) to gremlins' default
# operators: the checks these packages exist for are mostly conjunctions.
GREMLINS_VERSION ?= v0.6.0
GREMLINS := bin/gremlins
MUTATE_PKGS ?= internal/xmlsec sp/sts sp/signin sp/awsapi sp/iam sp/policy
MUTATE_EFFICACY ?= 90
MUTATE_COVERAGE ?= 85
MUTATE_WORKERS ?= 1
MUTATE_TIMEOUT_COEFFICIENT ?= 30
MUTATE_MUTATORS ?= --invert-logical
# MUTATE_EXCLUDE are regexps of file paths (relative to the package
# directory) gremlins leaves out (--exclude-files):
# test fixture packages under a mutated package, which have no tests of
# their own.
MUTATE_EXCLUDE ?= ^xmlsectest/
MUTATE_EQUIVALENT := equivalent-mutants.txt
MUTATE_OUT := bin/mutate

# mutate_coefficient is MUTATE_TIMEOUT_COEFFICIENT_<package, / as _> when set
# (e.g. MUTATE_TIMEOUT_COEFFICIENT_sp_sts=60), else MUTATE_TIMEOUT_COEFFICIENT.
mutate_coefficient = $(or $(MUTATE_TIMEOUT_COEFFICIENT_$(subst /,_,$(1))),$(MUTATE_TIMEOUT_COEFFICIENT))

mutate:
	GOBIN=$(abspath bin) $(GO) install github.com/go-gremlins/gremlins/cmd/gremlins@$(GREMLINS_VERSION)
	$(GO) build -o bin/mutscore ./internal/mutscore
	@mkdir -p $(MUTATE_OUT)
	@status=0; for pc in $(foreach p,$(MUTATE_PKGS),$(p):$(call mutate_coefficient,$(p))); do \
		p=$${pc%%:*}; coef=$${pc##*:}; \
		out=$(MUTATE_OUT)/$$(echo $$p | tr / _).json; \
		echo "== $$p (gremlins $(GREMLINS_VERSION), $(MUTATE_WORKERS) worker(s), timeout coefficient $$coef; this takes minutes)"; \
		GOFLAGS="$(GOFLAGS) -short" nice $(GREMLINS) unleash --silent --workers $(MUTATE_WORKERS) --test-cpu 1 \
			--timeout-coefficient $$coef $(MUTATE_MUTATORS) \
			$(foreach e,$(MUTATE_EXCLUDE),--exclude-files '$(e)') -o $$out ./$$p || { status=1; continue; }; \
		bin/mutscore -pkg $$p -equivalent $(MUTATE_EQUIVALENT) \
			-efficacy $(MUTATE_EFFICACY) -coverage $(MUTATE_COVERAGE) $$out || status=1; \
	done; exit $$status

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# screenshots regenerates docs/screenshots with the browser end-to-end test
# (needs chromium).
screenshots:
	SAMLAB_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^(TestBrowserEndToEnd|TestBrowserLab)$$' ./cmd/samlab/

clean:
	rm -rf bin
