package secrets_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/secrets"
)

// benchReader returns a Reader whose cache holds signingName, read once
// from the emulator.
func benchReader(b *testing.B) *secrets.Reader {
	b.Helper()
	ctx := context.Background()
	cfg := integration.Config(b, integration.SecretsManager)
	client := secretsmanager.NewFromConfig(cfg)
	if _, err := secrets.New(client).Ensure(ctx, testSpec()); err != nil {
		b.Fatal(err)
	}
	r := secrets.NewReader(client)
	if _, err := r.Get(ctx, signingName); err != nil {
		b.Fatal(err)
	}
	return r
}

// Target: a cached Get in at most 1µs with 0 allocations.
//
//	go test -run '^$' -bench Get -benchmem ./secrets/
func BenchmarkGet(b *testing.B) {
	r := benchReader(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Get(ctx, signingName); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetParallel is the same from many goroutines at once, as a web
// server's handlers would call it.
func BenchmarkGetParallel(b *testing.B) {
	r := benchReader(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Get(ctx, signingName); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
