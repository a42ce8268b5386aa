# odpswatch: the targets developers and CI use. `make help` lists them.
GO        ?= go
FUZZTIME  ?= 1000000x
LINEFUZZTIME ?= 200000x
BINARY    ?= bin/odpswatch
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
# The commit and its date (not the build's): two builds of a commit are
# byte for byte the same.
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE      ?= $(shell git log -1 --format=%cI 2>/dev/null)
LDFLAGS   := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
# Release builds: static (no cgo), no paths, no build ID, no symbol table.
RELEASE_FLAGS := -trimpath -buildvcs=false -ldflags "-s -w -buildid= $(LDFLAGS)"
PLATFORMS ?= linux/amd64 linux/arm64
DIST      ?= dist

.PHONY: help build release release-check package package-check image test race bench bench-compare bench-kafka bench-rotation bench-smallfiles fuzz lint golden clean

help:
	@echo "make build          build $(BINARY)"
	@echo "make release        static binaries for $(PLATFORMS) in $(DIST)/, with SHA256SUMS"
	@echo "make package        .deb and .rpm packages for $(PLATFORMS) in $(DIST)/ (nfpm, a tool of go.mod)"
	@echo "make package-check  the packages' contents, lintian, and (as root) the .deb installed, upgraded, removed and purged"
	@echo "make image          the Kafka sidecar's container image (buildah, offline), then checks it"
	@echo "make release-check  build the release twice, from two clones with two build caches, and compare: reproducible or not"
	@echo "make test           lint, then all tests with the race detector (the README's test command)"
	@echo "make bench          Go benchmarks of the scanner (MB/s, allocs)"
	@echo "make bench-compare  a short version of each comparison: scan against grep, ripgrep, zcat|grep; Kafka against kcat; the daemon's catch-up"
	@echo "make bench-kafka    odpswatch's Kafka source against kcat on a loopback broker (needs kcat)"
	@echo "make bench-smallfiles  odpswatch scan against cat on 10,000 small log files"
	@echo "make bench-rotation    the file source against nxadm/tail under rotation (bench/rotation.md)"
	@echo "make fuzz           fuzz the scanner (against the reference regexp, and its bounds) for FUZZTIME ($(FUZZTIME)) each, the file source's line assembly, the token redaction, the job clues, scan's JSON indentation and the inflater (against compress/flate) for LINEFUZZTIME ($(LINEFUZZTIME)) each"
	@echo "make lint           gofmt, go vet and staticcheck"
	@echo "make golden         rewrite the scan golden files (read the diff before committing)"

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BINARY) ./cmd/odpswatch

release:
	rm -rf $(DIST) && mkdir -p $(DIST)
	for p in $(PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build $(RELEASE_FLAGS) \
	    -o $(DIST)/odpswatch-$(VERSION)-$$os-$$arch ./cmd/odpswatch || exit 1; \
	done
	cd $(DIST) && sha256sum odpswatch-* > SHA256SUMS && cat SHA256SUMS

release-check:
	bash scripts/release-check.sh

package:
	DIST=$(DIST) PLATFORMS="$(PLATFORMS)" GO=$(GO) bash packaging/build.sh

package-check:
	DIST=$(DIST) bash scripts/package-check.sh

image:
	GO=$(GO) bash packaging/image.sh

# gotestsum (a tool of go.mod) runs go test and shows each package's result
# and a failing test's output as it ends; its summary closes with the names
# of the failing tests alone, one short list.
test: lint
	$(GO) tool gotestsum --format pkgname-and-test-fails --format-hide-empty-pkg \
	  --hide-summary=output -- -race -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...

bench-compare:
	bash bench/compare-all.sh

bench-kafka:
	bash bench/kafka.sh

bench-smallfiles:
	bash bench/smallfiles.sh

bench-rotation:
	bash bench/rotation.sh

fuzz:
	$(GO) test ./internal/scan -run '^$$' -fuzz '^FuzzScan$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/scan -run '^$$' -fuzz '^FuzzScanBounds$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/filesource -run '^$$' -fuzz '^FuzzLineAssembler$$' -fuzztime $(LINEFUZZTIME)
	$(GO) test ./internal/redact -run '^$$' -fuzz '^FuzzRedact$$' -fuzztime $(LINEFUZZTIME)
	$(GO) test ./internal/attrib -run '^$$' -fuzz '^FuzzFind$$' -fuzztime $(LINEFUZZTIME)
	$(GO) test ./internal/attrib -run '^$$' -fuzz '^FuzzLookBack$$' -fuzztime $(LINEFUZZTIME)
	$(GO) test ./internal/oneshot -run '^$$' -fuzz '^FuzzWriteIndented$$' -fuzztime $(LINEFUZZTIME)
	$(GO) test ./internal/inflate -run '^$$' -fuzz '^FuzzInflate$$' -fuzztime $(LINEFUZZTIME)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

golden:
	$(GO) test ./cmd/odpswatch -run Golden -update

clean:
	rm -rf bin $(DIST)
