// Command trivydb builds a tiny offline Trivy vulnerability database from YAML fixtures, the way
// Trivy's own integration tests do (internal/dbtest.InitDB + integration initDB): every fixture
// file is loaded with bolt-fixtures into <cache-dir>/db/trivy.db, and <cache-dir>/db/metadata.json
// is written with Version = trivy-db's SchemaVersion so `trivy --skip-db-update` accepts it.
//
// No Java DB is written: the sandbox's images contain no JAR files, and Trivy only opens the
// Java DB when it meets one.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	fixtures "github.com/aquasecurity/bolt-fixtures"
	trivydb "github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/metadata"
)

func main() {
	fixtureDir := flag.String("fixtures", "", "directory of bolt-fixtures YAML files")
	cacheDir := flag.String("cache-dir", "", "Trivy cache dir to create (db/ is written inside)")
	validFor := flag.Duration("valid-for", 10*365*24*time.Hour, "NextUpdate = now + this")
	flag.Parse()
	if *fixtureDir == "" || *cacheDir == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*fixtureDir, *cacheDir, *validFor); err != nil {
		fmt.Fprintln(os.Stderr, "trivydb:", err)
		os.Exit(1)
	}
}

func run(fixtureDir, cacheDir string, validFor time.Duration) error {
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.yaml"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no *.yaml fixtures in %s", fixtureDir)
	}
	sort.Strings(files)

	dbDir := filepath.Join(cacheDir, "db")
	if err := os.MkdirAll(dbDir, 0o755); err != nil {
		return err
	}
	dbPath := trivydb.Path(dbDir)
	_ = os.Remove(dbPath)

	loader, err := fixtures.New(dbPath, files)
	if err != nil {
		return fmt.Errorf("open %s: %w", dbPath, err)
	}
	if err := loader.Load(); err != nil {
		_ = loader.Close()
		return fmt.Errorf("load fixtures: %w", err)
	}
	if err := loader.Close(); err != nil {
		return err
	}

	now := time.Now().UTC()
	meta := metadata.Metadata{
		Version:      trivydb.SchemaVersion,
		NextUpdate:   now.Add(validFor),
		UpdatedAt:    now,
		DownloadedAt: now,
	}
	if err := metadata.NewClient(dbDir).Update(meta); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d fixture files, schema %d)\n", dbPath, len(files), trivydb.SchemaVersion)
	return nil
}
