package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

func testSubscribers(t *testing.T, s store.Store) {
	ctx := context.Background()
	sub := subscriber("sub-1", "  Lettore@Example.IT ")
	sub.Variants = true
	sub.ConsentAt, sub.ConsentVersion = t0, "2026-12-03" // consent round-trips
	require.NoError(t, s.CreateSubscriber(ctx, sub))
	want := sub
	want.Email = "lettore@example.it"

	got, err := s.Subscriber(ctx, "sub-1")
	require.NoError(t, err)
	assert.Equal(t, want, got)
	got, err = s.SubscriberByEmail(ctx, "LETTORE@example.it")
	require.NoError(t, err)
	assert.Equal(t, want, got)
	got, err = s.SubscriberByToken(ctx, sub.TokenHash)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	for name, err := range map[string]error{
		"id":    func() error { _, err := s.Subscriber(ctx, "sub-2"); return err }(),
		"email": func() error { _, err := s.SubscriberByEmail(ctx, "other@example.it"); return err }(),
		"token": func() error { _, err := s.SubscriberByToken(ctx, tokenHash("sub-2")); return err }(),
		"empty": func() error { _, err := s.SubscriberByToken(ctx, ""); return err }(),
	} {
		require.ErrorIs(t, err, store.ErrNotFound, name)
	}

	for name, bad := range map[string]store.Subscriber{
		"no id":          {Email: "a@example.it", Status: store.Pending},
		"no email":       {ID: "x", Status: store.Pending},
		"not an address": {ID: "x", Email: "nobody", Status: store.Pending},
		"no status":      {ID: "x", Email: "a@example.it"},
	} {
		require.Error(t, s.CreateSubscriber(ctx, bad), name)
	}
}

func testEmailUnique(t *testing.T, s store.Store) {
	ctx := context.Background()
	require.NoError(t, s.CreateSubscriber(ctx, subscriber("sub-1", "reader@example.it")))

	err := s.CreateSubscriber(ctx, subscriber("sub-2", "Reader@Example.it"))
	require.ErrorIs(t, err, store.ErrExists, "the same mailbox, spelt differently")
	_, err = s.Subscriber(ctx, "sub-2")
	require.ErrorIs(t, err, store.ErrNotFound, "a refused sign-up leaves no record behind")

	err = s.CreateSubscriber(ctx, subscriber("sub-1", "another@example.it"))
	require.ErrorIs(t, err, store.ErrExists, "the id is taken")
	_, err = s.SubscriberByEmail(ctx, "another@example.it")
	require.ErrorIs(t, err, store.ErrNotFound, "a refused sign-up leaves no email behind")

	got, err := s.SubscriberByEmail(ctx, "reader@example.it")
	require.NoError(t, err)
	assert.Equal(t, "sub-1", got.ID)

	// Many sign-ups of one new address at once: exactly one gets it.
	const n = 12
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = s.CreateSubscriber(ctx, subscriber(fmt.Sprintf("race-%d", i), "race@example.it")) })
	}
	wg.Wait()
	winners := 0
	for _, err := range errs {
		if err == nil {
			winners++
		} else {
			require.ErrorIs(t, err, store.ErrExists)
		}
	}
	require.Equal(t, 1, winners)
}

