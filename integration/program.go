package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Program finds the program a test needs: the first of names on PATH, or
// in $(go env GOPATH)/bin, where go install puts it. Without it the test
// is skipped with install, the way to get it, or fails when CI=true: in CI
// a missing program is a broken pipeline, not a pass.
//
//	bin := integration.Program(t, "go install github.com/axllent/mailpit@v1.33.1", "mailpit")
func Program(t testing.TB, install string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			for _, n := range names {
				p := filepath.Join(dir, "bin", n)
				if st, err := os.Stat(p); err == nil && !st.IsDir() {
					return p
				}
			}
		}
	}
	SkipOrFail(t, "%s not found on PATH nor in $(go env GOPATH)/bin: %s", strings.Join(names, " or "), install)
	return ""
}

// SkipOrFail skips t for want of something it needs (a program, a file it
// brings, an engine), saying how to get it; under CI=true it fails t
// instead.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf(format, args...)
		return
	}
	t.Skipf(format, args...)
}