func testUpdateSubscriber(t *testing.T, s store.Store) {
	ctx := context.Background()
	exp := wallNow().Add(48 * time.Hour)
	sub := subscriber("sub-1", "reader@example.it")
	sub.Status, sub.ConfirmedAt, sub.ExpiresAt = store.Pending, time.Time{}, exp
	require.NoError(t, s.CreateSubscriber(ctx, sub))

	read, err := s.Subscriber(ctx, "sub-1")
	require.NoError(t, err)
	stale := read

	// Confirm: active, no expiry, a new token.
	now := t0.Add(time.Hour)
	read.Status, read.ConfirmedAt, read.ExpiresAt, read.TokenHash = store.Active, now, time.Time{}, tokenHash("new")
	updated, err := s.UpdateSubscriber(ctx, read, now)
	require.NoError(t, err)
	assert.Equal(t, now, updated.UpdatedAt)
	got, err := s.Subscriber(ctx, "sub-1")
	require.NoError(t, err)
	assert.Equal(t, updated, got)
	assert.True(t, got.ExpiresAt.IsZero())

	got, err = s.SubscriberByToken(ctx, tokenHash("new"))
	require.NoError(t, err)
	assert.Equal(t, "sub-1", got.ID)
	_, err = s.SubscriberByToken(ctx, sub.TokenHash)
	require.ErrorIs(t, err, store.ErrNotFound, "the old token no longer finds anyone")

	// The copy read before the update is stale.
	stale.Status = store.Unsubscribed
	_, err = s.UpdateSubscriber(ctx, stale, now.Add(time.Hour))
	require.ErrorIs(t, err, store.ErrConflict)
	got, err = s.Subscriber(ctx, "sub-1")
	require.NoError(t, err)
	assert.Equal(t, store.Active, got.Status, "a conflicting update writes nothing")

	// An update at the same instant still moves UpdatedAt, so the copy it
	// replaced can never match again.
	again, err := s.UpdateSubscriber(ctx, updated, now)
	require.NoError(t, err)
	assert.True(t, again.UpdatedAt.After(updated.UpdatedAt))
	_, err = s.UpdateSubscriber(ctx, updated, now)
	require.ErrorIs(t, err, store.ErrConflict)

	// Two updates of one read copy at once: exactly one lands.
	read, err = s.Subscriber(ctx, "sub-1")
	require.NoError(t, err)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			c := read
			c.Variants = i%2 == 0
			_, errs[i] = s.UpdateSubscriber(ctx, c, now.Add(time.Duration(i+2)*time.Hour))
		})
	}
	wg.Wait()
	winners := 0
	for _, err := range errs {
		if err == nil {
			winners++
		} else {
			require.ErrorIs(t, err, store.ErrConflict)
		}
	}
	require.Equal(t, 1, winners)
	again, err = s.Subscriber(ctx, "sub-1")
	require.NoError(t, err)

	// The email cannot change; an absent subscriber is not found.
	other := again
	other.Email = "other@example.it"
	_, err = s.UpdateSubscriber(ctx, other, now)
	require.Error(t, err)
	require.NotErrorIs(t, err, store.ErrConflict)
	ghost := subscriber("ghost", "ghost@example.it")
	_, err = s.UpdateSubscriber(ctx, ghost, now)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testDeleteSubscriber(t *testing.T, s store.Store) {
	ctx := context.Background()
	sub := subscriber("sub-1", "reader@example.it")
	require.NoError(t, s.CreateSubscriber(ctx, sub))
	require.NoError(t, s.CreateSubscriber(ctx, subscriber("sub-2", "other@example.it")))
	for _, series := range []string{"berserk", "one-piece"} {
		require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "sub-1", SeriesID: series, CreatedAt: t0}))
		require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "sub-2", SeriesID: series, CreatedAt: t0}))
	}

	require.NoError(t, s.DeleteSubscriber(ctx, "sub-1"))
	_, err := s.Subscriber(ctx, "sub-1")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.SubscriberByEmail(ctx, "reader@example.it")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.SubscriberByToken(ctx, sub.TokenHash)
	require.ErrorIs(t, err, store.ErrNotFound)
	fs, err := s.FollowsOf(ctx, "sub-1")
	require.NoError(t, err)
	assert.Empty(t, fs)
	fs, err = s.FollowersOf(ctx, "berserk")
	require.NoError(t, err)
	assert.Equal(t, []string{"sub-2"}, ids(fs, func(f store.Follow) string { return f.SubscriberID }), "the other reader's follows stay")

	require.NoError(t, s.DeleteSubscriber(ctx, "sub-1"), "absent: nil")
	require.NoError(t, s.CreateSubscriber(ctx, subscriber("sub-3", "reader@example.it")), "the email is free again")
}

// testDeleteSubscriberAlerts: deleting a reader deletes their alert
// history too (the GDPR's erasure), in every state and every index, and
// leaves other readers' alerts alone. A notifier run racing the deletion
// claims nothing after it (ClaimAlert's ErrNotFound).
func testDeleteSubscriberAlerts(t *testing.T, s store.Store) {
	ctx := context.Background()
	require.NoError(t, s.CreateSubscriber(ctx, subscriber("sub-1", "reader@example.it")))
	require.NoError(t, s.CreateSubscriber(ctx, subscriber("sub-2", "other@example.it")))
	sent := key("sub-1", "berserk/42", store.Announce)
	claimed := key("sub-1", "berserk/42", store.Reminder(7))
	others := key("sub-2", "berserk/42", store.Announce)
	for _, k := range []store.AlertKey{sent, claimed, others} {
		require.NoError(t, s.ClaimAlert(ctx, claim(k, "run-1", t0)))
	}
	require.NoError(t, s.ResolveAlert(ctx, sent, "run-1", store.Sent, "msg-1", "", t0.Add(time.Second)))

	require.NoError(t, s.DeleteSubscriber(ctx, "sub-1"))
	for _, k := range []store.AlertKey{sent, claimed} {
		_, err := s.Alert(ctx, k)
		require.ErrorIs(t, err, store.ErrNotFound, k.String())
	}
	as, err := s.AlertsOfSubscriber(ctx, "sub-1")
	require.NoError(t, err)
	assert.Empty(t, as)
	as, err = s.AlertsOfVolume(ctx, "berserk/42")
	require.NoError(t, err)
	assert.Equal(t, []string{others.String()}, ids(as, func(a store.Alert) string { return a.AlertKey.String() }), "the other reader's alert stays")
	stale, err := s.StaleClaims(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, []string{others.String()}, ids(stale, func(a store.Alert) string { return a.AlertKey.String() }), "no claim of a deleted reader is left to resolve")

	orphan := key("sub-1", "berserk/43", store.Announce)
	require.ErrorIs(t, s.ClaimAlert(ctx, claim(orphan, "run-2", t0)), store.ErrNotFound, "a run that read the reader before the deletion claims nothing after it")
	_, err = s.Alert(ctx, orphan)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, s.DeleteSubscriber(ctx, "sub-1"), "deleting again is done at once")
}

func testExpiredSignUps(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := wallNow()
	pending := func(id, email string, expires time.Time) store.Subscriber {
		sub := subscriber(id, email)
		sub.Status, sub.ConfirmedAt, sub.ExpiresAt = store.Pending, time.Time{}, expires
		sub.CreatedAt, sub.UpdatedAt = now.Add(-49*time.Hour), now.Add(-49*time.Hour)
		return sub
	}
	old := pending("old", "late@example.it", now.Add(-time.Hour))
	fresh := pending("fresh", "quick@example.it", now.Add(47*time.Hour))
	require.NoError(t, s.CreateSubscriber(ctx, old))
	require.NoError(t, s.CreateSubscriber(ctx, fresh))
	require.NoError(t, s.Follow(ctx, store.Follow{SubscriberID: "old", SeriesID: "berserk", CreatedAt: t0}))

	_, err := s.Subscriber(ctx, "old")
	require.ErrorIs(t, err, store.ErrNotFound, "an expired sign-up is gone")
	_, err = s.SubscriberByEmail(ctx, "late@example.it")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.SubscriberByToken(ctx, old.TokenHash)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.UpdateSubscriber(ctx, old, now)
	require.ErrorIs(t, err, store.ErrNotFound)

	got, err := s.Subscriber(ctx, "fresh")
	require.NoError(t, err)
	assert.Equal(t, fresh, got)

	c, err := s.Counts(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, c.Subscribers[store.Pending], "expired sign-ups are not counted")

	// The address can sign up again.
	again := pending("old-2", "late@example.it", now.Add(48*time.Hour))
	require.NoError(t, s.CreateSubscriber(ctx, again))
	got, err = s.SubscriberByEmail(ctx, "late@example.it")
	require.NoError(t, err)
	assert.Equal(t, "old-2", got.ID)
}
